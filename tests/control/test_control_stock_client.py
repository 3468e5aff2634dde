"""Debian's own ``fail2ban-client`` talks to hyperban's control socket."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from control_helpers import have_fail2ban, run_stock_client

pytestmark = pytest.mark.skipif(not have_fail2ban(), reason="needs Debian's fail2ban")


SSHD_STATUS = (
    "Status for the jail: sshd\n"
    "|- Filter\n"
    "|  |- Currently failed:\t3\n"
    "|  |- Total failed:\t17\n"
    "|  `- File list:\t/var/log/auth.log\n"
    "`- Actions\n"
    "   |- Currently banned:\t2\n"
    "   |- Total banned:\t4\n"
    "   `- Banned IP list:\t192.0.2.1 192.0.2.2\n"
)


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (["ping"], "Server replied: pong\n"),
        (["ping", "2"], "Server replied: pong\n"),
        (["version"], "0.1.0\n"),
        (["status"], "Status\n|- Number of jail:\t2\n`- Jail list:\tnginx, sshd\n"),
        (["status", "sshd"], SSHD_STATUS),
        (["get", "loglevel"], "Current logging level is 'INFO'\n"),
        (["get", "logtarget"], "Current logging target is:\n`- STDERR\n"),
        (["get", "dbpurgeage"], "Current database purge age is:\n`- 86400seconds\n"),
        (["get", "sshd", "maxretry"], "5\n"),
        (["get", "sshd", "banip"], "192.0.2.1 192.0.2.2\n"),
        (["get", "sshd", "banip", ","], "192.0.2.1,192.0.2.2\n"),
        (["get", "sshd", "logpath"], "Current monitored log file(s):\n`- /var/log/auth.log\n"),
        (["get", "sshd", "failregex"], "The following regular expression are defined:\n"
         "`- [0]: ^fail (?P<host>\\S+)$\n"),
        (["get", "nginx", "ignoreip"], "No IP address/network is ignored\n"),
        (["banned", "192.0.2.1"], "[['sshd']]\n"),
        (["set", "sshd", "banip", "198.51.100.7", "198.51.100.8"], "2\n"),
        (["set", "sshd", "unbanip", "192.0.2.1"], "1\n"),
        (["unban", "--all"], "2\n"),
        (["set", "sshd", "maxretry", "9"], "9\n"),
        (["set", "loglevel", "debug"], "Current logging level is 'DEBUG'\n"),
        (["start", "sshd"], "Jail started\n"),
        (["stop", "nginx"], "Jail stopped\n"),
    ],
)  # fmt: skip
def test_stock_client_commands(served: Any, args: list[str], stdout: str) -> None:
    path, _, _ = served
    result = run_stock_client(path, *args)
    assert (result.returncode, result.stdout) == (0, stdout), result.stderr


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (["status", "nope"], "Sorry but the jail 'nope' does not exist\n"),
        (["get", "nope", "maxretry"], "Sorry but the jail 'nope' does not exist\n"),
        (["set", "nope", "banip", "192.0.2.9"], "Sorry but the jail 'nope' does not exist\n"),
        (["frobnicate"], "Invalid command\n"),
        (["get", "sshd"], "Sorry but the command is invalid\n"),
        (["start", "a", "b"], "Sorry but the command is invalid\n"),
        (["set", "sshd", "maxretry", "lots"], "invalid literal for int() with base 10: 'lots'\n"),
        (["set", "sshd", "unbanip", "--report-absent", "203.0.113.9"],
         "not banned: ['203.0.113.9']\n"),
        (["add", "web", "auto"], "'add' is not supported by hyperban\n"),
        (["get", "sshd", "action", "nope", "port"], "'Invalid Action name: nope'\n"),
    ],
)  # fmt: skip
def test_stock_client_errors(served: Any, args: list[str], stdout: str) -> None:
    path, _, _ = served
    result = run_stock_client(path, *args)
    assert (result.returncode, result.stdout) == (255, stdout), result.stderr
    assert "NOK" in result.stderr


def test_stock_client_prints_journal_matches(served: Any) -> None:
    """A journal jail's replies (shapes of fail2ban's getJournalMatch and
    FilterSystemd.status), as the daemon sends them, printed by fail2ban's client."""
    path, target, _ = served
    sshd = target.jails["sshd"]
    sshd.params["journalmatch"] = [["_SYSTEMD_UNIT=sshd.service", "_PID=1"], ["_COMM=sshd"]]
    result = run_stock_client(path, "get", "sshd", "journalmatch")
    expected = "Current match filter:\n_SYSTEMD_UNIT=sshd.service _PID=1 + _COMM=sshd\n"
    assert (result.returncode, result.stdout) == (0, expected), result.stderr
    sshd.params["journalmatch"] = []
    result = run_stock_client(path, "get", "sshd", "journalmatch")
    assert (result.returncode, result.stdout) == (0, "No journal match filter set\n")


def test_stock_client_changes_reach_the_target(served: Any) -> None:
    path, target, _ = served
    assert run_stock_client(path, "set", "sshd", "addignoreip", "10.1.0.0/16").returncode == 0
    assert "10.1.0.0/16" in target.jails["sshd"].params["ignoreip"]
    assert run_stock_client(path, "set", "sshd", "banip", "203.0.113.5").returncode == 0
    assert "203.0.113.5" in target.jails["sshd"].banned


def test_stock_client_stop(served: Any) -> None:
    path, target, server = served
    target.on_stop = server.stop
    result = run_stock_client(path, "stop")
    assert (result.returncode, result.stdout) == (0, "Shutdown successful\n"), result.stderr
    deadline = time.monotonic() + 5
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not os.path.exists(path)
    result = run_stock_client(path, "ping")
    assert result.returncode == 255
