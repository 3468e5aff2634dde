"""Jails built from configuration: ignorecommand (a real shell command, injection-safe),
ignorecache, and bad values named in the error."""

from __future__ import annotations

import calendar
from pathlib import Path

import pytest

from hyperban.config.jails import read_jails
from hyperban.daemon.build import JailBuildError, build_jail
from hyperban.defaults import LOG_ONLY, write_config_with_banaction
from hyperban.server.clock import Clock

T0 = float(calendar.timegm((2026, 11, 26, 12, 0, 0)))


def _jail_config(tmp_path: Path, extra: str) -> str:
    confdir = tmp_path / "etc"
    write_config_with_banaction(confdir, LOG_ONLY)
    (confdir / "jail.d" / "t.local").write_text(
        f"[sshd]\nlogpath = {tmp_path / 'auth.log'}\nmaxretry = 1\nignoreself = false\n"
        + ("" if "ignoreip" in extra else "ignoreip =\n")
        + extra
    )
    return str(confdir)


def _failure(ip: str, user: str = "root") -> bytes:
    stamp = Clock.time2str(T0, "%Y-%m-%dT%H:%M:%S+00:00")
    return f"{stamp} host sshd[7]: Failed password for {user} from {ip} port 22 ssh2\n".encode()


def _build(confdir: str):  # type: ignore[no-untyped-def]
    (definition,) = read_jails(confdir)
    return build_jail(definition, clock=Clock(frozen_at=T0), observer=None, database=None).jail


def test_ignorecommand_runs_with_the_failure_tags(tmp_path: Path) -> None:
    marker = tmp_path / "asked"
    confdir = _jail_config(
        tmp_path,
        # exit 0 (ignore) for one address; record every address asked about
        f'ignorecommand = echo <ip> >> {marker}; test "<ip>" = 192.0.2.50\n',
    )
    jail = _build(confdir)
    assert jail.feed(_failure("192.0.2.50")) == 0
    assert jail.feed(_failure("192.0.2.51")) == 1
    assert marker.read_text().split() == ["192.0.2.50", "192.0.2.51"]


def test_ignorecommand_gets_log_values_as_data_not_code(tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    confdir = _jail_config(tmp_path, 'ignorecommand = test "<F-USER>" = admin\n')
    jail = _build(confdir)
    hostile = f"$(touch {canary})`touch {canary}`;touch {canary}"
    jail.feed(_failure("192.0.2.60", user=hostile))
    assert not canary.exists()


def test_ignorecache_avoids_asking_twice(tmp_path: Path) -> None:
    marker = tmp_path / "asked"
    confdir = _jail_config(
        tmp_path,
        f'ignorecommand = echo <ip> >> {marker}; false\nignorecache = key="<ip>", max-time=5m\n',
    )
    jail = _build(confdir)
    for _ in range(3):
        jail.feed(_failure("192.0.2.70"))
    assert marker.read_text().split() == ["192.0.2.70"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("bantime = forever-ish\n", "bantime"),
        ("ignoreip = 10.0.0.0/xx\n", "10.0.0.0/xx"),
        ("bantime.formula = __import__('os')\n", "sshd"),
    ],
)
def test_bad_values_name_the_jail_and_value(tmp_path: Path, extra: str, needle: str) -> None:
    confdir = _jail_config(tmp_path, extra)
    with pytest.raises(JailBuildError) as info:
        _build(confdir)
    assert "sshd" in str(info.value) and needle in str(info.value)
