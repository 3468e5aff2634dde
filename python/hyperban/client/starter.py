"""``start`` and ``restart`` without a jail: the client starts the daemon, as
fail2ban-client starts fail2ban-server.

``start`` refuses when a daemon answers on the socket ("Server already
running") and, unless ``-x`` is given, when the socket file exists with no
daemon behind it.  It then runs ``python -m hyperban -b`` with the client's
``-c``/``-s``/``-p`` (and ``-x``): that process reads and checks the whole
configuration before it detaches, so a bad configuration is reported on
stderr with its file and line, and nothing starts.  The client then waits
(``--timeout``) for the daemon to answer and prints "Server ready".  With
``-f`` the daemon runs in the foreground instead, in place of the client.

``restart`` stops a running daemon ("Shutdown successful"), waits until it
is gone, and starts it again; with no daemon running it reports that, and
starts one.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Protocol

from hyperban.control.beautifier import beautify
from hyperban.control.protocol import ProtocolError

from .connection import ControlClient

__all__ = ["restart_daemon", "start_daemon"]

log = logging.getLogger("hyperban.client")

OK, FAILED = 0, 255


class StartOptions(Protocol):
    conf: str
    socket: str | None
    pidfile: str | None
    timeout: float
    force: bool
    foreground: bool


def answers(path: str, timeout: float = 1.0) -> bool:
    """Whether a daemon answers ``ping`` on ``path``."""
    try:
        with ControlClient(path, timeout) as client:
            code, _ = client.send(["ping"])
    except (OSError, ProtocolError):
        return False
    return code == 0


def _daemon_argv(o: StartOptions, background: bool) -> list[str]:
    argv = [sys.executable, "-m", "hyperban", "-b" if background else "-f", "-c", o.conf]
    if o.socket:
        argv += ["-s", o.socket]
    if o.pidfile:
        argv += ["-p", o.pidfile]
    if o.force:
        argv.append("-x")
    return argv


def _wait(test: Callable[[], bool], timeout: float) -> bool:
    """Poll ``test`` until it holds (True) or ``timeout`` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        if test():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def start_daemon(o: StartOptions, path: str) -> int:
    """``start``: start the daemon in the background (``-f``: the foreground)."""
    if answers(path):
        log.error("Server already running")
        return FAILED
    if not o.force and os.path.exists(path):
        log.error(
            "hyperban seems to be in unexpected state (not running but the socket exists: "
            "%s; -x removes it)",
            path,
        )
        return FAILED
    if o.foreground:
        argv = _daemon_argv(o, background=False)
        os.execv(argv[0], argv)  # (does not return)
    # The first process reads the configuration, detaches the daemon and exits:
    # 0, or 255 with the reason on stderr (which it shares with us).
    done = subprocess.run(_daemon_argv(o, background=True), stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        log.error("Failed to start server")
        return FAILED
    if not _wait(lambda: answers(path, 0.5), o.timeout):
        log.error("Failed to start server: no answer on %s within %g s", path, o.timeout)
        return FAILED
    print("Server ready")
    return OK


def restart_daemon(o: StartOptions, path: str, socket_error: Callable[[], str]) -> int:
    """``restart``: stop the running daemon (if any), then start it."""
    if answers(path):
        try:
            with ControlClient(path, o.timeout) as client:
                code, value = client.send(["stop"])
        except OSError as exc:
            log.error("Could not stop server: %s", exc)
            return FAILED
        if code != 0:
            log.error("Could not stop server: %s", value)
            return FAILED
        print(beautify(["stop"], value))
        # (gone when it no longer answers and has removed its socket)
        if not _wait(lambda: not os.path.exists(path) and not answers(path, 0.2), o.timeout):
            log.error("Could not stop server")
            return FAILED
    else:
        log.error("%s", socket_error())
    return start_daemon(o, path)
