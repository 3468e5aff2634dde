"""The daemon's ban-side log lines match Debian's fail2ban-server's, line for line.

Both daemons read the same copy of ``/etc/fail2ban`` (sshd jail, ``maxretry = 2``, the
stock ``dummy`` action writing to a file of the test) and are fed the same auth log,
written in phases.  Users grep these lines and feed them to log watchers, so each one
must come with fail2ban's text and level: ``Found`` (INFO), ``Ban`` (NOTICE), ``already
banned`` (DEBUG within 3 s of the ban, NOTICE after), ``Flush ticket(s) with`` and
``Unban`` (NOTICE) when the daemon stops, ``Restore Ban`` (NOTICE) when it starts again,
``Ignore <ip> by ip`` (INFO) for an address in ``ignoreip``;
and the jail's "started", "stopped" and "Added logfile:" lines.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

from daemon_util import wait_until
from side_by_side import IGNORED, Side, failure_line, needs_fail2ban, syslog_stamp, write_all

from hyperban.server.database import first_line_hash

pytestmark = needs_fail2ban


def test_ban_side_lines_match_fail2ban(tmp_path: Path) -> None:
    sides = [Side("fail2ban", tmp_path), Side("hyperban", tmp_path)]
    a, b = "192.0.2.10", "192.0.2.20"
    try:
        for side in sides:
            side.wait_started()

        def phase(lines: bytes, found: int) -> None:
            write_all(sides, lines, "[sshd] Found", found)

        t0 = time.monotonic()
        # A reaches maxretry and is banned; B fails once
        phase(
            failure_line(a, 1) + failure_line(IGNORED, 8) + failure_line(b, 2) + failure_line(a, 3),
            3,
        )
        for side in sides:
            side.wait_logged(f"[sshd] Ban {a}")
        # A fails twice more right away (already banned, DEBUG: not in an INFO log) ...
        phase(failure_line(a, 4) + failure_line(a, 5), 5)
        # ... and twice more 5 s after its ban (already banned, NOTICE)
        time.sleep(max(0.0, t0 + 5.5 - time.monotonic()))
        phase(failure_line(a, 6) + failure_line(a, 7), 7)
        for side in sides:
            side.wait_logged("already banned")
        # a restart restores the ban from the database
        for side in sides:
            side.stop()
            side.start()
        for side in sides:
            side.wait_started()
            side.wait_logged("Restore Ban")
    finally:
        for side in sides:
            side.stop()
    f2b, ours = (side.ban_side() for side in sides)
    assert ours == f2b
    # the comparison is not vacuous: the lines the scenario is about are there
    assert ("INFO", f"[sshd] Ignore {IGNORED} by ip") in f2b
    assert ("NOTICE", f"[sshd] Ban {a}") in f2b
    assert ("NOTICE", f"[sshd] {a} already banned") in f2b
    assert ("NOTICE", f"[sshd] Unban {a}") in f2b
    assert ("NOTICE", f"[sshd] Restore Ban {a}") in f2b
    # the log positions are stored with fail2ban's first-line hash, so each daemon can
    # resume from a database the other wrote
    for side in sides:
        with sqlite3.connect(side.db) as db:
            (stored,) = db.execute("SELECT firstlinemd5 FROM logs").fetchone()
        assert stored == first_line_hash(side.authlog), side.name
    # the jail's life lines that log watchers wait for, in fail2ban's words (the second
    # "Added logfile:" resumes at the stored position, with fail2ban's hash)
    # (each kind in order; ours logs "started" as its log hub is about to add the file)
    f2b_life, our_life = (side.life_lines() for side in sides)
    for kind in ("Added logfile:", "Jail "):
        ours_kind = [line for line in our_life if line.startswith(kind)]
        assert ours_kind == [line for line in f2b_life if line.startswith(kind)]
    assert len(f2b_life) == 6


def test_takes_over_fail2bans_database(tmp_path: Path) -> None:
    """hyperban started in fail2ban's place, on its configuration and database, goes on
    where fail2ban stopped: the log from the stored position, the bans restored."""
    side = Side("fail2ban", tmp_path)
    a = "192.0.2.30"
    try:
        side.wait_started()
        side.write(failure_line(a, 1) + failure_line(a, 2))
        side.wait_logged(f"[sshd] Ban {a}")
        side.stop()
        side.start("hyperban")
        side.wait_started()
        side.wait_logged("Restore Ban")
        # a later failure of another address is read, the old ones are not read again
        side.write(failure_line("192.0.2.31", 3))
        side.wait_logged("Found", 3)
    finally:
        side.stop()
    size = len(failure_line(a, 1)) + len(failure_line(a, 2))
    found = [m for _, m in side.ban_side() if "Found" in m]
    assert [m.split(" - ")[0] for m in found] == [
        f"[sshd] Found {a}",
        f"[sshd] Found {a}",
        "[sshd] Found 192.0.2.31",
    ]
    assert ("NOTICE", f"[sshd] Restore Ban {a}") in side.ban_side()
    added = [line for line in side.life_lines() if line.startswith("Added logfile:")]
    assert added == [
        "Added logfile: '<log>' (pos = 0, hash = )",  # fail2ban, on the empty log
        f"Added logfile: '<log>' (pos = {size}, hash = {first_line_hash(side.authlog)})",
    ]


def test_jail_logtimezone_is_applied(tmp_path: Path) -> None:
    """A jail's ``logtimezone``: lines stamped three hours ahead, written two minutes ago
    by a host at UTC+0300, are failures of two minutes ago (read as local time they
    would lie in the future, and be dated now).  Both daemons log the same ``Found``
    times and ban."""
    options = "maxretry = 2\nfindtime = 10m\nbantime = 1h\nlogtimezone = UTC+0300\n"
    sides = [Side(name, tmp_path, options=options) for name in ("fail2ban", "hyperban")]
    a = "192.0.2.60"
    lines = b"".join(
        f"{syslog_stamp(3 * 3600 - 120 + utc_offset())} host sshd[{n}]: Failed password for root "
        f"from {a} port {n} ssh2\n".encode()
        for n in (1, 2)
    )
    try:
        for side in sides:
            side.wait_started()
        write_all(sides, lines, f"[sshd] Ban {a}")
    finally:
        for side in sides:
            side.stop()
    f2b, ours = ([m for _, m in side.ban_side() if "Found" in m] for side in sides)
    assert ours == f2b and len(f2b) == 2
    found = time.mktime(time.strptime(ours[0].split(" - ")[1], "%Y-%m-%d %H:%M:%S"))
    assert 100 < time.time() - found < 200


def utc_offset() -> float:
    """Seconds the local time zone is behind UTC (0 on a UTC host)."""
    return -float(time.localtime().tm_gmtoff)


def test_ban_time_increment_lines_match_fail2ban(tmp_path: Path) -> None:
    """``bantime.increment``: an address banned before counts double and is banned for
    longer, with fail2ban's "Found ..., bad", "IP ... is bad" and "Increase Ban" lines."""
    options = "maxretry = 2\nfindtime = 10m\nbantime = 2\nbantime.increment = true\n"
    sides = [Side(name, tmp_path, options=options) for name in ("fail2ban", "hyperban")]
    a = "192.0.2.50"
    try:
        for side in sides:
            side.wait_started()
        # banned for 2 s, then lifted; then banned again, for longer
        write_all(sides, failure_line(a, 1) + failure_line(a, 2), f"[sshd] Unban {a}")
        write_all(sides, failure_line(a, 3), "Increase Ban")
    finally:
        for side in sides:
            side.stop()
    f2b, ours = (side.ban_side() for side in sides)
    assert ours == f2b
    messages = [m for _, m in f2b]
    assert any(m.startswith(f"[sshd] Found {a}, bad - ") for m in messages)
    assert any(m.startswith(f"[sshd] IP {a} is bad: 1 # last ") for m in messages)
    assert any(m.startswith(f"[sshd] Increase Ban {a} (2 # 4s -> ") for m in messages)


MANUAL = "198.51.100.9"  # banned with set JAIL banip


def _db_rows(side: Side) -> dict[str, list[tuple[object, ...]]]:
    """The database as both daemons should have written it: bans (the data's fields;
    matches as text lines), bad ips, jails, log positions (path hidden)."""

    def data(raw: bytes | str) -> tuple[object, ...]:
        d = json.loads(raw)
        matches = [m if isinstance(m, str) else "".join(m) for m in d.get("matches", [])]
        return (d.get("failures"), d.get("mlfid"), d.get("user"), d.get("ip4"), matches)

    def ban(row: tuple[object, ...], ip: int) -> tuple[object, ...]:
        # a manual ban starts "now": the daemons may see different seconds
        when = None if row[ip] == MANUAL else row[2]
        return (*row[:2], when, *row[3:-1], data(row[-1]))  # type: ignore[arg-type]

    with sqlite3.connect(side.db) as db:
        return {
            "bans": sorted(ban(row, 1) for row in db.execute("SELECT * FROM bans")),
            "bips": sorted(ban(row, 0) for row in db.execute("SELECT * FROM bips")),
        } | {
            "jails": sorted(db.execute("SELECT * FROM jails")),
            "logs": [
                (jail, path.replace(str(side.authlog), "<log>"), h, pos)
                for jail, path, h, pos in db.execute("SELECT * FROM logs")
            ],
        }


def test_database_rows_match_fail2ban(tmp_path: Path) -> None:
    """After the same failures, the same manual ban and a stop, both databases hold the
    same rows: one daemon can take over the other's database."""
    sides = [Side("fail2ban", tmp_path), Side("hyperban", tmp_path)]
    a = "192.0.2.10"
    try:
        for side in sides:
            side.wait_started()
        write_all(sides, failure_line(a, 1) + failure_line(a, 2), f"[sshd] Ban {a}")
        for side in sides:
            assert side.client("set", "sshd", "banip", MANUAL).stdout == "1\n"
        time.sleep(1.0)  # (both observers record their bans)
    finally:
        for side in sides:
            side.stop()
    f2b, ours = (_db_rows(side) for side in sides)
    assert ours == f2b
    assert len(f2b["bans"]) == 2 and f2b["jails"] == [("sshd", 0)]


# An action that writes the values of its tags, as a user's own script or mail would
# see them.
TAG_ACTION = r"""[Definition]
actionban = printf %%b "ban ip=<ip> fid=<fid> family=<family> failures=<failures> time=<time> bantime=<bantime> bancount=<bancount> restored=<restored> user=<F-USER> ipfailures=<ipfailures> ipjailfailures=<ipjailfailures>\n" >> <target>
            printf %%b "matches=<matches>\nipmatches=<ipmatches>\nipjailmatches=<ipjailmatches>\n" >> <target>
actionunban = printf %%b "unban ip=<ip> failures=<failures> bantime=<bantime> bancount=<bancount> restored=<restored>\n" >> <target>
[Init]
target = /dev/null
"""  # noqa: E501 -- the command lines as an action.d file has them


def test_action_tags_match_fail2ban(tmp_path: Path) -> None:
    """The values an action's commands get (<ip>, <failures>, <time>, <matches>,
    <ipmatches>, <F-USER>, ...) for a ban after failures, a manual ban and unbans."""
    sides = [Side(n, tmp_path, action_file=TAG_ACTION) for n in ("fail2ban", "hyperban")]
    a = "192.0.2.10"
    try:
        for side in sides:
            side.wait_started()
        write_all(sides, failure_line(a, 1) + failure_line(a, 2), f"[sshd] Ban {a}")
        for side in sides:
            assert side.client("set", "sshd", "banip", MANUAL).stdout == "1\n"
        for side in sides:
            wait_until(lambda s=side: f"ip={MANUAL}" in _text(s.action_target), 30)
            assert side.client("set", "sshd", "unbanip", a, MANUAL).stdout == "2\n"
        for side in sides:
            wait_until(lambda s=side: _text(s.action_target).count("unban ip=") == 2, 30)
    finally:
        for side in sides:
            side.stop()
    # a manual ban is timed "now": the daemons see different instants
    f2b, ours = (
        re.sub(rf"(ip={re.escape(MANUAL)} [^\n]*? time=)[\d.]+", r"\1<now>", _text(s.action_target))
        for s in sides
    )
    assert ours == f2b
    assert f"ban ip={a} fid={a} family=inet4 failures=2 " in f2b
    assert "failures=0 time=<now>" in f2b and "user=root" in f2b


def _text(path: Path) -> str:
    return path.read_text() if path.exists() else ""
