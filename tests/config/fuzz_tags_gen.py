"""Pseudo-random filter definitions exercising <tag> substitution (shared by a test)."""

from __future__ import annotations

import random


def random_filter(rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    """(files, jail-style parameters) for a filter named ``f``."""
    names = ["a", "b", "c", "mode", "x-y", "failregex", "prefregex", "maxlines", "honeypot"]
    atoms = [
        "<a>",
        "<b>",
        "<c>",
        "<mode>",
        "<x-y>",
        "<HOST>",
        "<known/a>",
        "<known/failregex>",
        "<sec/opt>",
        "<default/d>",
        "<Definition/b>",
        "<a-<mode>>",
        "<b<c>>",
        "<<a>>",
        "lit",
        " ",
        "%(d)s",
        "<F-USER>",
        "<known/mode>",
        "<lt_<mode>/v>",
        "<honeypot>",
    ]

    literals = ["lit", " ", "%(d)s", "x"]

    def value() -> str:
        # At most one tag per value: several could make substitution grow exponentially.
        parts = [rng.choice(literals) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.8:
            parts.insert(rng.randint(0, len(parts)), rng.choice(atoms))
        return "".join(parts)

    def section(keys: list[str]) -> list[str]:
        lines = []
        for key in rng.sample(keys, rng.randint(0, len(keys))):
            val = value()
            if key == "maxlines" and rng.random() < 0.7:
                val = rng.choice(["1", "2", "<a>", "x"])
            if rng.random() < 0.2:
                val += "\n    " + rng.choice(literals)
            lines.append(f"{key} = {val}")
        return lines

    conf = ["[DEFAULT]", "d = dflt", *section(["a", "c", "honeypot"])]
    conf += ["[Definition]", *section([*names, "a-normal", "a-aggr", "bc"])]
    conf += ["[Init]", *section(["a", "b", "mode", "honeypot"])]
    if rng.random() < 0.3:
        conf += ["[Init?family=inet6]", *section(["a", "b"])]
    conf += ["[sec]", "opt = sec-opt <a>", "[lt_normal]", "v = lt-normal"]
    files = {"filter.d/f.conf": "\n".join(conf) + "\n"}
    if rng.random() < 0.5:
        files["filter.d/f.local"] = (
            "\n".join(
                [
                    "[Definition]",
                    *section(["failregex", "a", "b"]),
                    "[Init]",
                    *section(["mode", "a"]),
                ]
            )
            + "\n"
        )
    params = {}
    for key in rng.sample(["mode", "a", "honeypot", "failregex", "logtype"], rng.randint(0, 3)):
        params[key] = rng.choice(["normal", "aggr", "<b>", "<known/a>", "p<c>", ""])
    return files, params


def random_jail_tree(rng: random.Random) -> dict[str, str]:
    """A jail.conf (+ .local) over a random filter ``f`` and a small action ``act``."""
    files, _ = random_filter(rng)
    if rng.random() < 0.75:
        files = {
            "filter.d/f.conf": "[INCLUDES]\nbefore = common.conf\n[Definition]\n"
            "prefregex = ^<__prefix_line><F-CONTENT>.+</F-CONTENT>$\n"
            "failregex = ^fail <HOST>$\n  <re-<mode>>\n"
            "re-normal =\nre-aggr = ^aggr <HOST>$\n"
            "maxlines = " + rng.choice(["1", "2", "x"]) + "\n"
            "journalmatch = _COMM=f\n"
            "[Init]\nmode = normal\n",
            "filter.d/common.conf": "[DEFAULT]\nlogtype = file\n"
            "__prefix_line = <lt_<logtype>/p>\n"
            "[lt_file]\np = file:\n[lt_journal]\np = journal:\n",
        }
    files["action.d/act.conf"] = (
        "[Definition]\n"
        "actionstart = start <name> <port> <chain>\n"
        "actionban = ban <ip> <port> <blocktype> <bantime> <known/port> <extra>\n"
        "actionunban = unban <ip> <timeout>\n"
        "norestored = " + rng.choice(["1", "no", "<flag>"]) + "\n"
        "extra = <port>-<protocol>\n"
        "[Init]\nport = 22\nprotocol = tcp\nchain = INPUT\nblocktype = REJECT\nflag = yes\n"
        + rng.choice(["", "[Init?family=inet6]\nblocktype = DROP\n"])
    )
    files["action.d/pyact.py"] = ""
    jail_opts = {
        "backend": ["auto", "systemd", "polling", "systemd[journalflags=1]"],
        "filter": [
            "f",
            "f[mode=normal]",
            "f[a=<b>, mode=aggr]",
            "",
            "f[logtype=file]",
            "%(__name__)s",
        ],
        "failregex": ["%(known/failregex)s\n  ^jail <HOST>", "^only <HOST>", "", "^j <HOST>"],
        "prefregex": ["^pre <F-CONTENT>.+</F-CONTENT>", "%(known/prefregex)s", "^p"],
        "maxlines": ["3", "x", "2", "5"],
        "usedns": ["no", "yes"],
        "datepattern": ["{^LN-BEG}", "%(known/datepattern)s", "^%%Y", "EPOCH"],
        "journalmatch": ["_COMM=x + _PID=1", ""],
        "maxretry": ["3", "junk", "%(known/a)s", "4", "5"],
        "bantime": ["10m", "1h 30m", "-1"],
        "ignoreip": ["1.2.3.4, 5.6.7.8/24\n ::1", ""],
        "ignoreself": ["true", "0"],
        "logpath": ["/var/log/a.log\n /var/log/b* tail", "/x"],
        "action": [
            "act",
            "act[port=80]\n act[name=other, blocktype=DROP]",
            "pyact.py[x=1]",
            'act[port="<known/port>,9"]',
            "",
        ],
        "port": ["ssh", "1:2"],
        "bantime.increment": ["true"],
        "logtimezone": ["UTC"],
    }
    lines = ["[DEFAULT]", "filter = f", "action = act", "mode = normal"]
    for jail in ("j1", "j2", "j3", "f"):
        lines.append(f"[{jail}]")
        lines.append("enabled = " + rng.choice(["true", "false", "yes"]))
        for key in rng.sample(sorted(jail_opts), rng.randint(0, 7)):
            lines.append(f"{key} = {rng.choice(jail_opts[key])}")
    files["jail.conf"] = "\n".join(lines) + "\n"
    if rng.random() < 0.5:
        extra = [f"[{rng.choice(['j1', 'j2'])}]"]
        for key in rng.sample(["failregex", "maxretry", "bantime", "filter"], 2):
            extra.append(f"{key} = {rng.choice(jail_opts[key])}")
        files["jail.local"] = "\n".join(extra) + "\n"
    return files
