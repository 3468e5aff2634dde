"""Run a firewall tool (``nft``, ``ipset``, ``iptables``) with a script on stdin.

One place turns "binary not found" into a clear :class:`NativeActionError`, and keeps
the tool's stderr for the log when it refuses a transaction.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import NativeActionError

__all__ = ["Result", "command_available", "run", "split_command"]


@dataclass(frozen=True)
class Result:
    ok: bool
    stdout: str
    stderr: str


def split_command(command: str) -> list[str]:
    """A command parameter (``nft``, ``ip netns exec ns nft``) as argv."""
    argv = shlex.split(command)
    if not argv:
        raise NativeActionError("empty firewall command")
    return argv


def command_available(command: str) -> bool:
    """Whether the program of a command parameter is on PATH (or an executable path)."""
    return shutil.which(split_command(command)[0]) is not None


def run(argv: Sequence[str], stdin: str | None = None, *, timeout: float = 120.0) -> Result:
    """Run ``argv``; a missing program raises, a non-zero exit is a failed Result."""
    try:
        proc = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise NativeActionError(
            f"{argv[0]!r} was not found: install it (Debian: apt-get install "
            f"{_PACKAGES.get(argv[0].rsplit('/', 1)[-1], argv[0])}) or choose another banaction"
        ) from None
    return Result(proc.returncode == 0, proc.stdout, proc.stderr.strip())


_PACKAGES = {"nft": "nftables", "ipset": "ipset", "iptables": "iptables", "ip6tables": "iptables"}
