"""How the hub's thread learns that logs may have changed: polling or inotify.

A backend ("waiter") only *wakes* the hub; the hub then polls the :class:`FileTail`
objects concerned, which find out themselves what happened (append, rotation, ...).
So both backends share all the file logic, and inotify only saves the stat calls and
the latency of polling.

* ``polling``: wake every ``interval`` seconds and check every file (fail2ban's
  ``polling`` backend checks with ``os.stat`` about every second too).
* ``inotify``: watch the logs' *directories* (so create/rename/delete are seen, not
  only writes) and sleep in ``poll()`` until an event or a wake-up; no timer unless the
  hub asks for one (missing directory, rotated file in its grace period, ...).
* ``auto``: inotify if it can be set up, else polling (fail2ban's order without
  pyinotify/gamin, which inotify replaces).
"""

from __future__ import annotations

import logging
import os
import select
import threading
from typing import Protocol

from .inotify import IN_IGNORED, IN_Q_OVERFLOW, Inotify

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "InotifyWaiter",
    "PollingWaiter",
    "Waiter",
    "make_waiter",
]

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL = 1.0

#: File backends, and fail2ban's names that map onto them.
BACKENDS = {
    "auto": "auto",
    "polling": "polling",
    "inotify": "inotify",
    "pyinotify": "inotify",
    "gamin": "auto",  # gamin is dead; its users want change notification
}


class BackendUnavailable(RuntimeError):
    """The requested backend cannot run here (the message says why)."""


class Waiter(Protocol):
    name: str

    def watch(self, dirs: set[str]) -> set[str]:
        """Watch exactly ``dirs``; returns those that could not be watched."""
        ...

    def wait(self, timeout: float | None) -> set[str] | None:
        """Block until something may have changed, a :meth:`wake` or ``timeout``.

        Returns the paths (files or directories) that changed, or None for "check
        everything" (polling, inotify queue overflow, a watched directory vanished).
        """
        ...

    def wake(self) -> None: ...

    def close(self) -> None: ...


class PollingWaiter:
    name = "polling"

    def __init__(self, interval: float = DEFAULT_POLL_INTERVAL) -> None:
        if interval <= 0:
            raise ValueError("polling interval must be > 0")
        self.interval = interval
        self._event = threading.Event()

    def watch(self, dirs: set[str]) -> set[str]:
        return set()

    def wait(self, timeout: float | None) -> set[str] | None:
        t = self.interval if timeout is None else min(self.interval, max(timeout, 0.0))
        self._event.wait(t)
        self._event.clear()
        return None

    def wake(self) -> None:
        self._event.set()

    def close(self) -> None:
        pass


class InotifyWaiter:
    name = "inotify"

    def __init__(self) -> None:
        self._ino = Inotify()
        self._rpipe, self._wpipe = os.pipe()  # wake-up: stop, new subscription
        os.set_blocking(self._rpipe, False)
        os.set_blocking(self._wpipe, False)
        self._poller = select.poll()
        self._poller.register(self._ino.fd, select.POLLIN)
        self._poller.register(self._rpipe, select.POLLIN)
        self._wds: dict[str, int] = {}
        self._dirs: dict[int, str] = {}
        self._closing = threading.Lock()  # wake() must never write to a reused fd
        self._closed = False

    def watch(self, dirs: set[str]) -> set[str]:
        for d in set(self._wds) - dirs:
            wd = self._wds.pop(d)
            self._dirs.pop(wd, None)
            self._ino.rm_watch(wd)
        failed = set()
        for d in dirs - set(self._wds):
            try:
                wd = self._ino.add_watch(d)
            except OSError:
                failed.add(d)  # missing (yet): the hub retries on a timer
                continue
            self._wds[d] = wd
            self._dirs[wd] = d
        return failed

    def wait(self, timeout: float | None) -> set[str] | None:
        ms = None if timeout is None else max(0, int(timeout * 1000) + 1)
        ready = {fd for fd, _ in self._poller.poll(ms)}
        changed: set[str] = set()
        # only the descriptors poll() reported are read: no failing read per wait
        if self._rpipe in ready:
            try:
                while os.read(self._rpipe, 4096):
                    pass
            except BlockingIOError:
                pass
        if self._ino.fd not in ready:
            return changed
        check_all = False
        for ev in self._ino.read():
            if ev.mask & IN_Q_OVERFLOW:
                check_all = True
                continue
            d = self._dirs.get(ev.wd)
            if d is None:
                continue
            if ev.mask & IN_IGNORED:  # directory deleted/unmounted: watch again later
                del self._dirs[ev.wd]
                self._wds.pop(d, None)
                check_all = True
                continue
            changed.add(os.path.join(d, ev.name) if ev.name else d)
            changed.add(d)
        return None if check_all else changed

    def wake(self) -> None:
        with self._closing:
            if self._closed:
                return
            try:
                os.write(self._wpipe, b"\0")
            except BlockingIOError:
                pass  # the pipe is full: a wake-up is pending anyway

    def close(self) -> None:
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._ino.close()
            for fd in (self._rpipe, self._wpipe):
                os.close(fd)


def make_waiter(backend: str = "auto", poll_interval: float = DEFAULT_POLL_INTERVAL) -> Waiter:
    """The waiter for a file ``backend`` name (fail2ban's names are accepted)."""
    name = backend.strip().lower()
    if name == "systemd":
        raise ValueError(
            "backend 'systemd' reads the journal, not files: use hyperban.logwatch.JournalWatch"
        )
    kind = BACKENDS.get(name)
    if kind is None:
        raise ValueError(f"unknown backend {backend!r}; expected one of {sorted(BACKENDS)}")
    if kind == "polling":
        return PollingWaiter(poll_interval)
    try:
        return InotifyWaiter()
    except OSError as e:
        if kind == "inotify":
            raise BackendUnavailable(f"backend {backend!r} unavailable: {e}") from e
        log.info("inotify unavailable (%s): using the polling backend", e)
        return PollingWaiter(poll_interval)
