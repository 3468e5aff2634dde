"""Current bans of one jail.

Semantics follow fail2ban's ``BanManager``: :meth:`BanManager.addBanTicket` refuses
already-expired tickets and ids already banned (possibly prolonging the existing ban);
:meth:`BanManager.unBanList` removes and returns the tickets whose ban ended before
``now``.  Time is read from the injected :class:`~hyperban.server.clock.Clock`, or passed
explicitly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from .clock import Clock
from .clock import clock as default_clock
from .ticket import BanTicket, Ticket

__all__ = ["BanManager"]


class BanManager:
    def __init__(self, banTime: int = 600, clock: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self._banList: dict[Any, Ticket] = {}
        self._banTime = int(banTime)
        self._banTotal = 0
        self._clock = clock if clock is not None else default_clock
        #: earliest end of ban among current bans (skips useless scans)
        self._nextUnbanTime: float = BanTicket.MAX_TIME

    # -- settings / counters --------------------------------------------------------------

    def setBanTime(self, value: int | float) -> None:
        """Default ban time of the jail in seconds (``-1``: permanent)."""
        self._banTime = int(value)

    def getBanTime(self) -> int:
        return self._banTime

    def setBanTotal(self, value: int) -> None:
        self._banTotal = value

    def getBanTotal(self) -> int:
        """Number of bans added since start (including ones already lifted)."""
        return self._banTotal

    def size(self) -> int:
        """Number of ids currently banned."""
        return len(self._banList)

    __len__ = size

    def __contains__(self, fid: object) -> bool:
        return fid in self._banList

    def __iter__(self) -> Iterator[Ticket]:
        return iter(list(self._banList.values()))

    def getBanList(self, ordered: bool = False, withTime: bool = False) -> list[Any]:
        """Banned ids; ``ordered`` sorts by end of ban, ``withTime`` gives descriptive lines
        ``"<id> \\t<start> + <bantime> = <end>"``."""
        if not ordered:
            return list(self._banList)
        with self._lock:
            items = [(t, t.getEndOfBanTime(self._banTime)) for t in self._banList.values()]
        items.sort(key=lambda item: item[1])
        if withTime:
            t2s = self._clock.time2str
            return [
                f"{t.getID()} \t{t2s(t.getTime())} + {t.getBanTime(self._banTime)} = "
                f"{t2s(min(eob, 253402300799))}"
                for t, eob in items
            ]
        return [t.getID() for t, _ in items]

    # -- bans -----------------------------------------------------------------------

    def inBanList(self, ticket: Ticket) -> bool:
        return ticket.getID() in self._banList

    _inBanList = inBanList

    def addBanTicket(
        self, ticket: Ticket, reason: dict[str, Any] | None = None, now: float | None = None
    ) -> bool:
        """Ban ``ticket``; True if the id was not banned yet.

        False when the ticket's ban already ended (``reason["expired"]``), or when the id is
        already banned (``reason["ticket"]`` is the existing ticket).  In the latter case, if
        the new end of ban is later, the existing ticket's ban time is extended
        (``reason["prolong"]``): to the new ban time plus the delay between both ban starts,
        or to permanent.
        """
        if reason is None:
            reason = {}
        eob = ticket.getEndOfBanTime(self._banTime)
        if eob < (self._clock.time() if now is None else now):
            reason["expired"] = 1
            return False
        with self._lock:
            fid = ticket.getID()
            old = self._banList.get(fid)
            if old is not None:
                reason["ticket"] = old
                if eob > old.getEndOfBanTime(self._banTime):
                    reason["prolong"] = 1
                    btm = ticket.getBanTime(self._banTime)
                    assert btm is not None
                    if btm != -1:
                        delay = ticket.getTime() - old.getTime()
                        if delay > 0:
                            btm += delay
                    old.setBanTime(btm)
                return False
            self._banList[fid] = ticket
            self._banTotal += 1
            ticket.incrBanCount()
            if eob < self._nextUnbanTime:
                self._nextUnbanTime = eob
            return True

    def getTicket(self, fid: Any) -> Ticket | None:
        """The ban ticket of ``fid`` (left in place), or None."""
        with self._lock:
            return self._banList.get(fid)

    def getTicketByID(self, fid: Any) -> Ticket | None:
        """Remove and return the ban ticket of ``fid`` (None if not banned), as fail2ban."""
        with self._lock:
            return self._banList.pop(fid, None)

    delBanTicket = getTicketByID

    def unBanList(self, time: float, maxCount: int = 0x7FFFFFFF) -> list[Ticket]:
        """Remove and return (at most ``maxCount``) tickets whose ban ended before ``time``.

        Permanent bans never end.
        """
        with self._lock:
            if self._nextUnbanTime > time:
                return []
            expired: dict[Any, Ticket] = {}
            nextUnban: float = BanTicket.MAX_TIME
            for fid, ticket in self._banList.items():
                eob = ticket.getEndOfBanTime(self._banTime)
                if time > eob:
                    expired[fid] = ticket
                    if len(expired) >= maxCount:
                        # scan stopped early: keep checking on next call
                        nextUnban = self._nextUnbanTime
                        break
                elif eob < nextUnban:
                    nextUnban = eob
            self._nextUnbanTime = nextUnban
            for fid in expired:
                del self._banList[fid]
            return list(expired.values())

    def unBanExpired(self, now: float | None = None) -> list[Ticket]:
        """:meth:`unBanList` at ``now`` (default: the clock's time)."""
        return self.unBanList(self._clock.time() if now is None else now)

    def flushBanList(self) -> list[Ticket]:
        """Remove and return all bans."""
        with self._lock:
            tickets = list(self._banList.values())
            self._banList = {}
            self._nextUnbanTime = BanTicket.MAX_TIME
            return tickets
