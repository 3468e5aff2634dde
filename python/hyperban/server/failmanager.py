"""Failures per id within ``findtime``; hands out tickets once ``maxretry`` is reached.

Semantics follow fail2ban's ``FailManager``:

* the first failure of an id stores its ticket (retry 1); later ones increment retry and
  failures, append matches (keeping only the last ``maxMatches``; none if 0) and move the
  last-failure time, re-estimating retry from the rate when the first failure is older than
  ``findtime`` (:meth:`FailTicket.adjustTime`);
* :meth:`cleanup` drops ids whose last failure is at or before ``now - findtime``;
* :meth:`toBan` removes and returns the first id whose retry reached ``maxretry`` (the given
  id if it is known, otherwise any id), so counting restarts from zero for that id;
  :class:`FailManagerEmpty` when there is none.
"""

from __future__ import annotations

import threading
from typing import Any

from .ticket import BanTicket, FailTicket, Ticket

__all__ = ["FailManager", "FailManagerEmpty"]


class FailManagerEmpty(Exception):
    """No id has reached ``maxretry``."""


class FailManager:
    def __init__(self, maxRetry: int = 3, maxTime: float = 600, maxMatches: int = 5) -> None:
        self._lock = threading.Lock()
        self._failList: dict[Any, FailTicket] = {}
        self._maxRetry = maxRetry
        self._maxTime = maxTime
        self._failTotal = 0
        #: keep at most this many matched lines per id (0: keep none)
        self.maxMatches = maxMatches

    # -- settings / counters --------------------------------------------------------------

    def setFailTotal(self, value: int) -> None:
        self._failTotal = value

    def getFailTotal(self) -> int:
        return self._failTotal

    def getFailCount(self) -> tuple[int, int]:
        """(number of ids, sum of their retry counts)."""
        with self._lock:
            return len(self._failList), sum(t.getRetry() for t in self._failList.values())

    def setMaxRetry(self, value: int) -> None:
        self._maxRetry = value

    def getMaxRetry(self) -> int:
        return self._maxRetry

    def setMaxTime(self, value: float) -> None:
        """Set ``findtime`` in seconds."""
        self._maxTime = value

    def getMaxTime(self) -> float:
        return self._maxTime

    def size(self) -> int:
        return len(self._failList)

    def __contains__(self, fid: object) -> bool:
        return fid in self._failList

    def getTicket(self, fid: Any) -> FailTicket | None:
        """The current failure ticket of ``fid`` (not removed), or None."""
        with self._lock:
            return self._failList.get(fid)

    # -- failures -------------------------------------------------------------------

    def addFailure(self, ticket: Ticket, count: int = 1, observed: bool = False) -> int:
        """Record a failure; returns the id's retry count afterwards.

        ``count`` is the retry increment.  A :class:`BanTicket` (or an ``observed`` one)
        for an unknown id is not recorded and its retry count is returned as is.
        """
        with self._lock:
            fid = ticket.getID()
            current = self._failList.get(fid)
            if current is not None:
                if current is ticket:
                    # same object again: same matches, one more attempt
                    matches: list[str] | None = None
                    attempt = 1
                else:
                    matches = ticket.getMatches() if self.maxMatches else None
                    attempt = ticket.getAttempt()
                    if attempt <= 0:
                        attempt += 1
                current.adjustTime(ticket.getTime(), self._maxTime)
                current.inc(matches, attempt, count)
                if self.maxMatches:
                    kept = current.getMatches()
                    if len(kept) > self.maxMatches:
                        current.setMatches(kept[-self.maxMatches :])
                else:
                    current.setMatches(None)
            else:
                if observed or isinstance(ticket, BanTicket):
                    return ticket.getRetry()  # type: ignore[attr-defined]
                current = ticket if isinstance(ticket, FailTicket) else FailTicket.wrap(ticket)
                if count > ticket.getAttempt():
                    current.setRetry(count)
                self._failList[fid] = current
            self._failTotal += 1
            return current.getRetry()

    def take_over(self, other: FailManager) -> None:
        """Hold ``other``'s failures and total from now on (a jail restarted by a reload
        keeps counting where the old one was, as fail2ban's jail, which is not
        restarted, does)."""
        with other._lock:
            failures, total = dict(other._failList), other._failTotal
        with self._lock:
            self._failList = failures
            self._failTotal = total

    def cleanup(self, time: float) -> None:
        """Forget ids whose last failure is at or before ``time - findtime``."""
        limit = time - self._maxTime
        with self._lock:
            stale = [fid for fid, t in self._failList.items() if t.getTime() <= limit]
            for fid in stale:
                del self._failList[fid]

    def delFailure(self, fid: Any) -> None:
        with self._lock:
            self._failList.pop(fid, None)

    def toBan(self, fid: Any = None) -> FailTicket:
        """Remove and return a ticket whose retry count reached ``maxretry``.

        Checks only ``fid`` when it has failures recorded, otherwise every id (in insertion
        order).  Raises :class:`FailManagerEmpty` if none qualifies.
        """
        with self._lock:
            if fid is not None:
                # one look-up: this runs for every failure that reaches maxretry
                ticket = self._failList.get(fid)
                if ticket is not None:
                    if ticket.getRetry() < self._maxRetry:
                        raise FailManagerEmpty
                    del self._failList[fid]
                    return ticket
            for cid, ticket in self._failList.items():
                if ticket.getRetry() >= self._maxRetry:
                    del self._failList[cid]
                    return ticket
        raise FailManagerEmpty
