"""A jail: its filter, its failure counts, its ignore rules and its ban side.

Data flows one way through it: log data (:meth:`Jail.feed`) → the filter's failures →
ignore rules → :class:`~hyperban.server.failmanager.FailManager` (failures per id within
``findtime``) → once ``maxretry`` is reached, a ticket for the jail's
:class:`~hyperban.server.jailactions.JailActions` → the observer (ban time increment,
database, end of ban).

Semantics follow fail2ban's ``Filter.processLineAndAdd``/``performBan`` and
``ObserverThread.failureFound``: a failure dated in the future counts as now; an id on the
ignore list never counts and is never banned; with ``bantime.increment`` a failure of an
id banned before counts several times (1 + 2^(bans-1)/2... capped at ``maxretry``) so a
known offender is banned again sooner.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hyperban.actions.base import ActionInfo
from hyperban.filter import Filter
from hyperban.filter.dns import Address
from hyperban.filter.failure import Failure
from hyperban.filter.filter import ChunkResult

from .bantime import BanTimeIncrement
from .clock import Clock
from .database import Database
from .failmanager import FailManager, FailManagerEmpty
from .ignore import IgnoreList
from .jailactions import JailActions
from .loglines import BatchLog
from .observer import Observer
from .ticket import BanTicket, FailTicket, Ticket

__all__ = ["IgnoredAddressError", "Jail"]

log = logging.getLogger(__name__)

# Stale failure counts are dropped at most this often (fail2ban's service interval).
CLEANUP_INTERVAL = 5.0


class IgnoredAddressError(ValueError):
    """A manual ban of an address the jail's ignore rules cover."""


class Jail:
    """One jail.  Thread-safety: :meth:`feed` is called from one log-reading thread at a
    time; the ban side runs on its own thread (:class:`JailActions`)."""

    def __init__(
        self,
        name: str,
        filter: Filter,
        *,
        clock: Clock,
        make_info: Callable[[Ticket], ActionInfo],
        observer: Observer | None = None,
        database: Database | None = None,
        maxretry: int = 5,
        findtime: float = 600,
        bantime: float = 600,
        maxmatches: int | None = None,
        increment: BanTimeIncrement | None = None,
        ignore: IgnoreList | None = None,
    ) -> None:
        self.name = name
        self.filter = filter
        # take() only looks at failures: lines that gave none need not reach Python
        filter.report_quiet_lines = False
        self.clock = clock
        self.database = database
        self.observer = observer
        self.fail_manager = FailManager(
            maxretry, findtime, maxretry if maxmatches is None else maxmatches
        )
        self.ignore = ignore if ignore is not None else IgnoreList(name)
        self.increment = increment if increment is not None else BanTimeIncrement()
        self.actions = JailActions(
            name,
            make_info=make_info,
            observer=observer,
            database=database,
            clock=clock,
            bantime=bantime,
        )
        self._make_info = make_info
        self.log_paths: list[str] = []
        self._next_cleanup = 0.0
        self._alive = False
        self.register_with_observer()

    def register_with_observer(self) -> None:
        """Register this jail's ban time, increment and failure callback with the
        observer under its name (again, after another jail of that name was built
        and discarded: a reload that kept this one running)."""
        if self.observer is not None:
            self.observer.add_jail(
                self.name, self.bantime, self.increment, on_failure=self._recount_known_bad
            )

    # -- settings that live in several parts ------------------------------------------

    @property
    def maxretry(self) -> int:
        return self.fail_manager.getMaxRetry()

    @maxretry.setter
    def maxretry(self, value: int) -> None:
        self.fail_manager.setMaxRetry(int(value))

    @property
    def findtime(self) -> float:
        return self.fail_manager.getMaxTime()

    @findtime.setter
    def findtime(self, value: float) -> None:
        self.fail_manager.setMaxTime(value)
        self.filter.find_time = value

    @property
    def bantime(self) -> int:
        return self.actions.bantime

    @bantime.setter
    def bantime(self, value: float) -> None:
        self.actions.bantime = value
        if self.observer is not None:
            self.observer.jail(self.name).bantime = value

    @property
    def is_alive(self) -> bool:
        return self._alive

    # -- log intake ------------------------------------------------------------------

    def feed(self, data: bytes, *, in_operation: bool = True) -> int:
        """Process a chunk of whole log lines; returns the failures found.

        ``in_operation`` is False while a file's backlog is read at start: failures older
        than ``findtime`` are then dropped instead of being dated now (fail2ban's
        ``inOperation``).
        """
        self.filter.in_operation = in_operation
        return self.take(self.filter.process_chunk(data))

    def take(self, result: ChunkResult) -> int:
        """Count the failures of a chunk this jail's filter processed (also when a shared
        scan ran it for several jails); returns how many."""
        # Like the filter, this makes many short-lived acyclic objects: the cyclic
        # collector's passes over them are wasted work on the log-intake path.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self.add_failures(
                failure for line in result.results for failure in line.failures
            )
        finally:
            if collecting:
                gc.enable()
            self._maybe_cleanup()

    def add_failures(self, failures: Iterable[Failure]) -> int:
        """Count failures (``nofail`` matches are passed over); returns how many counted.

        Thousands a second under attack: what is the same for all of them (the time
        now, whether the observer wants them, the ignore rules' needs) is looked up
        once per call.
        """
        # The bans go to the actions thread together: one wake-up per call rather than
        # one thread switch per ban.
        bans: list[Ticket] = []
        # the Found lines are written as one batch and flushed once
        found_log = BatchLog(log)
        logging_found = found_log.enabled
        now = self.clock.time()
        fail_manager = self.fail_manager
        ignore = self.ignore
        tags_needed = ignore.needs_tags
        make_info = self._make_info
        observer = self.observer
        if observer is not None and not observer.wants_failures(self.name):
            observer = None
        name = self.name
        found = 0
        try:
            for failure in failures:
                fid = failure.fid
                if fid is None or failure.data.get("nofail"):
                    continue
                when = failure.time
                if when is None or when > now:
                    when = now  # no date, or one estimated into the future: now
                ticket = FailTicket.of_failure(fid, when, failure.data, failure.matches)
                # the ticket's tags are only built when ignorecommand/ignorecache need them
                if ignore.is_ignored(fid, (lambda t=ticket: make_info(t)) if tags_needed else None):
                    continue
                found += 1
                if logging_found:  # formatting the time costs a strftime
                    found_log("[%s] Found %s - %s", name, fid, Clock.time2str(when))
                if fail_manager.addFailure(ticket) >= fail_manager.getMaxRetry():
                    try:
                        bans.append(fail_manager.toBan(fid))
                    except FailManagerEmpty:
                        pass
                if observer is not None:
                    observer.failure_found(name, ticket)
        finally:
            found_log.close()
            if bans:
                self.actions.put_bans(bans)
        return found

    def perform_ban(self, fid: Any = None) -> int:
        """Hand every id that reached ``maxretry`` (or only ``fid``) to the ban side."""
        tickets = self._due_bans(fid)
        if tickets:
            self.actions.put_bans(tickets)
        return len(tickets)

    def _due_bans(self, fid: Any = None) -> list[Ticket]:
        """Take from the fail manager every ticket due for a ban (only ``fid``'s if given)."""
        tickets: list[Ticket] = []
        while True:
            try:
                tickets.append(self.fail_manager.toBan(fid))
            except FailManagerEmpty:
                break
            if fid is not None:
                break
        return tickets

    def _maybe_cleanup(self) -> None:
        now = self.clock.time()
        if now >= self._next_cleanup:
            self._next_cleanup = now + CLEANUP_INTERVAL
            self.fail_manager.cleanup(now)

    def _recount_known_bad(self, ticket: Ticket) -> None:
        """fail2ban's ``failureFound`` (runs on the observer thread, increment on)."""
        if not self._alive or self.database is None:
            return
        fid = ticket.getID()
        max_retry = self.fail_manager.getMaxRetry()
        ban_count = 0
        retry = 1
        time_of_ban: float | None = None
        rows = self.database.getBan(fid, self.name)
        if rows:
            count, time_of_ban, _last = rows[0]
            ban_count = max(count or 0, ticket.getBanCount())
            # each earlier ban makes one failure count as 2, 3, 5, 9... (fail2ban's
            # 2^n/2 + 1; integer here, which differs only for a ban count of 0)
            retry = (1 << min(ban_count, 20)) // 2 + 1
        retry = min(retry, max_retry)
        if time_of_ban is not None and ticket.getTime() <= time_of_ban:
            return  # a failure from before the last ban: already counted then
        if retry <= 1:
            return
        # (the count as fail2ban prints it: its 2^n/2 + 1 is a float, 2.0, unless
        # maxretry is smaller)
        shown = min((1 << min(ban_count, 20)) / 2 + 1, max_retry)
        log.info(
            "[%s] Found %s, bad - %s, %s # -> %s%s",
            self.name,
            fid,
            Clock.time2str(ticket.getTime()),
            ban_count,
            shown,
            ", Ban" if retry >= max_retry else "",
        )
        # the filter already counted this failure once
        retry = self.fail_manager.addFailure(ticket, retry - 1, True)
        ticket.setBanCount(ban_count)
        if retry >= max_retry:
            self.perform_ban(fid)

    # -- manual bans ------------------------------------------------------------------

    def ban_ips(self, ips: Sequence[str]) -> int:
        """``set <jail> banip``: ban now; returns how many were not banned yet.

        An address covered by the ignore rules is refused (:class:`IgnoredAddressError`):
        the ignore list is a promise that the address is never banned.
        """
        now = self.clock.time()
        tickets: list[BanTicket] = []
        for text in ips:
            fid = Address(text)
            if not fid.is_valid:
                raise ValueError(f"{text!r} is not a valid address")
            # as fail2ban's addBannedIP: a ban ticket of no failure (<failures> is 0)
            ticket = BanTicket(fid, now)
            if self.ignore.is_ignored(fid, self._make_info(ticket)):
                raise IgnoredAddressError(
                    f"{text} is in the ignore list of jail {self.name}; not banned"
                )
            tickets.append(ticket)
        fresh = [t for t in tickets if self.actions.ban_manager.getTicket(t.getID()) is None]
        for ticket in fresh:
            self.actions.put_ban(ticket)
        return len(fresh)

    def add_attempt(self, text: str, failures: Sequence[str]) -> int:
        """``set <jail> attempt IP [FAILURE...]``: a failure of ``IP`` now, counted once
        per failure text given (once without any), which become its matches -- as
        fail2ban's ``addAttempt``, which neither consults the ignore list nor tells the
        observer.  Returns 1, fail2ban's answer."""
        fid = Address(text)
        if not fid.is_valid:
            raise ValueError(f"{text!r} is not a valid address")
        now = self.clock.time()
        ticket = FailTicket(fid, now, matches=list(failures))
        log.info("[%s] Attempt %s - %s", self.name, fid, Clock.time2str(now))
        if self.fail_manager.addFailure(ticket, len(failures) or 1) >= (
            self.fail_manager.getMaxRetry()
        ):
            self.perform_ban(fid)
        return 1

    def unban_ips(self, ips: Sequence[str]) -> list[Any]:
        """``set <jail> unbanip``: the ids that were banned and are lifted now."""
        fids = [Address(text) for text in ips]
        for fid in fids:
            self.fail_manager.delFailure(fid)
        return self.actions.unban(fids)

    def banned(self) -> list[str]:
        return [str(fid) for fid in self.actions.ban_manager.getBanList(ordered=True)]

    # -- start / stop -----------------------------------------------------------------

    def start(self, restore: bool = True) -> int:
        """Start the actions and re-apply the bans still in force; returns the number
        restored."""
        self.actions.start_actions()
        restored = 0
        if restore and self.observer is not None:
            tickets = [
                t
                for _, t in self.observer.restore(self.name)
                if not self.ignore.is_ignored(t.getID(), self._make_info(t))
            ]
            restored = self.actions.restore(tickets)
        self.actions.start()
        self._alive = True
        return restored

    def stop(self) -> None:
        """Stop: lift the bans in the firewall (the database keeps them for a restart)."""
        self._alive = False
        self.actions.stop()
        self.actions.flush()
        self.actions.stop_actions()

    def status(self) -> dict[str, Any]:
        """The figures ``status <jail>`` shows."""
        failed_now, failed_total = self.fail_manager.size(), self.fail_manager.getFailTotal()
        bm = self.actions.ban_manager
        return {
            "currently_failed": failed_now,
            "total_failed": failed_total,
            "file_list": list(self.log_paths),
            "currently_banned": bm.size(),
            "total_banned": bm.getBanTotal(),
            "banned": self.banned(),
        }
