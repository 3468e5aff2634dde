"""Debian's fail2ban-server and hyperban side by side, for the oracle tests: each daemon
on its own copy of ``/etc/fail2ban`` (the sshd jail on a log of the test, ``maxretry =
2``, the stock ``dummy`` action writing to a file of the test), its own log, socket,
pid file and database."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from daemon_util import wait_until

__all__ = [
    "F2B_CLIENT",
    "IGNORED",
    "Side",
    "failure_line",
    "needs_fail2ban",
    "syslog_stamp",
    "write_all",
]

F2B_CLIENT = "/usr/bin/fail2ban-client"

F2B_SERVER = "/usr/bin/fail2ban-server"
IGNORED = "192.0.2.99"  # in the jail's ignoreip
STOCK = Path("/etc/fail2ban")

needs_fail2ban = pytest.mark.skipif(
    not (os.path.exists(F2B_SERVER) and (STOCK / "action.d" / "dummy.conf").exists()),
    reason="needs Debian's fail2ban package (the oracle)",
)

# "<time> <logger> [pid]: LEVEL   [jail] message" -> (LEVEL, message)
_LINE = re.compile(r"\]: (\w+)\s+(\[[\w.-]+\] .*)$")
_LIFE = re.compile(r"\]: INFO\s+(Added logfile: .*|Jail '[\w.-]+' (?:started|stopped))$", re.M)
_BAN_SIDE = re.compile(
    r"\[[\w.-]+\] (Found |Ban |Unban |Flush |Reban |Restore |Ignore |Increase Ban |IP \S+ is bad"
    r"|.* already banned)"
)


class Side:
    """One daemon on its own copy of the configuration, log file and state."""

    def __init__(
        self,
        name: str,
        root: Path,
        more_jails: tuple[str, ...] = (),
        options: str = "maxretry = 2\nfindtime = 10m\nbantime = 1h\n",
        action_file: str | None = None,
    ) -> None:
        """``more_jails``: other stock jails, enabled on the same log as sshd;
        ``options``: the sshd jail's ban settings; ``action_file``: the text of an
        ``action.d/test-action.conf`` the sshd jail then uses (with ``target`` set to
        :attr:`action_target`) instead of the stock ``dummy``."""
        self.name = name
        self.etc = root / f"{name}-etc"
        shutil.copytree(STOCK, self.etc)
        state = root / f"{name}-state"
        state.mkdir()
        self.log = state / "daemon.log"
        self.db = state / "db.sqlite3"
        self.authlog = root / f"{name}-auth.log"
        self.authlog.touch()
        self.socket = state / "sock"
        self.action_target = state / "action.out"
        action = f"dummy[target={state / 'dummy.bans'}]"
        if action_file is not None:
            (self.etc / "action.d" / "test-action.conf").write_text(action_file)
            action = f"test-action[target={self.action_target}]"
        (self.etc / "fail2ban.local").write_text(
            "[Definition]\nloglevel = INFO\n"
            f"logtarget = {self.log}\nsocket = {self.socket}\n"
            f"pidfile = {state / 'pid'}\ndbfile = {self.db}\n"
        )
        (self.etc / "jail.local").write_text(
            "[sshd]\nenabled = true\nbackend = polling\n"
            f"logpath = {self.authlog}\n"
            f"action = {action}\n"
            f"{options}"
            f"ignoreip = 127.0.0.1/8 ::1 {IGNORED}\n"
            + "".join(
                f"[{jail}]\nenabled = true\nbackend = polling\nlogpath = {self.authlog}\n"
                f"action = dummy[target={state / (jail + '.bans')}]\n"
                "maxretry = 2\nfindtime = 10m\nbantime = 1h\n"
                for jail in more_jails
            )
        )
        self.stderr = state / "stderr"
        self.runs = 0
        self.start()

    def start(self, program: str | None = None) -> None:
        """Start the daemon (``program``: the other one, on this one's files)."""
        program = program or self.name
        argv = [F2B_SERVER] if program == "fail2ban" else [sys.executable, "-m", "hyperban"]
        with open(self.stderr, "ab") as err:
            self.proc = subprocess.Popen(
                [*argv, "-f", "-x", "-c", str(self.etc)], stdout=subprocess.DEVNULL, stderr=err
            )
        self.runs += 1

    def wait_started(self) -> None:
        """Until the jail is started (this run); the daemon must not have exited."""
        wait_until(lambda: self.started() or self.proc.poll() is not None, 60, self.name)
        assert self.proc.poll() is None, self.stderr.read_text(errors="replace")

    def logged(self, text: str) -> int:
        """How many ban-side lines contain ``text``."""
        return sum(text in message for _, message in self.ban_side())

    def wait_logged(self, text: str, count: int = 1) -> None:
        """Until at least ``count`` ban-side lines contain ``text``."""
        wait_until(lambda: self.logged(text) >= count, 30, f"{self.name} to log {text!r}")

    def started(self) -> bool:
        return self.text().count("Jail 'sshd' started") >= self.runs

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def ban_side(self) -> list[tuple[str, str]]:
        lines = []
        for line in self.text().splitlines():
            m = _LINE.search(line)
            if m and _BAN_SIDE.match(m.group(2)):
                lines.append((m.group(1), m.group(2)))
        return lines

    def life_lines(self) -> list[str]:
        """The jail's "Added logfile:", "started" and "stopped" lines, log path hidden."""
        found = _LIFE.findall(self.text())
        return [line.replace(str(self.authlog), "<log>") for line in found]

    def client(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Debian's fail2ban-client, talking to this daemon."""
        return subprocess.run(
            [F2B_CLIENT, "-c", str(self.etc), "-s", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )

    def write(self, data: bytes) -> None:
        with open(self.authlog, "ab") as fh:
            fh.write(data)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def write_all(sides: list[Side], data: bytes, until: str, count: int = 1) -> None:
    """The same lines to every daemon's log, then wait until each has logged a ban-side
    line containing ``until`` at least ``count`` times."""
    for side in sides:
        side.write(data)
    for side in sides:
        side.wait_logged(until, count)


def syslog_stamp(shift: float = 0.0) -> str:
    """Now (plus ``shift`` seconds) as syslog writes it: ``Nov  7 09:05:01`` (the day
    padded with a space)."""
    now = time.localtime(time.time() + shift)
    return f"{time.strftime('%b', now)} {now.tm_mday:2d} {time.strftime('%H:%M:%S', now)}"


def failure_line(ip: str, n: int) -> bytes:
    stamp = syslog_stamp()
    return (
        f"{stamp} host sshd[{4000 + n}]: Failed password for root from {ip} port {40000 + n} ssh2\n"
    ).encode()
