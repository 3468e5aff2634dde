"""``python -m hyperban.client`` end to end against our socket server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest
from control_helpers import have_fail2ban, run_stock_client, short_tmp_dir


def client(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hyperban.client", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_ping(served: Any) -> None:
    path, _, _ = served
    result = client("-s", path, "ping")
    assert (result.returncode, result.stdout, result.stderr) == (0, "Server replied: pong\n", "")
    assert client("-s", path, "ping", "2").returncode == 0


def test_no_server(tmp_path: Any) -> None:
    missing = os.path.join(short_tmp_dir(tmp_path), "missing.sock")
    result = client("-s", missing, "ping")
    assert result.returncode == 255 and result.stdout == ""
    assert f"Failed to access socket path: {missing}. Is hyperban running?" in result.stderr


def test_stale_socket_is_explained(tmp_path: Any) -> None:
    import socket

    path = os.path.join(short_tmp_dir(tmp_path), f"stale-{os.getpid()}.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()
    try:
        result = client("-s", path, "status")
    finally:
        os.unlink(path)
    assert result.returncode == 255
    assert "Unable to contact server" in result.stderr and "Connection refused" in result.stderr


def test_socket_from_config_dir(served: Any, tmp_path: Any) -> None:
    path, _, _ = served
    confdir = tmp_path / "conf"
    confdir.mkdir()
    (confdir / "fail2ban.conf").write_text("[Definition]\nsocket = /nonexistent/f2b.sock\n")
    (confdir / "fail2ban.local").write_text(f"[Definition]\nsocket = {path}\n")
    result = client("-c", str(confdir), "status")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Status\n|- Number of jail:\t2\n`- Jail list:\tnginx, sshd\n"
    assert result.stderr == ""  # the config reader's notes stay quiet by default


def test_errors_and_exit_status(served: Any) -> None:
    path, _, _ = served
    result = client("-s", path, "status", "nope")
    assert (result.returncode, result.stdout) == (255, "Sorry but the jail 'nope' does not exist\n")
    result = client("-s", path, "get", "sshd")
    assert (result.returncode, result.stdout) == (255, "Sorry but the command is invalid\n")
    assert "usage: get JAIL PARAM" in result.stderr  # the detail, on stderr
    result = client("-s", path, "frobnicate")
    assert (result.returncode, result.stdout) == (255, "Invalid command\n")
    result = client("-s", path, "-q", "set", "sshd", "maxretry", "x")
    assert result.returncode == 255 and "invalid literal" in result.stdout


def test_options_before_command_only(served: Any) -> None:
    path, _, _ = served
    # getopt stops at the command, so --options of the command reach the daemon.
    result = client("-s", path, "unban", "--all")
    assert (result.returncode, result.stdout) == (0, "2\n")
    result = client("-s", path, "set", "sshd", "unbanip", "--report-absent", "203.0.113.1")
    assert result.returncode == 255 and "not banned" in result.stdout


@pytest.mark.parametrize(
    ("args", "call"),
    [
        (["reload"], (None, False, False, False)),
        (["reload", "--all"], (None, False, False, False)),
        (["reload", "--unban", "sshd"], ("sshd", False, True, False)),
        (["restart", "--if-exists", "sshd"], ("sshd", True, False, True)),
    ],
)
def test_reload_forms(served: Any, args: list[str], call: tuple) -> None:
    path, target, _ = served
    result = client("-s", path, *args)
    assert (result.returncode, result.stdout) == (0, "OK\n"), result.stderr
    assert target.calls[-1] == ("reload", call)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # (a daemon answers on the socket: see tests/daemon/test_client_start.py)
        (["start"], "Server already running"),
        (["reload", "a", "b"], "Unexpected argument(s) for reload"),
        (["ping", "soon"], "ping needs a timeout"),
    ],
)
def test_refused_locally(served: Any, args: list[str], message: str) -> None:
    path, _, _ = served
    result = client("-s", path, *args)
    assert result.returncode == 255 and message in result.stderr


def test_reload_bad_option_reported_by_daemon(served: Any) -> None:
    path, _, _ = served
    result = client("-s", path, "reload", "--bogus")
    assert result.returncode == 255 and "--bogus" in result.stdout


@pytest.mark.skipif(not have_fail2ban(), reason="needs Debian's fail2ban (the oracle)")
@pytest.mark.parametrize(
    "span", ["1d 2h", "1.5m", "10m", "-1", "1h+30m", "2*3d", "1y-6mo", "0.5", "3 weeks"]
)
def test_str2sec_prints_what_fail2ban_client_prints(span: str) -> None:
    ours = client("--str2sec", span)
    theirs = subprocess.run(
        ["/usr/bin/python3", "/usr/bin/fail2ban-client", "--str2sec", span],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)
    assert ours.returncode == 0


def test_str2sec_of_a_bad_span_names_it() -> None:
    bad = client("--str2sec", "bogus")
    assert bad.returncode == 255 and "invalid time span 'bogus'" in bad.stderr


def test_help_and_usage() -> None:
    result = client("--help")
    assert result.returncode == 0
    for needle in ("Usage:", "-s, --socket", "status <JAIL> [FLAVOR]", "set <JAIL> banip",
                   "unban --all", "get <JAIL> banip", "Exit status"):  # fmt: skip
        assert needle in result.stdout
    assert client().returncode == 255  # no command
    assert client("--no-such-option", "ping").returncode == 255
    assert client("help").returncode == 0
    version = client("-V")
    assert version.returncode == 0 and version.stdout.startswith("hyperban v")


def test_stop(served: Any) -> None:
    path, target, server = served
    target.on_stop = server.stop
    result = client("-s", path, "stop")
    assert (result.returncode, result.stdout) == (0, "Shutdown successful\n")
    deadline = time.monotonic() + 5
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client("-s", path, "ping").returncode == 255


SAME_OUTPUT = [
    ["ping"],
    ["version"],
    ["status"],
    ["status", "sshd"],
    ["status", "sshd", "short"],
    ["status", "nope"],
    ["get", "loglevel"],
    ["get", "logtarget"],
    ["get", "dbfile"],
    ["get", "dbpurgeage"],
    ["get", "sshd", "logpath"],
    ["get", "sshd", "ignoreip"],
    ["get", "sshd", "failregex"],
    ["get", "sshd", "ignoreregex"],
    ["get", "sshd", "datepattern"],
    ["get", "sshd", "actions"],
    ["get", "sshd", "banip"],
    ["get", "sshd", "banip", ";"],
    ["get", "sshd", "banip", "--with-time"],
    ["get", "sshd", "banned"],
    ["get", "sshd", "banned", "192.0.2.1", "192.0.2.9"],
    ["get", "sshd", "maxretry"],
    ["banned"],
    ["banned", "192.0.2.1"],
    ["get", "sshd"],
    ["frobnicate"],
]


@pytest.mark.skipif(not have_fail2ban(), reason="needs Debian's fail2ban")
@pytest.mark.parametrize("args", SAME_OUTPUT, ids=" ".join)
def test_same_output_as_stock_client(served: Any, args: list[str]) -> None:
    path, _, _ = served
    ours, theirs = client("-s", path, *args), run_stock_client(path, *args)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)


def _interactive(path: str, lines: str, *first: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hyperban.client", "-s", path, "-i", *first],
        input=lines,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_interactive_mode(served: Any) -> None:
    # fail2ban-client -i: one command per line at a prompt, split as a shell splits
    # words; 'help' prints the usage, 'exit'/'quit' ends with 0, the end of input
    # with 255
    path, target, _ = served
    result = _interactive(path, 'ping\n\nreload --restart "sshd"\nhelp\nquit\n')
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("hyperban> ") == 5
    assert "Server replied: pong" in result.stdout and "Usage:" in result.stdout
    assert target.calls[-1] == ("reload", ("sshd", True, False, False))
    result = _interactive(path, 'ping\nbogus "unclosed\n')
    assert result.returncode == 255 and result.stdout.endswith("hyperban> \n")
    assert "No closing quotation" in result.stderr
    # a command given after the options runs first
    result = _interactive(path, "exit\n", "ping")
    assert result.returncode == 0 and result.stdout.startswith("Server replied: pong\n")


@pytest.mark.parametrize("flag", ["-d", "--dp", "--dump-pretty"])
def test_configuration_dump_is_explained(flag: str) -> None:
    # fail2ban-client's dump of the stream it sends a new server: hyperban's daemon
    # reads its configuration itself, and the client says so
    result = client(flag)
    assert result.returncode == 255 and result.stdout == ""
    assert f"{flag}: there is no configuration stream to dump" in result.stderr
    assert "-t tests it" in result.stderr
