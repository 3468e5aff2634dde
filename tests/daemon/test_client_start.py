"""``start`` and ``restart`` of the daemon itself from the client, as fail2ban-client
does them for fail2ban-server.

The same sequence of commands goes, through each daemon's own client, to fail2ban and to
hyperban on their copies of the same configuration: exit status and output must be
equal.  Then the cases fail2ban-client also refuses: a bad configuration (reported with
its file and line, nothing started) and a socket file left with no daemon behind it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from side_by_side import F2B_CLIENT, Side, needs_fail2ban

SEQUENCE = ["start", "ping", "start", "restart", "ping", "stop", "stop", "restart", "stop"]


def _client(side: Side, *args: str) -> subprocess.CompletedProcess[str]:
    """The daemon's own client: Debian's fail2ban-client, or hyperban's."""
    argv = [F2B_CLIENT] if side.name == "fail2ban" else [sys.executable, "-m", "hyperban.client"]
    return subprocess.run(
        [*argv, "-c", str(side.etc), *args], capture_output=True, text=True, timeout=90
    )


@contextmanager
def _stopped(side: Side) -> Iterator[Side]:
    """``side`` with the daemon it started stopped; afterwards, whatever the client
    started is stopped too."""
    side.wait_started()
    side.stop()
    try:
        yield side
    finally:
        if _client(side, "ping").returncode == 0:
            _client(side, "stop")


@needs_fail2ban
def test_start_and_restart_answer_as_fail2ban_client(tmp_path: Path) -> None:
    answers = {}
    for name in ("fail2ban", "hyperban"):
        with _stopped(Side(name, tmp_path / name)) as side:
            answers[name] = [
                (command, done.returncode, done.stdout)
                for command in SEQUENCE
                for done in [_client(side, command)]
            ]
    assert answers["hyperban"] == answers["fail2ban"]
    # (and the sequence did what it says: started, restarted, stopped)
    assert answers["hyperban"][0] == ("start", 0, "Server ready\n")
    assert answers["hyperban"][3] == ("restart", 0, "Shutdown successful\nServer ready\n")


def test_start_refuses_a_bad_configuration(tmp_path: Path) -> None:
    with _stopped(Side("hyperban", tmp_path)) as side:
        jail_local = side.etc / "jail.local"
        jail_local.write_text(jail_local.read_text() + "this line is no option\n")
        done = _client(side, "start")
        assert done.returncode == 255
        assert "jail.local:" in done.stderr and "no option" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert not side.socket.exists()
        assert _client(side, "ping").returncode == 255


def test_start_refuses_a_stale_socket_unless_forced(tmp_path: Path) -> None:
    with _stopped(Side("hyperban", tmp_path)) as side:
        # a socket left by a daemon that died: bound, then closed without unlinking
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(str(side.socket))
        stale.close()
        done = _client(side, "start")
        assert done.returncode == 255
        assert "unexpected state" in done.stderr and str(side.socket) in done.stderr
        done = _client(side, "-x", "start")
        assert (done.returncode, done.stdout) == (0, "Server ready\n"), done.stderr
        assert _client(side, "ping").returncode == 0


@pytest.mark.parametrize("flag", ["-b", "-f"])
def test_start_options_are_accepted(tmp_path: Path, flag: str) -> None:
    # -f runs the daemon in place of the client: it is started here in the background
    # of the test and stopped through the socket
    with _stopped(Side("hyperban", tmp_path)) as side:
        argv = [sys.executable, "-m", "hyperban.client", "-c", str(side.etc), flag, "start"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            if flag == "-b":
                out, err = proc.communicate(timeout=90)
                assert (proc.returncode, out) == (0, "Server ready\n"), err
            else:
                from daemon_util import wait_until

                wait_until(lambda: _client(side, "ping").returncode == 0, 60, "the daemon")
                assert proc.poll() is None  # the client became the daemon
        finally:
            _client(side, "stop")
            proc.wait(60)
        assert proc.returncode == 0
        assert os.path.exists(side.socket) is False
