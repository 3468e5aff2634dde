"""A real OpenSSH ``sshd`` in a "server" network namespace, attacked from an "attacker"
namespace over a veth pair: the ground for hyperban's end-to-end tests.

Usage::

    with sshd_lab(tmp_path) as lab:
        lab.failed_login("root", "wrong")          # one "Failed password" from the attacker
        lab.wait_for_log(r"Failed password for root from " + re.escape(lab.attacker_ip))
        daemon = lab.popen_server([sys.executable, "-m", "hyperban", "-f", "-c", confdir])
        assert not lab.can_connect()               # once banned in the server's nftables

The log file (``lab.log_path``) is in the classic syslog format auth.log has,
``Nov 26 12:00:00 sshd-lab sshd[PID]: <message>``, so the stock and the bundled sshd
filters read it as they would read ``/var/log/auth.log``.  sshd itself cannot write that
format: its ``-E`` file has neither dates nor tags, and its syslog output needs a
``/dev/log`` this machine may not have.  So sshd runs with ``-e`` (messages on stderr)
and a thread here stamps each line with the time it arrived and appends it, flushed at
once.  PID is the listener's for every line (sshd's stderr does not say which child
wrote it).

Addresses: server 192.0.2.1 / 2001:db8:5::1, attacker 192.0.2.2 / 2001:db8:5::2
(documentation ranges, never in a default ``ignoreip``).  Everything started here -- sshd,
processes from :meth:`SshdLab.popen_server`, the namespaces -- is removed on exit, also
when the test fails.  The host's own network and firewall are never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from veth import End, delete_namespaces, join_namespaces

__all__ = ["LoginAttempt", "SshdLab", "sshd_lab", "unavailable_reason"]

SSHD = "/usr/sbin/sshd"  # absolute: sshd re-executes itself for every connection
TOOLS = ("ip", "ssh", "ssh-keygen", "sshpass")
# sshd refuses to start without its privilege-separation directory (Debian's path).
PRIVSEP_DIR = Path("/run/sshd")
LOG_HOSTNAME = "sshd-lab"


def unavailable_reason() -> str | None:
    """Why the lab cannot run here (for ``pytest.skip``); None when it can."""
    if os.geteuid() != 0:
        return "the sshd lab needs root (network namespaces, sshd)"
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} is missing (apt-get install openssh-server)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing commands: {', '.join(missing)} (apt-get install openssh-client sshpass)"
    probe = f"hbsshprobe{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns add does not work here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


@dataclass(frozen=True)
class LoginAttempt:
    """How one :meth:`SshdLab.failed_login` ended (ssh's exit status and messages)."""

    returncode: int
    stderr: str

    @property
    def rejected(self) -> bool:
        """sshd answered and refused the password (it logged the failure)."""
        return "Permission denied" in self.stderr

    @property
    def unreachable(self) -> bool:
        """ssh could not connect at all: timed out or refused (e.g. banned)."""
        return not self.rejected and self.returncode == 255


@dataclass
class SshdLab:
    """The running lab; made by :func:`sshd_lab`, valid inside its ``with`` block."""

    workdir: Path
    port: int
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    server_ip: str = "192.0.2.1"
    attacker_ip: str = "192.0.2.2"
    server_ip6: str = "2001:db8:5::1"
    attacker_ip6: str = "2001:db8:5::2"

    def __post_init__(self) -> None:
        self.server_ns = f"hbssh-{self.tag}-srv"
        self.attacker_ns = f"hbssh-{self.tag}-atk"
        self.log_path = self.workdir / "auth.log"
        self.sshd: subprocess.Popen[bytes] | None = None
        self._started: list[subprocess.Popen[Any]] = []
        self._log_thread: threading.Thread | None = None

    # -- running things in the namespaces ------------------------------------------------

    def exec_server(
        self, argv: Sequence[str], *, timeout: float = 60, check: bool = False, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the server namespace to completion (output captured as text)."""
        return _run_in(self.server_ns, argv, timeout=timeout, check=check, **kw)

    def exec_attacker(
        self, argv: Sequence[str], *, timeout: float = 60, check: bool = False, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the attacker namespace to completion."""
        return _run_in(self.attacker_ns, argv, timeout=timeout, check=check, **kw)

    def popen_server(self, argv: Sequence[str], **kw: Any) -> subprocess.Popen[Any]:
        """Start ``argv`` in the server namespace (e.g. the daemon); it is killed on exit
        of the lab if still running.  Keyword arguments go to :class:`subprocess.Popen`."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.server_ns, *argv], **kw)
        self._started.append(proc)
        return proc

    # -- what the attacker does ----------------------------------------------------------

    def failed_login(
        self,
        user: str = "root",
        password: str = "wrong",
        *,
        ipv6: bool = False,
        timeout: float = 30,
    ) -> LoginAttempt:
        """One password login attempt from the attacker; with a wrong password sshd logs
        ``Failed password for [invalid user ]USER from ATTACKER port N ssh2``."""
        host = self.server_ip6 if ipv6 else self.server_ip
        argv = [
            "sshpass", "-e", "ssh", "-F", "/dev/null", "-p", str(self.port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no",
            "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=5",
            "-o", "LogLevel=ERROR", "-l", user, host, "true",
        ]  # fmt: skip
        env = {**os.environ, "SSHPASS": password}  # -e: not in argv, not in ps
        done = self.exec_attacker(argv, timeout=timeout, env=env)
        return LoginAttempt(done.returncode, done.stderr)

    def can_connect(
        self, *, port: int | None = None, ipv6: bool = False, timeout: float = 2.0
    ) -> bool:
        """Whether a TCP connect from the attacker to the server completes in ``timeout``.

        A dropped SYN times out and a rejected one is refused: both are False.
        """
        host = self.server_ip6 if ipv6 else self.server_ip
        probe = (
            "import socket, sys\n"
            "try:\n"
            f"    socket.create_connection(({host!r}, {port or self.port}), {timeout}).close()\n"
            "except OSError:\n"
            "    sys.exit(1)\n"
        )
        done = self.exec_attacker([sys.executable, "-c", probe], timeout=timeout + 30)
        return done.returncode == 0

    tcp_connect_ok = can_connect

    # -- the sshd log ----------------------------------------------------------------------

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_mark(self) -> int:
        """The log's current size: pass it as ``since`` to wait only for newer lines."""
        return self.log_path.stat().st_size

    def wait_for_log(self, pattern: str, *, since: int = 0, timeout: float = 15) -> str:
        """The first log line (after byte ``since``) that ``pattern`` searches; raises
        TimeoutError with the log's tail when none comes within ``timeout``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with self.log_path.open("rb") as f:
                f.seek(since)
                text = f.read().decode("utf-8", "replace")
            for line in text.splitlines():
                if regex.search(line):
                    return line
            if time.monotonic() > deadline:
                tail = "\n".join(self.log_text().splitlines()[-20:])
                raise TimeoutError(f"no sshd log line matched {pattern!r}; log tail:\n{tail}")
            time.sleep(0.05)

    # -- set-up and tear-down (used by sshd_lab) -----------------------------------------------

    def _create_network(self) -> None:
        join_namespaces(
            End(self.server_ns, f"hbx{self.tag}s", self.server_ip, self.server_ip6),
            End(self.attacker_ns, f"hbx{self.tag}a", self.attacker_ip, self.attacker_ip6),
        )

    def _start_sshd(self) -> None:
        config = _write_sshd_config(self.workdir, self.port)
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        self.log_path.touch()
        self.sshd = subprocess.Popen(
            ["ip", "netns", "exec", self.server_ns, SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert self.sshd.stderr is not None
        # `ip netns exec` execs sshd in place, so this pid is the listener's.
        self._log_thread = threading.Thread(
            target=_stamp_lines,
            args=(self.sshd.stderr, self.log_path, self.sshd.pid),
            name=f"sshd-log-{self.tag}",
            daemon=True,
        )
        self._log_thread.start()
        self.wait_for_log(rf"Server listening on 0\.0\.0\.0 port {self.port}\b", timeout=15)

    def _close(self) -> None:
        for proc in [*self._started, *([self.sshd] if self.sshd else [])]:
            _stop(proc)
        if self._log_thread is not None:
            self._log_thread.join(timeout=5)
        delete_namespaces(self.server_ns, self.attacker_ns)


@contextlib.contextmanager
def sshd_lab(workdir: Path, *, port: int = 22) -> Iterator[SshdLab]:
    """Namespaces, veth and a listening sshd; all removed on exit (also on errors)."""
    workdir.mkdir(parents=True, exist_ok=True)
    lab = SshdLab(workdir=workdir, port=port)
    try:
        lab._create_network()
        lab._start_sshd()
        yield lab
    finally:
        lab._close()


# -- helpers -------------------------------------------------------------------------------


def _write_sshd_config(workdir: Path, port: int) -> Path:
    """Host key and sshd_config in ``workdir``: passwords on, PAM off (no PAM lines to
    interleave, and no /etc/pam.d dependency), VERBOSE so connections are logged."""
    key = workdir / "ssh_host_ed25519_key"
    if not key.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
            check=True, capture_output=True,
        )  # fmt: skip
    config = workdir / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 0.0.0.0\n"
        "ListenAddress ::\n"
        f"HostKey {key}\n"
        f"PidFile {workdir / 'sshd.pid'}\n"
        "PasswordAuthentication yes\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "AuthorizedKeysFile none\n"
        "LogLevel VERBOSE\n"
        "UseDNS no\n"
        # Many logins in a row must never be throttled by sshd itself: the tests want
        # hyperban, not MaxStartups, to be what turns the attacker away.
        "MaxStartups 200\n"
        "LoginGraceTime 30\n",
        encoding="utf-8",
    )
    return config


def _stamp_lines(stream: IO[bytes], log_path: Path, pid: int) -> None:
    """Copy sshd's stderr lines to ``log_path`` in syslog format until sshd exits."""
    with log_path.open("ab", buffering=0) as out:
        for raw in iter(stream.readline, b""):
            message = raw.rstrip(b"\r\n")
            stamp = time.strftime("%b %e %H:%M:%S")
            # One write per line: a reader never sees half a line.
            out.write(f"{stamp} {LOG_HOSTNAME} sshd[{pid}]: ".encode() + message + b"\n")


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _run_in(
    ns: str, argv: Sequence[str], *, timeout: float, check: bool, **kw: Any
) -> subprocess.CompletedProcess[str]:
    kw.setdefault("capture_output", True)
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv], text=True, timeout=timeout, check=check, **kw
    )
