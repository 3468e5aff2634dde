"""The ban side of one jail: its ban list, its actions, and the thread that applies them.

Bans come from the jail's filter side (:meth:`JailActions.put_ban`, any thread), unbans
from the observer's timer wheel (:meth:`JailActions.put_unban`).  One thread per jail
drains both queues in ticks and hands each action the whole tick's bans in one
:meth:`~hyperban.actions.base.ActionBase.ban_many` call (then the unbans in one
``unban_many``), so a native action applies a burst of bans as one firewall transaction.

A ban whose action failed stays banned (ban list and database) and the failed action is
retried for it with a growing delay (:data:`RETRY_DELAYS`) until it succeeds or the ban
ends -- a failing or missing firewall command never silently loses a ban.

The semantics otherwise follow fail2ban's ``Actions.__checkBan``/``__checkUnBan``: an id
already banned is not banned twice (a later end of ban prolongs the existing one), an
expired ticket is dropped, restored bans skip ``norestored`` actions, and stopping the
jail flushes or unbans everything in the firewall but keeps the database.  A failure of
an address banned more than 3 s ago hints that the firewall lost the ban (a firewall
reload): the actions check their state (at most every 3 s); one that had to rebuild it
raises its ban epoch, and each ban of an older epoch is applied again on it ("Reban")
when its address fails again.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hyperban.actions.base import ActionBase, ActionInfo
from hyperban.config.server import NOTICE

from .banmanager import BanManager
from .clock import Clock
from .database import Database
from .loglines import BatchLog
from .observer import Observer
from .ticket import BanTicket, Ticket

__all__ = ["RETRY_DELAYS", "JailActions"]

log = logging.getLogger(__name__)

#: Seconds before retrying a failed ban/unban action: 5 s, 15 s, 1 min, then every 5 min.
RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0)

InfoFactory = Callable[[Ticket], ActionInfo]


def _epoch_of(action: Any) -> int:
    """An action's ban epoch (0 for Python actions built on fail2ban's own ActionBase)."""
    return int(getattr(action, "ban_epoch", 0))


@dataclass
class _Retry:
    kind: str  # "ban" or "unban"
    action: ActionBase
    ticket: Ticket
    attempts: int
    due: float


class JailActions:
    """Ban list and actions of one jail (fail2ban's ``Actions``)."""

    def __init__(
        self,
        jail_name: str,
        *,
        make_info: InfoFactory,
        observer: Observer | None = None,
        database: Database | None = None,
        clock: Clock,
        bantime: float = 600,
    ) -> None:
        self.jail_name = jail_name
        self._make_info = make_info
        self._observer = observer
        self._database = database
        self._clock = clock
        self.actions: dict[str, ActionBase] = {}
        self.ban_manager = BanManager(int(bantime), clock=clock)
        self._cond = threading.Condition()
        self._bans: deque[Ticket] = deque()
        self._unbans: deque[Ticket] = deque()
        self._retries: list[_Retry] = []
        # fail2ban's ban epoch (see _ban_epoch) and when the actions were last checked
        self._epoch = 0
        self._action_epochs: dict[str, int] = {}
        self._last_consistency_check = float("-inf")
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- configuration --------------------------------------------------------------

    def add(self, action: ActionBase) -> None:
        if action.name in self.actions:
            raise ValueError(f"Action {action.name} already exists")  # fail2ban's words
        # a new dict, not an insertion: the thread may be iterating over the old one
        self.actions = {**self.actions, action.name: action}

    def remove(self, name: str) -> ActionBase:
        """Take action ``name`` out of the jail (``set JAIL delaction``): as in fail2ban,
        it is neither stopped nor are its bans lifted."""
        if name not in self.actions:
            raise KeyError(f"Invalid Action name: {name}")
        action = self.actions[name]
        self.actions = {k: v for k, v in self.actions.items() if k != name}
        self._action_epochs.pop(name, None)
        return action

    @property
    def bantime(self) -> int:
        return self.ban_manager.getBanTime()

    @bantime.setter
    def bantime(self, value: float) -> None:
        self.ban_manager.setBanTime(value)

    # -- producers (any thread) -------------------------------------------------------

    def put_ban(self, ticket: Ticket) -> None:
        """Queue a ticket whose failures reached ``maxretry`` (or a manual ban)."""
        with self._cond:
            self._bans.append(ticket)
            # the thread drains the whole queue: only the first ban of a burst wakes it
            # (each wake-up is a thread switch, costly at thousands of failures/s)
            if len(self._bans) == 1:
                self._cond.notify()

    def put_bans(self, tickets: Sequence[Ticket]) -> None:
        """Queue several tickets at once (a chunk's bans): at most one wake-up."""
        with self._cond:
            idle = not self._bans
            self._bans.extend(tickets)
            if idle and self._bans:
                self._cond.notify()

    def put_unban(self, ticket: Ticket) -> None:
        """Queue the end of a ban (called by the observer when the ban time is over)."""
        with self._cond:
            self._unbans.append(ticket)
            if len(self._unbans) == 1:
                self._cond.notify()

    # -- the tick -------------------------------------------------------------------

    def run_once(self, now: float | None = None) -> int:
        """Apply queued bans and unbans and due retries; returns the number of new bans."""
        if now is None:
            now = self._clock.time()
        with self._cond:
            bans = list(self._bans)
            unbans = list(self._unbans)
            self._bans.clear()
            self._unbans.clear()
        banned = self._ban(bans, now) if bans else 0
        if unbans:
            self._unban_expired(unbans, now)
        self._run_retries(now)
        return banned

    def _ban(self, tickets: Sequence[Ticket], now: float) -> int:
        new: list[BanTicket] = []
        # tickets whose address the firewall lost (older epoch), banned again below
        rebans: dict[int, Ticket] = {}
        # "already banned" lines, one batch per level: thousands a second under attack
        repeats: dict[int, BatchLog] = {}
        try:
            self._add_bans(tickets, now, new, rebans, repeats)
        finally:
            for batch in repeats.values():
                batch.close()
        if rebans:
            self._reban(list(rebans.values()), now)
        if not new:
            return 0
        self._apply("ban", new, now)
        # (after the actions ran: a repair on the way raised the epoch, as in fail2ban)
        epoch = self._ban_epoch()
        for bticket in new:
            bticket.banned = True
            bticket.banEpoch = epoch
        if self._observer is not None:
            # the observer increments the ban time, records the ban and times its end;
            # one hand-over for the tick (one wake-up of its thread)
            self._observer.bans_found(self.jail_name, [t for t in new if not t.restored])
        return len(new)

    def _add_bans(
        self,
        tickets: Sequence[Ticket],
        now: float,
        new: list[BanTicket],
        rebans: dict[int, Ticket],
        repeats: dict[int, BatchLog],
    ) -> None:
        """Put ``tickets`` in the ban list: the new bans go to ``new``, the bans to apply
        again (see :meth:`_repeat_failure`) to ``rebans``."""
        epoch = self._ban_epoch()
        for ticket in tickets:
            bticket = BanTicket.wrap(ticket)
            reason: dict[str, Any] = {}
            if self.ban_manager.addBanTicket(bticket, reason=reason, now=now):
                log.log(
                    NOTICE,
                    "[%s] %sBan %s",
                    self.jail_name,
                    "Restore " if bticket.restored else "",
                    bticket.getID(),
                )
                new.append(bticket)
                continue
            if reason.get("expired"):
                log.info("[%s] Ignore %s, expired bantime", self.jail_name, bticket.getID())
                continue
            # As in fail2ban: the ban list's ticket now ends later (addBanTicket moved
            # it) and no action runs for that now: the unban timer fires at the old end,
            # finds the later one and re-times it then (_unban_expired).  The failure is
            # logged, and may show that the firewall lost the ban (_repeat_failure).
            banned = reason["ticket"]
            if not banned.banned:
                continue  # its actions have not run yet
            if self._repeat_failure(ticket, banned, epoch, now, bool(rebans), repeats):
                epoch = self._ban_epoch()
            if banned.banEpoch < epoch and id(banned) not in rebans:
                rebans[id(banned)] = banned

    def _repeat_failure(
        self,
        ticket: Ticket,
        banned: Ticket,
        epoch: int,
        now: float,
        rebanning: bool,
        repeats: dict[int, BatchLog],
    ) -> bool:
        """A failure of an address banned already (fail2ban's ``__checkBan``): logged the
        louder the longer after the ban it came.  More than 3 s after it, the firewall
        may have lost the ban: the actions check their state (at most every 3 s, and not
        in a tick that already found a lost ban).  True if they were checked (the epoch
        may have moved)."""
        delay = ticket.getTime() - banned.getTime()
        level = logging.DEBUG if delay < 3 else NOTICE if delay < 60 else logging.WARNING
        line = repeats.get(level)
        if line is None:
            line = repeats[level] = BatchLog(log, level)
        line("[%s] %s already banned", self.jail_name, banned.getID())
        if banned.banEpoch == epoch and delay > 3 and not rebanning:
            if now <= self._last_consistency_check + 3:
                return False
            self._last_consistency_check = now
            for action in self.actions.values():
                # (fail2ban's name, for Python actions written against its ActionBase)
                check = getattr(action, "consistency_check", None) or getattr(
                    action, "consistencyCheck", None
                )
                if check is None:
                    continue
                try:
                    check()
                except Exception as exc:  # a broken action must not stop the jail
                    log.error(
                        "[%s] action %s: consistency check failed: %s",
                        self.jail_name,
                        action.name,
                        exc,
                    )
            return True
        return False

    def _ban_epoch(self) -> int:
        """The jail's ban epoch (fail2ban's ``Actions.banEpoch``): raised whenever an
        action raised its own.  An action that rebuilt its state gets the new jail epoch,
        so every ban applied before has an older one."""
        for action in self.actions.values():
            seen = self._action_epochs.get(action.name, 0)
            current = _epoch_of(action)
            if current != seen:
                self._epoch += 1
                action.ban_epoch = self._action_epochs[action.name] = self._epoch
        return self._epoch

    def _reban(self, tickets: Sequence[Ticket], now: float) -> None:
        """Apply again, on the actions that lost them, bans of an older epoch."""
        for ticket in tickets:
            lost = [a.name for a in self._eligible(ticket) if _epoch_of(a) > ticket.banEpoch]
            log.log(
                NOTICE,
                "[%s] Reban %s%s",
                self.jail_name,
                ticket.getID(),
                f", action {lost[0]!r}" if len(lost) == 1 else "",
            )
        for action in self.actions.values():
            lost_here = _epoch_of(action)
            batch = [t for t in tickets if self._acts_on(action, t) and lost_here > t.banEpoch]
            if batch:
                self._run_batch(action, "reban", batch, now)
        epoch = self._ban_epoch()
        for ticket in tickets:
            ticket.banEpoch = epoch

    def restore(self, tickets: Sequence[Ticket], now: float | None = None) -> int:
        """Re-apply bans read back from the database at start (one batch per action)."""
        if now is None:
            now = self._clock.time()
        restored: list[BanTicket] = []
        # one "Restore Ban" line per ban, as fail2ban logs them (20k at a restart: a batch)
        with BatchLog(log, NOTICE) as restore_log:
            for ticket in tickets:
                bticket = BanTicket.wrap(ticket)
                bticket.restored = True
                reason: dict[str, Any] = {}
                if self.ban_manager.addBanTicket(bticket, reason=reason, now=now):
                    restore_log("[%s] Restore Ban %s", self.jail_name, bticket.getID())
                    restored.append(bticket)
                elif reason.get("expired"):
                    log.info("[%s] Ignore %s, expired bantime", self.jail_name, bticket.getID())
        if restored:
            self._apply("restore", restored, now)
            epoch = self._ban_epoch()
            for bticket in restored:
                bticket.banned = True
                bticket.banEpoch = epoch
        return len(restored)

    def prolong(self, ticket: Ticket) -> None:
        """The ban of ``ticket`` got longer: reschedule its end and tell the actions."""
        if self.ban_manager.getTicket(ticket.getID()) is not ticket:
            return  # lifted in the meantime
        if self._observer is not None:
            self._observer.prolong(self.jail_name, ticket)
        self._tell("prolong", ticket)

    def _tell(self, what: str, ticket: Ticket) -> None:
        """Call ``prolong`` or ``extend`` (a ban's end moved later, see ``ActionBase.extend``)
        of every action acting on ``ticket``; a failing action is logged."""
        info = self._make_info(ticket)
        for action in self._eligible(ticket):
            try:
                getattr(action, what)(info)
            except Exception as exc:
                log.error("[%s] action %s: %s failed: %s", self.jail_name, action.name, what, exc)

    def _unban_expired(self, tickets: Sequence[Ticket], now: float) -> None:
        due: list[Ticket] = []
        for ticket in tickets:
            current = self.ban_manager.getTicket(ticket.getID())
            if current is not ticket:
                continue  # already lifted (manual unban) or replaced by a newer ban
            if ticket.getEndOfBanTime(self.ban_manager.getBanTime()) > now:
                # extended after its timer was set (a repeat failure of a banned id):
                # time the new end instead (the wheel fires at ``now >= end``, the same
                # rule as here, so this is the only case)
                if self._observer is not None:
                    self._observer.prolong(self.jail_name, ticket)
                self._tell("extend", ticket)
                continue
            self.ban_manager.delBanTicket(ticket.getID())
            due.append(ticket)
        if due:
            for ticket in due:
                log.log(NOTICE, "[%s] Unban %s", self.jail_name, ticket.getID())
            self._apply("unban", due, now)

    def unban(self, fids: Sequence[Any], now: float | None = None) -> list[Any]:
        """Lift the bans of ``fids`` now (manual unban); returns the ids that were banned.

        The ban is removed from the database too, as fail2ban's ``unbanip`` does, so it
        does not come back at restart.
        """
        if now is None:
            now = self._clock.time()
        lifted: list[Ticket] = []
        for fid in fids:
            ticket = self.ban_manager.delBanTicket(fid)
            if ticket is None:
                continue
            lifted.append(ticket)
            if self._observer is not None:
                self._observer.forget(self.jail_name, ticket.getID())
            log.log(NOTICE, "[%s] Unban %s", self.jail_name, ticket.getID())
        if lifted:
            if self._database is not None:
                self._database.delBan(self.jail_name, *[t.getID() for t in lifted])
            self._drop_retries(lifted)
            self._apply("unban", lifted, now)
        return [t.getID() for t in lifted]

    # -- applying actions -------------------------------------------------------------

    @staticmethod
    def _acts_on(action: ActionBase, ticket: Ticket) -> bool:
        """Whether ``action`` bans ``ticket``: restored bans skip ``norestored`` actions."""
        return not (ticket.restored and getattr(action, "norestored", False))

    def _eligible(self, ticket: Ticket) -> list[ActionBase]:
        """The actions that act on ``ticket``."""
        return [a for a in self.actions.values() if self._acts_on(a, ticket)]

    def _apply(self, kind: str, tickets: Sequence[Ticket], now: float) -> None:
        """Run ``kind`` (ban/restore/unban) for ``tickets`` on every action, in batches."""
        for action in self.actions.values():
            # an unban always goes to every action: lifting a ban never hurts
            batch = [t for t in tickets if kind == "unban" or self._acts_on(action, t)]
            if batch:
                self._run_batch(action, kind, batch, now)

    def _run_batch(
        self, action: ActionBase, kind: str, batch: Sequence[Ticket], now: float
    ) -> None:
        """One batch call of ``action``; what fails is retried later."""
        infos = [self._make_info(t) for t in batch]
        method = {
            "ban": action.ban_many,
            "reban": action.reban_many,
            "restore": action.restore_many,
            "unban": action.unban_many,
        }[kind]
        try:
            results = method(infos)
        except Exception as exc:  # a broken action must not stop the jail
            log.error("[%s] action %s: %s failed: %s", self.jail_name, action.name, kind, exc)
            results = [False] * len(batch)
        retry_kind = "unban" if kind == "unban" else "ban"
        for ticket, ok in zip(batch, results, strict=False):
            if not ok:
                self._schedule_retry(retry_kind, action, ticket, 0, now)

    def _schedule_retry(
        self, kind: str, action: ActionBase, ticket: Ticket, attempts: int, now: float
    ) -> None:
        delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS) - 1)]
        log.error(
            "[%s] action %s: %s of %s failed; retrying in %d s",
            self.jail_name,
            action.name,
            kind,
            ticket.getID(),
            delay,
        )
        self._retries.append(_Retry(kind, action, ticket, attempts + 1, now + delay))

    def _drop_retries(self, tickets: Sequence[Ticket]) -> None:
        gone = {id(t) for t in tickets}
        self._retries = [r for r in self._retries if not (r.kind == "ban" and id(r.ticket) in gone)]

    def _run_retries(self, now: float) -> None:
        due = [r for r in self._retries if r.due <= now]
        if not due:
            return
        self._retries = [r for r in self._retries if r.due > now]
        for retry in due:
            ticket = retry.ticket
            if retry.kind == "ban":
                if self.ban_manager.getTicket(ticket.getID()) is not ticket:
                    continue  # unbanned meanwhile: nothing to retry
                ok = retry.action.ban_many([self._make_info(ticket)])
            else:
                if self.ban_manager.getTicket(ticket.getID()) is not None:
                    continue  # banned again meanwhile: the unban is obsolete
                ok = retry.action.unban_many([self._make_info(ticket)])
            if not all(ok):
                self._schedule_retry(retry.kind, retry.action, ticket, retry.attempts, now)
            else:
                log.warning(
                    "[%s] action %s: %s of %s succeeded on retry",
                    self.jail_name,
                    retry.action.name,
                    retry.kind,
                    ticket.getID(),
                )

    def next_retry(self) -> float | None:
        return min((r.due for r in self._retries), default=None)

    # -- start / stop -----------------------------------------------------------------

    def start_actions(self) -> None:
        for action in self.actions.values():
            try:
                action.start()
            except Exception as exc:
                log.error("[%s] action %s: start failed: %s", self.jail_name, action.name, exc)

    def flush(self, now: float | None = None) -> int:
        """Lift every ban in the firewall (ban list emptied, database kept)."""
        if now is None:
            now = self._clock.time()
        tickets = self.ban_manager.flushBanList()
        for ticket in tickets:
            if self._observer is not None:
                self._observer.forget(self.jail_name, ticket.getID())
        one_by_one: list[ActionBase] = []
        for action in self.actions.values():
            try:
                flushed = action.flush()
            except Exception as exc:
                log.error("[%s] action %s: flush failed: %s", self.jail_name, action.name, exc)
                flushed = False
            if flushed is False:
                one_by_one.append(action)
            else:
                log.log(NOTICE, "[%s] Flush ticket(s) with %s", self.jail_name, action.name)
        # every ban is logged as lifted (as fail2ban's __flushBan does), then lifted one
        # by one on the actions without a flush (one batch per action)
        for ticket in tickets:
            log.log(NOTICE, "[%s] Unban %s", self.jail_name, ticket.getID())
        if tickets:
            for action in one_by_one:
                action.unban_many([self._make_info(t) for t in tickets])
        self._retries.clear()
        return len(tickets)

    def stop_actions(self) -> None:
        for action in self.actions.values():
            try:
                action.stop()
            except Exception as exc:
                log.error("[%s] action %s: stop failed: %s", self.jail_name, action.name, exc)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"actions of {self.jail_name} already started")
        self._stopping = False
        self._thread = threading.Thread(
            target=self._loop, name=f"hyperban-actions-{self.jail_name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the thread after the queued work (bans still queued are applied)."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.run_once()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not (self._bans or self._unbans or self._stopping):
                    due = self.next_retry()
                    timeout = None if due is None else max(0.0, due - self._clock.time())
                    if timeout == 0.0 or not self._cond.wait(timeout):
                        break
                if self._stopping:
                    return
            try:
                self.run_once()
            except Exception:  # pragma: no cover - each step logs its own failures
                log.exception("[%s] actions: step failed", self.jail_name)
