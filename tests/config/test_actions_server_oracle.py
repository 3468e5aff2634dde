"""Stock actions read on their own, and fail2ban.conf, against the installed fail2ban."""

from __future__ import annotations

import glob
import os
from typing import Any

import pytest
from config_oracle import ETC, needs_oracle, run_oracle
from normalize import action_settings

from hyperban.config import (
    ActionDefinition,
    ConfigError,
    ConfigLoader,
    read_action,
    read_server_config,
)

pytestmark = needs_oracle

_loader = ConfigLoader()

_ACTIONS = sorted(
    os.path.basename(p)[: -len(".conf")] for p in glob.glob(os.path.join(ETC, "action.d", "*.conf"))
)
_PARAMS: list[dict[str, str]] = [
    {},
    {"name": "sshd", "port": "ssh,2222", "protocol": "udp", "chain": "<known/chain>"},
    {"name": "other", "actname": "custom", "blocktype": "DROP", "timeout": "5"},
]
_JAIL_OPTIONS = {"logpath": "/var/log/auth.log", "maxretry": 3, "bantime": "1h"}
CASES = [(a, p) for a in _ACTIONS for p in _PARAMS]


def _request(action: str, params: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": "action",
        "basedir": ETC,
        "name": action,
        "jail": "TEST",
        "opts": params,
        "jail_options": _JAIL_OPTIONS,
    }


@pytest.fixture(scope="module", autouse=True)
def _prefetch() -> None:
    run_oracle([_request(a, p) for a, p in CASES])


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{a}-{i % len(_PARAMS)}" for i, (a, _) in enumerate(CASES)]
)
def test_stock_action_matches_fail2ban(case: tuple[str, dict[str, str]]) -> None:
    action, params = case
    answer = run_oracle([_request(action, params)])[0]
    if "error" in answer:
        with pytest.raises(ConfigError):
            read_action(
                action,
                ETC,
                jail_name="TEST",
                params=params,
                jail_options=_JAIL_OPTIONS,
                loader=_loader,
            )
        return
    got = read_action(
        action, ETC, jail_name="TEST", params=params, jail_options=_JAIL_OPTIONS, loader=_loader
    )
    assert isinstance(got, ActionDefinition)
    assert got.name == answer["ok"]["name"]
    # fail2ban sends None for the options of a file without [Definition]; we leave
    # them undefined.
    expected = {k: v for k, v in answer["ok"]["settings"].items() if v is not None}
    assert action_settings(got) == expected


def test_all_stock_actions_covered() -> None:
    assert len(_ACTIONS) > 50 and "iptables-multiport" in _ACTIONS


def test_iptables_action_api() -> None:
    act = read_action("iptables-multiport[port=ssh]", ETC, jail_name="sshd", loader=_loader)
    assert isinstance(act, ActionDefinition)
    assert act.files == [
        os.path.join(ETC, "action.d", "iptables.conf"),
        os.path.join(ETC, "action.d", "iptables-multiport.conf"),
    ]
    assert act.actionban == "<iptables> -I f2b-sshd 1 -s <ip> -j <blocktype>"
    assert act.params["port"] == "ssh" and act.params["name"] == "sshd"
    assert act.family_params["inet6"]["iptables"] == "ip6tables <lockingopt>"
    assert act.actionstart is not None and "--dports ssh" in act.actionstart


def _server_expected(basedir: str) -> dict[str, Any]:
    answer = run_oracle([{"kind": "server", "basedir": basedir}])[0]
    assert "error" not in answer, answer
    out: dict[str, Any] = dict(answer["ok"]["early"])
    for cmd in answer["ok"]["stream"]:
        if cmd[1] == "thread":
            out["stacksize"] = cmd[2].get("stacksize")
        else:
            out[cmd[1]] = cmd[2]
    return out


def _server_mine(basedir: str) -> dict[str, Any]:
    cfg = read_server_config(basedir)
    keys = ("socket", "pidfile", "loglevel", "logtarget", "syslogsocket", "allowipv6")
    out = {k: getattr(cfg, k) for k in keys}
    out.update(dbfile=cfg.dbfile, dbpurgeage=cfg.dbpurgeage)
    if cfg.dbmaxmatches is not None:
        out["dbmaxmatches"] = cfg.dbmaxmatches
    if cfg.stacksize is not None:
        out["stacksize"] = cfg.stacksize
    return out


def test_stock_server_config() -> None:
    assert _server_mine(ETC) == _server_expected(ETC)


def test_sample_server_config(sample_tree: str) -> None:
    mine = _server_mine(sample_tree)
    assert mine == _server_expected(sample_tree)
    assert mine["loglevel"] == "DEBUG" and mine["logtarget"] == "SYSLOG"
    assert mine["stacksize"] == 64 and mine["socket"] == "/run/f2b.sock"
    cfg = read_server_config(sample_tree)
    assert cfg.files == [
        os.path.join(sample_tree, "fail2ban.conf"),
        os.path.join(sample_tree, "fail2ban.d", "01-debug.conf"),
        os.path.join(sample_tree, "fail2ban.local"),
    ]
    assert cfg.loglevel_value == 10 and cfg.dbpurgeage_seconds == 2 * 86400


def test_server_config_defaults_without_files(tmp_path: Any) -> None:
    cfg = read_server_config(str(tmp_path))
    assert cfg.logtarget == "STDERR" and cfg.dbpurgeage == "1d" and cfg.files == []
