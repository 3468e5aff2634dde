"""The observer: ban-time increment, ban bookkeeping in the database, and unbans.

One :class:`Observer` serves all jails.  Producers post events (:meth:`Observer.ban_found`,
:meth:`Observer.prolong`, :meth:`Observer.stop`); the observer

* on a new ban, looks up how often the id was banned before (in this jail, or in all jails
  with ``bantime.overalljails``), computes the increased ban time with
  :mod:`hyperban.server.bantime` when ``bantime.increment`` is on, and records the ban in
  the :class:`~hyperban.server.database.Database` (as fail2ban's ``ObserverThread.banFound``);
* schedules the end of every non-permanent ban in a :class:`BanExpiry` and calls
  ``unban(jail, ticket)`` once the ban is over (``now >= end of ban``), exactly once;
* purges the database every hour.

All logic lives in :meth:`Observer.run_once` (``now`` explicit, no threads, deterministic);
:meth:`Observer.start` runs it in a thread that sleeps on a condition until the next event,
the next end of ban or the next purge -- no polling (the sleep is cut at ``max_sleep``
seconds only so that a forward jump of the wall clock is noticed).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from hyperban.config.server import NOTICE

from .bantime import BanTimeIncrement
from .clock import Clock, seconds_text
from .clock import clock as default_clock
from .database import Database, DatabaseError
from .expiry import BanExpiry
from .ticket import Ticket

__all__ = ["JailBanTime", "Observer"]

log = logging.getLogger(__name__)

UnbanCallback = Callable[[str, Ticket], Any]


@dataclass
class JailBanTime:
    """What the observer knows of a jail: its ban time and ``bantime.*`` settings."""

    name: str
    bantime: float = 600
    increment: BanTimeIncrement = field(default_factory=BanTimeIncrement)
    # Called (on the observer's thread) with each new failure of the jail when
    # bantime.increment is on: re-counts failures of ids banned before.
    on_failure: Callable[[Ticket], Any] | None = None


class Observer:
    """Ban-time increment, database recording and unbans for all jails.

    ``unban(jail, ticket)`` is called when a ban ends; ``on_prolong(jail, ticket)`` (optional)
    when a new ban got a longer ban time than the jail's.  ``rand`` replaces
    :func:`random.random` for ``bantime.rndtime``.
    """

    PURGE_INTERVAL = 60 * 60

    def __init__(
        self,
        database: Database | None,
        unban: UnbanCallback,
        *,
        on_prolong: UnbanCallback | None = None,
        clock: Clock | None = None,
        rand: Callable[[], float] | None = None,
        purge_interval: float = PURGE_INTERVAL,
        max_sleep: float | None = 60.0,
    ) -> None:
        self.database = database
        self._unban = unban
        self._on_prolong = on_prolong
        self._clock = clock if clock is not None else default_clock
        self._rand = rand
        self._purge_interval = float(purge_interval)
        self._max_sleep = max_sleep
        self._jails: dict[str, JailBanTime] = {}
        self.expiry = BanExpiry()
        self._cond = threading.Condition()
        self._events: deque[tuple[str, str | None, Ticket | None]] = deque()
        self._stopped = False
        self._next_purge: float | None = None
        self._thread: threading.Thread | None = None

    # -- jails ------------------------------------------------------------------------

    def add_jail(
        self,
        name: str,
        bantime: float = 600,
        increment: BanTimeIncrement | Mapping[str, Any] | None = None,
        on_failure: Callable[[Ticket], Any] | None = None,
    ) -> JailBanTime:
        """Register (or reconfigure) a jail; ``increment``: settings or ``bantime.*``
        options; ``on_failure``: see :meth:`failure_found`."""
        if increment is None:
            increment = BanTimeIncrement()
        elif not isinstance(increment, BanTimeIncrement):
            increment = BanTimeIncrement.from_options(increment)
        state = JailBanTime(name, bantime, increment, on_failure)
        self._jails[name] = state
        if self.database is not None:
            self.database.addJail(name)
        return state

    def jail(self, name: str) -> JailBanTime:
        return self._jails[name]

    # -- events (any thread) -----------------------------------------------------------

    def _post(self, kind: str, jail: str | None = None, ticket: Ticket | None = None) -> None:
        with self._cond:
            self._events.append((kind, jail, ticket))
            # the thread takes every queued event at once: wake it for the first only
            if len(self._events) == 1:
                self._cond.notify()

    def ban_found(self, jail: str, ticket: Ticket) -> None:
        """A new ban of ``ticket`` in ``jail`` (ban time possibly to be increased)."""
        self.bans_found(jail, [ticket])

    def bans_found(self, jail: str, tickets: Sequence[Ticket]) -> None:
        """:meth:`ban_found` for each of ``tickets``, queued at once (at most one wake-up,
        after the last: the thread does not start on a part of them)."""
        if not tickets:
            return
        with self._cond:
            idle = not self._events
            self._events.extend(("ban", jail, ticket) for ticket in tickets)
            if idle:
                self._cond.notify()

    def wants_failures(self, jail: str) -> bool:
        """Whether :meth:`failure_found` does anything for ``jail`` (only with
        ``bantime.increment``): a jail asks once per batch of failures."""
        state = self._jails.get(jail)
        return state is not None and state.increment.increment and state.on_failure is not None

    def failure_found(self, jail: str, ticket: Ticket) -> None:
        """A new failure in ``jail`` (fail2ban's ``failureFound``): with ``bantime.increment``
        the jail's ``on_failure`` re-counts it, off the log-intake thread."""
        state = self._jails.get(jail)
        if state is not None and state.increment.increment and state.on_failure is not None:
            self._post("failure", jail, ticket)

    def prolong(self, jail: str, ticket: Ticket) -> None:
        """The ban time of ``ticket`` changed: reschedule its end."""
        self._post("prolong", jail, ticket)

    def stop(self) -> None:
        """Stop after the events posted before this one."""
        self._post("stop")

    def wake(self) -> None:
        """Make a sleeping thread recompute its deadline (e.g. after the clock moved)."""
        with self._cond:
            self._cond.notify()

    def forget(self, jail: str, ip: Any) -> bool:
        """Drop the timer of a ban lifted by other means (manual unban)."""
        return self.expiry.cancel(jail, ip)

    # -- deterministic step ---------------------------------------------------------

    def run_once(self, now: float | None = None) -> bool:
        """Process pending events, then due unbans, then the hourly purge.

        Returns False once a stop event was processed (later events are dropped).
        """
        if now is None:
            now = self._clock.time()
        with self._cond:
            events = list(self._events)
            self._events.clear()
        # one database transaction for the whole burst of events; if the database cannot
        # give one, the events are still processed (each write then stands alone)
        processed = False
        try:
            with self.database.batch() if self.database is not None and events else nullcontext():
                processed = True
                self._process_events(events, now)
        except DatabaseError as exc:
            log.error("observer: database transaction failed: %s", exc)
            if not processed:
                self._process_events(events, now)
        if self._stopped:
            return False
        for jail, ticket in self.expiry.pop_due(now):
            try:
                self._unban(jail, ticket)
            except Exception:
                log.exception("observer: unban of %s in %s failed", ticket.getID(), jail)
        self._purge_if_due(now)
        return True

    def _process_events(
        self, events: list[tuple[str, str | None, Ticket | None]], now: float
    ) -> None:
        for kind, jail, ticket in events:
            if self._stopped:
                break
            try:
                if kind == "stop":
                    self._stopped = True
                elif kind == "ban":
                    assert jail is not None and ticket is not None
                    self._ban_found(jail, ticket, now)
                elif kind == "prolong":
                    assert jail is not None and ticket is not None
                    self._schedule(jail, ticket)
                elif kind == "failure":
                    assert jail is not None and ticket is not None
                    state = self._jails.get(jail)
                    if state is not None and state.on_failure is not None:
                        state.on_failure(ticket)
            except Exception:
                log.exception("observer: %s event for %s failed", kind, jail)

    def next_wakeup(self, now: float) -> float | None:
        """When the observer has work without new events (end of ban or purge)."""
        deadlines = [d for d in (self.expiry.next_deadline(), self._purge_deadline(now)) if d]
        return min(deadlines) if deadlines else None

    def _purge_deadline(self, now: float) -> float | None:
        if self.database is None:
            return None
        if self._next_purge is None or self._next_purge - now > self._purge_interval:
            # first run, or the clock went backwards: purge one interval from now
            self._next_purge = now + self._purge_interval
        return self._next_purge

    def _purge_if_due(self, now: float) -> None:
        deadline = self._purge_deadline(now)
        if deadline is None or now < deadline:
            return
        self._next_purge = now + self._purge_interval
        assert self.database is not None
        try:
            self.database.purge()
        except Exception:
            log.exception("observer: database purge failed")

    def _schedule(self, jail: str, ticket: Ticket) -> None:
        state = self._jails.get(jail)
        self.expiry.schedule(jail, ticket, state.bantime if state else None)

    def _ban_found(self, jail: str, ticket: Ticket, now: float) -> None:
        state = self._jails.get(jail)
        if state is None:
            raise KeyError(f"unknown jail {jail!r} (add_jail first)")
        db = self.database
        if ticket.restored:  # read back from the database: only its end matters
            self._schedule(jail, ticket)
            return
        base = ticket.getBanTime(state.bantime)
        assert base is not None
        btime = base
        settings = state.increment
        if btime != -1 and ticket.getBanTime() is None and db is not None:
            btime = self._increment(jail, ticket, btime, settings, db)
        if ticket.getBanCount() < 1:
            ticket.setBanCount(1)
        if btime != -1 and ticket.getTime() + btime < now:
            log.debug("[%s] ignore old ban of %s", jail, ticket.getID())
        else:
            if btime != base:
                # fail2ban's words, with its duration and end texts
                end = ("permanent", "infinite")
                if btime != -1:
                    end = (seconds_text(btime), Clock.time2str(ticket.getTime() + btime))
                log.log(
                    NOTICE,
                    "[%s] Increase Ban %s (%d # %s -> %s)",
                    jail,
                    ticket.getID(),
                    ticket.getBanCount(),
                    *end,
                )
                if self._on_prolong is not None:
                    self._on_prolong(jail, ticket)
            if db is not None and not ticket.restored:
                db.addBan(jail, ticket, int(state.bantime))
        self._schedule(jail, ticket)

    def _increment(
        self,
        jail: str,
        ticket: Ticket,
        btime: float,
        settings: BanTimeIncrement,
        db: Database,
    ) -> float:
        """fail2ban's ``incrBanTime``: ban time of ``ticket`` after its previous bans."""
        if not (btime > 0 and settings.increment):
            return btime
        rows = db.getBan(ticket.getID(), jail, overalljails=settings.overalljails)
        for ban_count, time_of_ban, _last in rows:
            if ban_count is None:
                continue
            if ban_count >= ticket.getBanCount():
                ticket.setBanCount(ban_count + 1)
            base = btime
            btime = settings.increment_for(btime, ban_count, self._rand)
            ticket.setBanTime(btime)
            if ticket.getTime() <= time_of_ban:
                # same ban read twice (log re-read besides the database): not a new ban
                ticket.restored = True
            else:
                log.info(
                    "[%s] IP %s is bad: %s # last %s - incr %s to %s",
                    jail,
                    ticket.getID(),
                    ban_count,
                    Clock.time2str(time_of_ban),
                    seconds_text(base),
                    seconds_text(btime),
                )
            break
        return btime

    # -- restart --------------------------------------------------------------------

    def restore(
        self, jail: str | None = None, now: float | None = None
    ) -> list[tuple[str, Ticket]]:
        """Reschedule the bans still in force in the database (all jails, or ``jail``).

        Each keeps its original start and ban time, hence its remaining time; tickets are
        flagged ``restored`` and returned so the caller can re-apply the ban actions.
        """
        if self.database is None:
            return []
        if now is None:
            now = self._clock.time()
        restored: list[tuple[str, Ticket]] = []
        names = [jail] if jail is not None else list(self._jails)
        for name in names:
            state = self._jails[name]
            settings = state.increment
            if settings.increment:
                forbantime = None
                maxtime = settings.max_ban_time
                cap = int(maxtime) if maxtime is not None else None
            else:
                forbantime = state.bantime
                cap = None
            for ticket in self.database.getCurrentBans(
                jail=name, forbantime=forbantime, fromtime=now, maxBanTime=cap
            ):
                ticket.restored = True
                self._schedule(name, ticket)
                restored.append((name, ticket))
        return restored

    # -- thread ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("observer already started")
        self._thread = threading.Thread(target=self._loop, name="hyperban-observer", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _sleep(self) -> None:
        with self._cond:
            while not self._events:
                now = self._clock.time()
                wake = self.next_wakeup(now)
                if wake is not None and wake <= now:
                    return
                timeout = None if wake is None else wake - now
                if self._max_sleep is not None:
                    timeout = self._max_sleep if timeout is None else min(timeout, self._max_sleep)
                if not self._cond.wait(timeout):
                    return  # timed out: re-check the clock in run_once

    def _loop(self) -> None:
        while True:
            self._sleep()
            try:
                if not self.run_once(self._clock.time()):
                    return
            except Exception:  # pragma: no cover - run_once already logs per item
                log.exception("observer: step failed")
