"""Behaviour checks that do not need the installed fail2ban (explicit expectations)."""

from __future__ import annotations

import os

import pytest

from hyperban.config import (
    ActionDefinition,
    Config,
    ConfigLoader,
    PythonActionDefinition,
    extract_options,
    parse_ini,
    read_filter,
    read_jail,
    read_jails,
    split_with_options,
    substitute_recursive_tags,
)
from hyperban.config.errors import TagSubstitutionError


def test_jail_definition_api(sample_tree: str) -> None:
    jails = {j.name: j for j in read_jails(sample_tree, loader=ConfigLoader())}
    alpha = jails["alpha"]
    assert alpha.enabled and alpha.backend == "polling"
    assert alpha.maxretry == 7
    assert alpha.bantime == "2h" and alpha.bantime_seconds == 7200
    assert alpha.findtime_seconds == 5400
    assert alpha.ignoreip == ["127.0.0.1/8", "::1", "10.0.0.0/8", "192.168.0.0/16"]
    assert alpha.filter is not None and alpha.filter.name == "flt-alpha"
    assert alpha.filter.params == {"mode": "aggressive", "logtype": "file"}
    assert "^aggressive <HOST>$" in alpha.filter.failregex
    assert alpha.port == "ssh,2222" and alpha.banaction == "fw-multi"
    assert alpha.action_specs == [
        ("fw-multi", {"port": "ssh,2222", "protocol": "tcp", "chain": "<known/chain>"})
    ]
    fw = alpha.actions[0]
    assert isinstance(fw, ActionDefinition)
    assert fw.name == "fw-multi"
    assert fw.actionban == "<fw> -I f2b-alpha 1 -s <ip> -j <blocktype>"
    assert fw.family_params == {
        "inet6": {"blocktype": "REJECT --reject-with icmp6-port-unreachable", "fw": "ip6tables -w"}
    }
    assert fw.params_for_family("inet6")["fw"] == "ip6tables -w"
    assert fw.params_for_family("inet")["fw"] == "iptables -w"
    assert fw.timeout == "30" and fw.norestored is True

    beta = jails["beta"]
    assert beta.logpath == [
        "/var/log/beta-1.log",
        "/var/log/beta-2.log tail",
        "/var/log/beta-3.log",
    ]
    assert beta.logpath_specs[1] == ("/var/log/beta-2.log", "tail")
    assert beta.filter is not None and beta.filter.failregex[-1] == "^jail-level <HOST>$"
    assert beta.filter.maxlines == 3 and beta.usedns == "warn"
    assert [a.name for a in beta.actions] == ["fw-multi", "mailer", "py1", "pyact"]
    py1 = beta.actions[2]
    assert isinstance(py1, PythonActionDefinition)
    assert py1.file == os.path.join(sample_tree, "action.d", "pyact.py")
    assert py1.params == {"foo": "bar, baz"}

    assert jails["delta"].error == "Unable to read the filter 'nosuchfilter'"
    assert jails["epsilon"].error == (
        "Invalid filter definition 'flt-alpha[mode': unexpected option syntax"
    )
    assert jails["zeta"].error == "Unable to read action 'nosuchaction'"
    eta = jails["eta"]
    assert eta.maxretry is None and eta.filter is not None and eta.filter.name == ""
    assert eta.bantime_increment == {"increment": True, "factor": "2", "maxtime": "1w"}
    assert "gamma" not in jails  # disabled


def test_read_single_jail(sample_tree: str) -> None:
    gamma = read_jail("gamma", sample_tree)
    assert gamma is not None and not gamma.enabled
    assert (
        gamma.filter is not None
        and gamma.filter.prefregex == "^override <F-CONTENT>.+</F-CONTENT>$"
    )
    assert gamma.filter.datepattern == "^%Y-%m-%d"
    assert gamma.filter.journalmatch == ["_COMM=gamma"]
    assert gamma.filter.logtype == "journal"  # systemd backend
    assert read_jail("gamma", sample_tree, force_enable=False) is None


def test_parse_ini_dialect() -> None:
    ini = parse_ini(
        "[DEFAULT]\nA = 1\n[s]\n"
        "Multi = one ; inline comment\n"
        "  two # kept\n"
        "\n"
        "  # skipped comment line\n"
        "  three\n"
        "\n"
        "colon: x;y\n",
        "mem.conf",
    )
    assert ini.defaults == {"a": "1"}
    assert ini.sections == {"s": {"multi": "one\ntwo # kept\n\nthree", "colon": "x;y"}}
    assert ini.origins[("s", "colon")].line == 10


def test_interpolation_and_known(tmp_path: os.PathLike[str]) -> None:
    base = str(tmp_path)
    with open(os.path.join(base, "t.conf"), "w", encoding="utf-8") as fh:
        fh.write("[DEFAULT]\nd = D\n[s]\nv = conf-%(d)s\nname = %(__name__)s\n")
    with open(os.path.join(base, "t.local"), "w", encoding="utf-8") as fh:
        fh.write("[s]\nv = local+%(known/v)s\n[Init?family=inet6]\nk = 6\n")
    cfg = ConfigLoader().read(base, "t")
    assert isinstance(cfg, Config)
    assert cfg.get("s", "v") == "local+conf-D"
    assert cfg.get("s", "NAME") == "s"
    assert cfg.get("s", "v", raw=True) == "local+%(known/v)s"
    assert cfg.get("s", "x", vars={"X": "from vars"}) == "from vars"
    assert cfg.sections["Init"] == {"k?family=inet6": "6"}
    assert cfg.files == [os.path.join(base, "t.conf"), os.path.join(base, "t.local")]


def test_tags() -> None:
    out = substitute_recursive_tags(
        {"a": "<b>-<HOST>", "b": "<c>", "c": "C", "d": "<x-<c>>", "x-C": "deep"},
        lookup=lambda name: "looked-up" if name == "e" else None,
    )
    assert out == {"a": "C-<HOST>", "b": "C", "c": "C", "d": "deep", "x-C": "deep"}
    assert (
        substitute_recursive_tags({"a": "<e>", "b": "<ip>"}, ignore={"ip"}, lookup=lambda n: "E")[
            "a"
        ]
        == "E"
    )
    with pytest.raises(TagSubstitutionError):
        substitute_recursive_tags({"a": "<a>"})
    with pytest.raises(TagSubstitutionError):
        substitute_recursive_tags({"a": "x<b>", "b": "y<a>"})


def test_option_specs() -> None:
    assert extract_options("sshd[mode=aggressive, x=\"v, w\"][y='z]']") == (
        "sshd",
        {"mode": "aggressive", "x": "v, w", "y": "z]"},
    )
    assert [s.strip() for s in split_with_options('a[x="1 2"]\n b c[y=3,\n z=4]')] == [
        'a[x="1 2"]',
        "b",
        "c[y=3,\n z=4]",
    ]


def test_stock_sshd_modes_if_installed() -> None:
    if not os.path.isfile("/etc/fail2ban/filter.d/sshd.conf"):
        pytest.skip("no /etc/fail2ban")
    normal = read_filter("sshd")
    aggressive = read_filter("sshd[mode=aggressive]")
    assert normal.maxlines == 1 and normal.datepattern == "{^LN-BEG}"
    assert len(aggressive.failregex) > len(normal.failregex)
    assert aggressive.params == {"mode": "aggressive"}
    assert normal.journalmatch_args == [["_SYSTEMD_UNIT=sshd.service", "+", "_COMM=sshd"]]
    journal = read_filter("sshd", backend="systemd")
    assert journal.logtype == "journal" and journal.prefregex != normal.prefregex
