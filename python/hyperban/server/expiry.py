"""When bans end: one timer per (jail, id), on the Rust :class:`hyperban._core.TimerWheel`.

The observer thread sleeps until :meth:`BanExpiry.next_deadline` (or an event) and then
collects :meth:`BanExpiry.due` bans.  A ban is due once ``now >= end of ban``, and is
returned exactly once; a clock going backwards only delays it.  Permanent bans are never
scheduled.
"""

from __future__ import annotations

import threading
from typing import Any

from .._core import TimerWheel
from .ticket import Ticket

__all__ = ["BanExpiry"]

_SEP = "\x00"


def _key(jail: str, ip: Any) -> str:
    return f"{jail}{_SEP}{ip}"


class BanExpiry:
    """Timers of the current (non-permanent) bans of all jails."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wheel = TimerWheel()
        self._tickets: dict[str, tuple[str, Ticket]] = {}

    def schedule(self, jail: str, ticket: Ticket, default_bantime: float | None = None) -> bool:
        """(Re)schedule the end of ``ticket``'s ban in ``jail``; False (and any previous
        timer of that id removed) when the ban is permanent."""
        end = ticket.getEndOfBanTime(default_bantime)
        key = _key(jail, ticket.getID())
        with self._lock:
            if end >= Ticket.MAX_TIME:
                self._wheel.cancel(key)
                self._tickets.pop(key, None)
                return False
            self._wheel.schedule(key, float(end))
            self._tickets[key] = (jail, ticket)
            return True

    def cancel(self, jail: str, ip: Any) -> bool:
        key = _key(jail, ip)
        with self._lock:
            self._tickets.pop(key, None)
            return bool(self._wheel.cancel(key))

    def pop_due(self, now: float) -> list[tuple[str, Ticket]]:
        """Remove and return ``(jail, ticket)`` of every ban ending at or before ``now``."""
        with self._lock:
            keys = self._wheel.advance(float(now))
            return [self._tickets.pop(k) for k in keys if k in self._tickets]

    def due(self, now: float) -> list[tuple[str, Any]]:
        """Remove and return ``(jail, ip)`` of every ban ending at or before ``now``."""
        return [(jail, ticket.getID()) for jail, ticket in self.pop_due(now)]

    def next_deadline(self) -> float | None:
        with self._lock:
            return self._wheel.next_deadline()

    def get(self, jail: str, ip: Any) -> Ticket | None:
        entry = self._tickets.get(_key(jail, ip))
        return entry[1] if entry else None

    def __len__(self) -> int:
        return len(self._tickets)

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, tuple) or len(item) != 2:
            return False
        return _key(*item) in self._tickets
