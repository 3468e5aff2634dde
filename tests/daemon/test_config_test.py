"""``-t``: the configuration test of fail2ban-server and fail2ban-client, as scripts run it
before a restart, and ``start`` after the daemon's options, as Debian's unit has it
(``fail2ban-server -xf start``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from daemon_util import Daemon, write_config
from side_by_side import needs_fail2ban

STOCK = Path("/etc/fail2ban")
F2B = {"server": "/usr/bin/fail2ban-server", "client": "/usr/bin/fail2ban-client"}
OURS = {
    "server": [sys.executable, "-m", "hyperban"],
    "client": [sys.executable, "-m", "hyperban.client"],
}


def _stock_copy(root: Path, jail_local: str) -> Path:
    etc = root / "etc"
    shutil.copytree(STOCK, etc)
    (etc / "jail.local").write_text(jail_local)
    return etc


def _test(argv: list[str], etc: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*argv, "-c", str(etc), "-t"], capture_output=True, text=True, timeout=120
    )


@needs_fail2ban
@pytest.mark.parametrize("program", ["server", "client"])
def test_sound_configuration_passes_as_in_fail2ban(tmp_path: Path, program: str) -> None:
    log = tmp_path / "auth.log"
    log.touch()
    etc = _stock_copy(tmp_path, f"[sshd]\nenabled = true\nbackend = polling\nlogpath = {log}\n")
    for argv in ([F2B[program]], OURS[program]):
        result = _test(argv, etc)
        assert (result.returncode, result.stdout) == (
            0,
            "OK: configuration test is successful\n",
        ), (argv, result.stderr)


@needs_fail2ban
@pytest.mark.parametrize("program", ["server", "client"])
def test_broken_configuration_fails_as_in_fail2ban(tmp_path: Path, program: str) -> None:
    etc = _stock_copy(tmp_path, "[sshd]\nenabled = true\nfilter = nosuchfilter\n")
    for argv in ([F2B[program]], OURS[program]):
        result = _test(argv, etc)
        assert result.returncode == 255, argv
        assert "ERROR: test configuration failed" in result.stderr, (argv, result.stderr)
        assert "Traceback" not in result.stderr
    # ours names the jail and the reason
    assert "jail 'sshd': Unable to read the filter 'nosuchfilter'" in result.stderr


def test_configuration_test_changes_nothing_on_disk(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.touch()
    confdir = write_config(tmp_path / "conf", log)
    before = sorted(p.name for p in (confdir / "state").iterdir())
    result = _test(OURS["server"], confdir)
    assert result.returncode == 0, result.stderr
    # no database, socket or pid file made
    assert sorted(p.name for p in (confdir / "state").iterdir()) == before


def test_start_after_the_options_starts_the_daemon(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.touch()
    daemon = Daemon(write_config(tmp_path / "conf", log)).start("-x", "start")
    try:
        assert daemon.client("ping").stdout == "Server replied: pong\n"
    finally:
        assert daemon.stop() == 0


def test_other_commands_after_the_options_are_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [*OURS["server"], "-c", str(tmp_path), "status"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "the daemon takes 'start' only" in result.stderr
