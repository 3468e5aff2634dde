"""The daemon's pid file: refuses a second daemon, survives a stale file from a crash."""

from __future__ import annotations

import contextlib
import os

__all__ = ["PidFile", "PidFileError"]


class PidFileError(RuntimeError):
    """The pid file cannot be written, or names a daemon that is still running."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class PidFile:
    def __init__(self, path: str) -> None:
        self.path = path
        self._written = False

    def acquire(self) -> None:
        """Write our pid; :class:`PidFileError` if another live process holds the file."""
        try:
            with open(self.path) as f:
                old = int(f.read().strip() or "0")
        except FileNotFoundError:
            old = 0
        except (OSError, ValueError):
            old = 0  # unreadable or garbage: a stale file
        if old and old != os.getpid() and _alive(old):
            raise PidFileError(f"pid file {self.path}: hyperban already running as pid {old}")
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            os.makedirs(directory, mode=0o755, exist_ok=True)
            tmp = f"{self.path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(f"{os.getpid()}\n")
            os.replace(tmp, self.path)  # atomic: readers never see a half-written pid
        except OSError as exc:
            raise PidFileError(f"pid file {self.path}: {exc.strerror}") from None
        self._written = True

    def release(self) -> None:
        if not self._written:
            return
        with contextlib.suppress(OSError):
            with open(self.path) as f:
                if f.read().strip() == str(os.getpid()):
                    os.unlink(self.path)
        self._written = False
