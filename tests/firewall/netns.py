"""Two network namespaces joined by a veth pair, for tests that need a real firewall.

``client`` (10.231.0.1, fd00:231::1) and ``server`` (10.231.0.2, fd00:231::2) see each
other over ``veth``.  Firewall code under test runs *inside* ``server`` -- either as a
subprocess (:meth:`NetnsPair.run`) or in-process: :meth:`NetnsPair.inside` moves the
calling thread into the namespace (``setns``), and every ``nft``/``iptables``/``sh`` the
code starts from that thread inherits it.  The host's firewall is never touched.

Sockets belong to the namespace they were created in, so :meth:`listen` and
:meth:`can_connect` need no helper processes.  Everything is removed on exit, also when
the test fails.  Use :func:`skip_unless_netns` to skip (with the reason) when not root or
when ``ip netns`` does not work here.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from veth import End, delete_namespaces, join_namespaces

__all__ = ["NetnsPair", "netns_unavailable", "nft_in", "skip_unless_netns"]

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def netns_unavailable() -> str | None:
    """Why network-namespace tests cannot run here; None when they can."""
    if os.geteuid() != 0:
        return "firewall tests need root (network namespaces, nft)"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    probe = f"hbprobe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns add does not work here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def skip_unless_netns() -> None:
    """pytest.skip with the reason when namespaces are unavailable."""
    import pytest

    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)


@dataclass
class NetnsPair:
    """A client and a server namespace; use as a context manager."""

    tag: str = field(default_factory=lambda: f"{os.getpid() % 100000}")
    client_v4: str = "10.231.0.1"
    server_v4: str = "10.231.0.2"
    client_v6: str = "fd00:231::1"
    server_v6: str = "fd00:231::2"

    def __post_init__(self) -> None:
        self.client = f"hb-{self.tag}-c"
        self.server = f"hb-{self.tag}-s"
        self._sockets: list[socket.socket] = []

    # -- set-up and tear-down ------------------------------------------------------------

    def __enter__(self) -> NetnsPair:
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create(self) -> None:
        join_namespaces(
            End(self.client, f"hbc{self.tag}", self.client_v4, self.client_v6),
            End(self.server, f"hbs{self.tag}", self.server_v4, self.server_v6),
        )

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
        delete_namespaces(self.client, self.server)

    # -- running things inside -------------------------------------------------------------

    def run(self, ns: str, *argv: str, stdin: str | None = None) -> str:
        """Run ``argv`` in namespace ``ns``; its stdout.  A failure raises."""
        proc = subprocess.run(
            ["ip", "netns", "exec", ns, *argv], input=stdin, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} in {ns} failed: {proc.stderr.strip()}")
        return proc.stdout

    def try_run(self, ns: str, *argv: str) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in ``ns``; the finished process, whatever its exit status."""
        return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True)

    def wrap_tools(self, directory: str, ns: str, tools: Iterable[str]) -> str:
        """Write ``directory/<tool>`` scripts running the real tool inside ``ns``.

        Put ``directory`` first in PATH and shell commands that call ``nft`` or
        ``iptables`` by name (fail2ban's action.d files) reach the namespace's firewall,
        whichever thread or process runs them.
        """
        os.makedirs(directory, exist_ok=True)
        for tool in tools:
            real = shutil.which(tool)
            if real is None:
                continue
            path = os.path.join(directory, tool)
            with open(path, "w") as fh:
                fh.write(f'#!/bin/sh\nexec ip netns exec {ns} {real} "$@"\n')
            os.chmod(path, 0o755)
        return directory

    @contextlib.contextmanager
    def inside(self, ns: str) -> Iterator[None]:
        """Move this thread into ``ns`` for the block (its children inherit it)."""
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(home)
        finally:
            os.close(target)
            os.close(home)

    # -- traffic probes --------------------------------------------------------------------

    def listen(self, port: int = 2222) -> None:
        """TCP listeners on ``port`` in ``server``, on its IPv4 and IPv6 addresses."""
        with self.inside(self.server):
            for addr in (self.server_v4, self.server_v6):
                family = socket.AF_INET6 if ":" in addr else socket.AF_INET
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((addr, port))
                sock.listen(128)
                self._sockets.append(sock)
        # A fresh veth takes a moment to get its carrier (and IPv6 its neighbours): wait
        # until both addresses answer, so a later failed probe means "blocked".
        for addr in (self.server_v4, self.server_v6):
            deadline = time.monotonic() + 10
            while not self.can_connect(addr, port, timeout=0.2):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{addr} port {port} is not reachable from the client")

    def can_connect(self, dst: str, port: int = 2222, timeout: float = 0.5) -> bool:
        """Whether a TCP connect from ``client`` to ``dst`` completes within ``timeout``.

        A dropped SYN times out, a rejected one is refused: both mean "blocked".
        """
        family = socket.AF_INET6 if ":" in dst else socket.AF_INET
        with self.inside(self.client):
            sock = socket.socket(family, socket.SOCK_STREAM)
        with sock:
            sock.settimeout(timeout)
            try:
                sock.connect((dst, port))
            except (TimeoutError, ConnectionRefusedError):
                return False
            except OSError as exc:
                if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED):
                    return False
                raise
        # Drain the accepted connection so the backlog never fills across many probes.
        self._accept_pending()
        return True

    def _accept_pending(self) -> None:
        for sock in self._sockets:
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                while True:
                    conn, _ = sock.accept()
                    conn.close()


def nft_in(pair: NetnsPair, *argv: str) -> str:
    """``nft argv`` inside the server namespace (for assertions)."""
    return pair.run(pair.server, "nft", *argv)
