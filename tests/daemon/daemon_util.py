"""Run the real daemon (``python -m hyperban -f``) on a throw-away config dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from hyperban.defaults import LOG_ONLY, write_config_with_banaction

__all__ = ["Daemon", "wait_until", "write_config"]


def wait_until(condition: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
    """Poll ``condition`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


def start_refused(confdir: Path) -> subprocess.CompletedProcess[str]:
    """Start the daemon in the foreground on ``confdir``, expecting it to refuse: exit
    status 255 and a message, never a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "hyperban", "-f", "-c", str(confdir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 255, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


def write_config(
    dest: Path,
    log_path: Path,
    *,
    banaction: str = LOG_ONLY,
    maxretry: int = 3,
    bantime: str = "1h",
    jail_extra: str = "",
) -> Path:
    """The bundled config with the log, state files and settings of a test."""
    write_config_with_banaction(dest, banaction)
    state = dest / "state"
    state.mkdir(parents=True, exist_ok=True)
    (dest / "fail2ban.local").write_text(
        "[Definition]\n"
        "loglevel = INFO\n"
        f"socket = {state / 'hb.sock'}\n"
        f"pidfile = {state / 'hb.pid'}\n"
        f"dbfile = {state / 'hb.sqlite3'}\n"
    )
    (dest / "jail.d" / "test.local").write_text(
        "[sshd]\n"
        f"logpath = {log_path}\n"
        f"maxretry = {maxretry}\n"
        f"bantime = {bantime}\n"
        "ignoreself = false\n"
        "ignoreip =\n" + jail_extra
    )
    return dest


class Daemon:
    """One daemon process on ``confdir``; its stderr goes to ``confdir/state/stderr``."""

    def __init__(self, confdir: Path) -> None:
        self.confdir = confdir
        self.state = confdir / "state"
        self.socket = self.state / "hb.sock"
        self.pidfile = self.state / "hb.pid"
        self.stderr_path = self.state / "stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str, wait: bool = True) -> Daemon:
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hyperban", "-f", "-c", str(self.confdir), *extra],
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        if wait:
            wait_until(self.answers, what="the daemon's control socket")
        return self

    def answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon exited with {self.proc.returncode}: {self.log()}")
        return self.client("ping", check=False).returncode == 0

    def client(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "hyperban.client", "-s", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"client {args} failed: {result.stdout}{result.stderr}")
        return result

    def banned(self) -> list[str]:
        out = self.client("get", "sshd", "banned").stdout
        return [w.strip("[],'\"") for w in out.split() if w.strip("[],'\"")]

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
