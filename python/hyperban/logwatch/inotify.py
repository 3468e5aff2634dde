"""Linux inotify through ``ctypes`` on libc (no third-party dependency).

Only what the log watcher needs: watch directories (so creation, rename and deletion
of the logs in them are seen, as well as writes to them), read events without
blocking.  :class:`Inotify` raises :class:`OSError` when inotify is not available
(not Linux, no libc symbol, ``fs.inotify.max_user_instances`` reached...), which is
what lets the ``auto`` backend fall back to polling.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
from dataclasses import dataclass

__all__ = ["DIR_MASK", "IN_IGNORED", "IN_Q_OVERFLOW", "Event", "Inotify"]

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

#: Events on a log directory: anything that changes a log in it or the directory itself.
DIR_MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
)

_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)
_READ_SIZE = 256 << 10
# A read returns every queued event that fits; one that leaves room for a largest event
# (header + NAME_MAX + NUL) has emptied the queue.
_ROOMY = _READ_SIZE - (_HEADER.size + 256)


@dataclass(frozen=True)
class Event:
    wd: int
    mask: int
    name: str  # "" for events on the watched directory itself


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    for name in ("inotify_init1", "inotify_add_watch", "inotify_rm_watch"):
        if not hasattr(libc, name):
            raise OSError(errno.ENOSYS, f"libc has no {name}")
    libc.inotify_init1.argtypes = [ctypes.c_int]
    libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
    return libc


class Inotify:
    """One non-blocking inotify instance; :attr:`fd` is meant for ``select``/``poll``."""

    def __init__(self) -> None:
        try:
            self._libc = _libc()
        except (OSError, AttributeError) as e:
            raise OSError(errno.ENOSYS, f"inotify unavailable: {e}") from e
        fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_init1: {os.strerror(err)}")
        self.fd: int = fd

    def add_watch(self, path: str, mask: int = DIR_MASK) -> int:
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(path), mask)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), path)
        return int(wd)

    def rm_watch(self, wd: int) -> None:
        # EINVAL: the kernel already dropped it (directory deleted); nothing to do.
        self._libc.inotify_rm_watch(self.fd, wd)

    def read(self) -> list[Event]:
        """Every queued event (empty list when none)."""
        events: list[Event] = []
        while True:
            try:
                buf = os.read(self.fd, _READ_SIZE)
            except BlockingIOError:
                return events
            off = 0
            while off + _HEADER.size <= len(buf):
                wd, mask, _cookie, length = _HEADER.unpack_from(buf, off)
                off += _HEADER.size
                name = buf[off : off + length].split(b"\0", 1)[0]
                off += length
                events.append(Event(wd, mask, os.fsdecode(name)))
            if len(buf) < _ROOMY:
                return events  # queue emptied: spare the read that would fail (EAGAIN)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Inotify:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
