"""The daemon's core: configuration → database, observer, jails, log sources, control.

Start-up is in two steps so that bad input never leaves a half-started daemon:

1. :meth:`Server.prepare` reads ``fail2ban.conf`` and the jail files, opens (or refuses)
   the SQLite database and builds every enabled jail -- regexes compiled, actions loaded.
   Nothing is started; any error raises :class:`StartupError` with the file/jail named.
2. :meth:`Server.start` starts the observer, each jail (actions started, bans still in
   force restored from the database), the log sources and the control socket.

Log data flows: :class:`~hyperban.logwatch.LogHub` (one reader per file for all jails)
→ :meth:`Jail.feed` → fail manager → the jail's action thread → observer → database.

The control commands (:class:`~hyperban.control.api.ControlTarget`) are implemented in
:mod:`hyperban.daemon.commands`, on top of the state kept here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from hyperban.actions.ipv6 import set_allowipv6
from hyperban.config import ConfigError
from hyperban.config.jails import JailDefinition, read_jails
from hyperban.config.server import ServerConfig, read_server_config
from hyperban.control.socket_server import ControlSocketError, ControlSocketServer
from hyperban.control.transmitter import Transmitter
from hyperban.filter import Filter
from hyperban.logwatch import LogHub
from hyperban.logwatch.backends import BackendUnavailable
from hyperban.logwatch.hub import Subscription
from hyperban.logwatch.journal import JournalWatch, load_journal, reader_args
from hyperban.logwatch.logpath import LogPath
from hyperban.logwatch.positions import PositionBook
from hyperban.server.clock import Clock
from hyperban.server.clock import clock as default_clock
from hyperban.server.database import Database, DatabaseError
from hyperban.server.jail import Jail
from hyperban.server.observer import Observer
from hyperban.server.ticket import Ticket

from .action_commands import ActionCommands
from .build import BuiltJail, JailBuildError, build_jail
from .commands import ServerCommands
from .feeds import JailFeed, ScanGroup

__all__ = ["Server", "ServerOptions", "StartupError"]

log = logging.getLogger("hyperban.server")


class StartupError(RuntimeError):
    """The daemon cannot start (bad configuration, unusable database or socket)."""


class JailStartError(StartupError):
    """A jail's log source cannot be opened (a ``systemd`` jail's journal); nothing of
    that jail was started."""


@dataclass
class ServerOptions:
    """Command-line settings; None means "as ``fail2ban.conf`` says"."""

    confdir: str = "/etc/fail2ban"
    socket: str | None = None
    pidfile: str | None = None
    logtarget: str | None = None
    loglevel: str | None = None
    force: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class Server(ServerCommands, ActionCommands):
    """The running daemon."""

    def __init__(self, options: ServerOptions, *, clock: Clock | None = None) -> None:
        self.options = options
        self.clock = clock if clock is not None else default_clock
        self.config = ServerConfig()
        self.database: Database | None = None
        self.observer: Observer | None = None
        self.hub: LogHub | None = None
        self.jails: dict[str, BuiltJail] = {}
        self.stopped_jails: dict[str, BuiltJail] = {}
        self._subscriptions: dict[str, list[Subscription]] = {}
        self._journals: dict[str, JournalWatch] = {}
        self._feeds: dict[str, JailFeed] = {}
        # Idle jails (``set JAIL idle on``) and the log paths they stopped reading.
        self._idle: dict[str, list[LogPath]] = {}
        # ... and of idle journal jails, where their stopped reader left off
        self._idle_books: dict[str, PositionBook] = {}
        # What each running jail was built from, and the jails changed since by
        # commands (``set``, ``addignoreip``, ...): a reload keeps a jail running
        # only if neither its configuration nor the jail changed.
        self._definitions: dict[str, JailDefinition] = {}
        self._changed_at_runtime: set[str] = set()
        self._control: ControlSocketServer | None = None
        # ``set loglevel`` as given (``get loglevel`` answers it as fail2ban does)
        self._loglevel_text: str | None = None
        self._lock = threading.RLock()
        self._stop_requested = threading.Event()
        self._reload_requested = threading.Event()
        self._wake = threading.Event()
        self._on_stop: Callable[[], None] | None = None

    # -- paths --------------------------------------------------------------------

    @property
    def socket_path(self) -> str:
        return self.options.socket or self.config.socket

    @property
    def pidfile(self) -> str:
        return self.options.pidfile or self.config.pidfile

    # -- step 1: everything that can fail ---------------------------------------------

    def prepare(self, *, test_only: bool = False) -> None:
        """Read the configuration and build everything; raises :class:`StartupError`.

        ``test_only`` (``-t``): build every jail, filter and action as for a start, but
        open no database (nothing on disk changes); the server is not started after."""
        confdir = self.options.confdir
        if not os.path.isdir(confdir):
            raise StartupError(f"configuration directory {confdir} does not exist")
        try:
            self.config = read_server_config(confdir)
            definitions = read_jails(confdir)
        except ConfigError as exc:
            raise StartupError(str(exc)) from None
        self.database = None if test_only else self._open_database()
        self.observer = Observer(
            self.database,
            unban=self._unban_due,
            on_prolong=self._prolonged,
            clock=self.clock,
        )
        built: dict[str, BuiltJail] = {}
        try:
            for definition in definitions:
                if definition.name in built:
                    raise StartupError(f"jail {definition.name!r} is defined twice")
                built[definition.name] = build_jail(
                    definition, clock=self.clock, observer=self.observer, database=self.database
                )
                _check_backend(built[definition.name])
        except (JailBuildError, StartupError) as exc:
            self._close_database()
            raise StartupError(str(exc)) from None
        self.jails = built
        self._definitions = {d.name: d for d in definitions if d.name in built}
        if not built:
            log.warning("no enabled jail in %s; serving the control socket only", confdir)

    def _open_database(self) -> Database | None:
        dbfile = self.config.dbfile
        if not dbfile or dbfile.lower() == "none":
            log.info("database disabled (dbfile = %s): bans are not kept across restarts", dbfile)
            return None
        if dbfile != ":memory:":
            directory = os.path.dirname(os.path.abspath(dbfile))
            try:
                os.makedirs(directory, mode=0o750, exist_ok=True)
            except OSError as exc:
                raise StartupError(f"dbfile {dbfile}: cannot create {directory}: {exc}") from None
        try:
            database = Database(dbfile, clock=self.clock)
            database.purgeage = self.config.dbpurgeage
            if self.config.dbmaxmatches is not None:
                database.maxMatches = self.config.dbmaxmatches
        except (DatabaseError, ValueError) as exc:
            raise StartupError(str(exc)) from None
        return database

    def _close_database(self) -> None:
        if self.database is not None:
            self.database.close()
            self.database = None

    # -- step 2: start ----------------------------------------------------------------

    def start(self, *, control: bool = True) -> None:
        """Start observer, jails, log sources and (unless ``control`` is False) the
        control socket.

        Raises :class:`StartupError` if the socket cannot be served or a jail's log
        source cannot be opened (the journal of a ``systemd`` jail); the jail at fault
        is then dropped and :meth:`shutdown` stops what did start (the control socket
        and its file, the jails started before it)."""
        assert self.observer is not None, "prepare() first"
        set_allowipv6(self.config.allowipv6)
        if self.config.stacksize:
            set_stack_size(self.config.stacksize)
        if control:
            self._start_control()
        self.hub = LogHub(self.database, "auto")
        pending = list(self.jails)
        for name in pending:
            try:
                self._start_jail(self.jails[name])
            except StartupError:
                # Neither it nor the jails after it run: shutdown() must not stop them.
                for not_started in pending[pending.index(name) :]:
                    del self.jails[not_started]
                raise
        self._share_scans(list(self.jails.values()))
        self.hub.start()
        self.observer.start()
        log.info("started %d jail(s): %s", len(self.jails), ", ".join(self.jails) or "-")

    def _start_control(self) -> None:
        path = self.socket_path
        directory = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(directory, mode=0o755, exist_ok=True)
        except OSError as exc:
            raise StartupError(f"socket {path}: cannot create {directory}: {exc}") from None
        server = ControlSocketServer(path, Transmitter(self).proceed)
        try:
            server.start(force=self.options.force)
        except (ControlSocketError, OSError) as exc:
            raise StartupError(f"socket {path}: {exc}") from None
        self._control = server

    def _start_jail(self, built: BuiltJail) -> None:
        """Start one jail and its log source; :class:`StartupError` (with nothing of
        the jail started) when its journal cannot be opened."""
        jail = built.jail
        feed = JailFeed(jail)
        watch = self._open_journal(built, feed) if built.uses_journal else None
        if self.database is not None:
            self.database.addJail(jail.name)
        restored = jail.start()
        if restored:
            log.info("[%s] restored %d ban(s) from the database", jail.name, restored)
        self._feeds[jail.name] = feed
        if watch is not None:
            watch.start()
            self._journals[jail.name] = watch
            jail.log_paths = []  # no files: fail2ban's `get JAIL logpath` is empty too
            log.info("Jail %r started", jail.name)
            return
        assert self.hub is not None
        subs: list[Subscription] = []
        for logpath in built.logpaths:
            subs.append(self.hub.subscribe(jail.name, logpath, feed, encoding=built.logencoding))
        self._subscriptions[jail.name] = subs
        jail.log_paths = [lp.split(" ")[0] for lp in built.logpaths]
        if not built.logpaths:
            log.warning("[%s] no logpath: the jail only bans on request", jail.name)
        log.info("Jail %r started", jail.name)  # fail2ban's words: watchers wait for them

    def _open_journal(
        self, built: BuiltJail, feed: JailFeed, book: PositionBook | None = None
    ) -> JournalWatch:
        """The (not yet started) journal reader of a ``systemd`` jail; ``book``: the
        stopped reader's, to read on from its last entry."""
        jail = built.jail
        try:
            # python-systemd raises OSError (journal path missing or unreadable),
            # ValueError ("Opening the journal failed": bad flags or files) and others
            return JournalWatch(
                jail.name,
                feed,
                journalmatch=built.journalmatch or None,
                findtime=jail.findtime,
                db=self.database,
                clock=self.clock,
                book=book,
                **reader_args(built.backend_options),
            )
        except Exception as exc:
            raise JailStartError(
                f"jail {jail.name!r}: cannot open the journal "
                f"(backend = {_backend_text(built)}): {_reason(exc)}"
            ) from None

    def _share_scans(self, started: list[BuiltJail]) -> None:
        """Jails with the same log files (and encoding) share one scan per chunk."""
        groups: dict[tuple[object, ...], list[JailFeed]] = {}
        for built in started:
            if built.uses_journal or not built.logpaths:
                continue
            key = (tuple(sorted(built.logpaths)), built.logencoding)
            groups.setdefault(key, []).append(self._feeds[built.jail.name])
        for feeds in groups.values():
            if len(feeds) > 1:
                ScanGroup(feeds)
                log.info(
                    "jails %s share one scan of their logs", ", ".join(f.jail.name for f in feeds)
                )

    def _regroup_scans(self) -> None:
        """(under the lock) The jails that scan alone -- restarted by a reload, their
        filter or encoding changed, back from idle -- share one scan again with the
        others on the same logs (a group that a member left is dissolved)."""
        self._share_scans(
            [
                built
                for name, built in self.jails.items()
                if (feed := self._feeds.get(name)) is not None
                and feed.scan_group is None
                and name not in self._idle
            ]
        )

    def _take_filter(self, name: str, fresh: BuiltJail) -> None:
        """The running jail ``name`` reads with the filter of ``fresh`` (built from the
        new configuration) from its next chunk on; it leaves its scan group first (the
        reload groups it again with the new filter)."""
        self._use_filter(name, fresh.jail.filter)

    def _use_filter(self, name: str, flt: Filter) -> None:
        """The running jail ``name`` reads with ``flt`` from its next chunk on, alone
        (out of its scan group)."""
        feed = self._feeds.get(name)
        if feed is not None:
            self._leave_scan_group(feed)
        self.jails[name].jail.filter = flt
        log.info("[%s] new filter in use", name)

    def _leave_scan_group(self, feed: JailFeed) -> None:
        """``feed`` leaves its scan group, never in the middle of the group's delivery
        of a chunk (which would lose that chunk for the other members)."""
        with self.hub.paused() if self.hub is not None else contextlib.nullcontext():
            if feed.scan_group is not None:
                feed.scan_group.leave(feed)

    def _stop_jail(self, name: str, *, unban: bool = False) -> BuiltJail:
        built = self.jails.pop(name)
        self._definitions.pop(name, None)
        self._changed_at_runtime.discard(name)
        feed = self._feeds.pop(name, None)
        if feed is not None:
            self._leave_scan_group(feed)
        self._idle.pop(name, None)
        self._idle_books.pop(name, None)
        for sub in self._subscriptions.pop(name, []):
            sub.close()
        watch = self._journals.pop(name, None)
        if watch is not None:
            watch.stop()
        if unban and self.database is not None:
            self.database.delBan(name)
        built.jail.stop()
        if self.database is not None:
            # as fail2ban's delJail: the jail is marked disabled (its bans stay)
            try:
                self.database.delJail(name)
            except DatabaseError as exc:
                log.error("[%s] cannot mark the jail stopped in the database: %s", name, exc)
        log.info("Jail %r stopped", name)
        return built

    # -- observer callbacks (observer thread) --------------------------------------

    def _unban_due(self, jail: str, ticket: Ticket) -> None:
        built = self.jails.get(jail)
        if built is not None:
            built.jail.actions.put_unban(ticket)

    def _prolonged(self, jail: str, ticket: Ticket) -> None:
        built = self.jails.get(jail)
        if built is not None:
            built.jail.actions.prolong(ticket)

    # -- stop -------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Ask the main loop to shut down (signal handlers, ``stop`` command)."""
        self._stop_requested.set()
        self._wake.set()

    def request_reload(self) -> None:
        """Ask the main loop to reload the configuration (SIGHUP)."""
        self._reload_requested.set()
        self._wake.set()

    def serve_forever(self) -> None:
        """The main thread's loop: wait for stop or reload requests (signal handlers only
        set flags; the work happens here, outside the handler)."""
        while not self._stop_requested.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._reload_requested.is_set() and not self._stop_requested.is_set():
                self._reload_requested.clear()
                try:
                    self.reload_jails()
                except JailStartError:
                    pass  # logged by reload_jails; the other jails were reloaded
                except StartupError as exc:
                    log.error("reload failed, the running configuration stays: %s", exc)

    def shutdown(self) -> None:
        """Stop everything: log sources, jails (firewall bans lifted, database kept),
        observer, database, control socket."""
        # The control socket goes first (as in fail2ban): no command may wait for the
        # lock below and then run against stopped jails.
        if self._control is not None:
            with contextlib.suppress(Exception):
                self._control.stop()
            self._control = None
        with self._lock:
            if self.hub is not None:
                self.hub.stop(timeout=10)
            for name in list(self.jails):
                try:
                    self._stop_jail(name)
                except Exception:
                    log.exception("[%s] error while stopping", name)
            if self.observer is not None:
                self.observer.stop()
                self.observer.join(10)
            self._close_database()
        log.info("shutdown complete")

    # -- reload -----------------------------------------------------------------------

    def reload_jails(
        self, only: str | None = None, *, unban: bool = False, restart: bool = False
    ) -> list[str]:
        """Re-read the configuration and apply it to the jails (all, or ``only``).

        As in fail2ban, a reload keeps a running jail (its firewall rules, bans and
        failure counts) when its configuration reads as when it was built, or differs
        only in settings a running jail takes on (``maxretry``, ``findtime``,
        ``bantime``, ``bantime.*``, ``maxmatches``, the ``ignore*`` options) or in its
        filter (a jail on log files: it reads with the new filter from its next
        chunk), and no command changed the jail since (``set``, ``addignoreip``,
        ``addlogpath``, ...: a reload puts those back to the configuration's values,
        as fail2ban's does).  Every other jail (actions, logs, backend or ``usedns``
        changed) is stopped and started again from the new configuration; its bans
        are restored from the database, unless ``unban``.  ``restart`` (or
        ``unban``) restarts every jail reloaded.

        The new configuration is built completely before anything is stopped: a bad
        configuration leaves the running jails untouched and raises
        :class:`StartupError`.  Returns the names of the jails now running.
        """
        assert self.observer is not None
        confdir = self.options.confdir
        try:
            definitions = read_jails(confdir, only=[only] if only else None, force_enable=False)
        except ConfigError as exc:
            raise StartupError(str(exc)) from None
        with self._lock:
            fresh: dict[str, BuiltJail] = {}
            for definition in definitions:
                try:
                    fresh[definition.name] = build_jail(
                        definition,
                        clock=self.clock,
                        observer=self.observer,
                        database=self.database,
                    )
                except JailBuildError as exc:
                    # (the jail that failed may have registered its name already)
                    self._reclaim_observer(self.jails)
                    raise StartupError(str(exc)) from None
                try:
                    _check_backend(fresh[definition.name])
                except StartupError:
                    self._reclaim_observer(self.jails)
                    raise
            new_definitions = {d.name: d for d in definitions}
            targets = [only] if only else list(self.jails)
            kept: list[str] = []
            updated: list[str] = []
            for name in targets:
                old = self._definitions.get(name)
                if (
                    unban
                    or restart
                    or name not in self.jails
                    or name not in fresh
                    or name in self._changed_at_runtime
                    or old is None
                ):
                    continue
                if old == new_definitions[name]:
                    kept.append(name)
                # (a journal jail's matches come from its filter: it restarts on a new one)
                elif _same_but(
                    old, new_definitions[name], filter_too=not self.jails[name].uses_journal
                ):
                    if old.filter != new_definitions[name].filter:
                        self._take_filter(name, fresh[name])
                    _take_settings(self.jails[name], fresh[name])
                    self._definitions[name] = new_definitions[name]
                    updated.append(name)
            staying = kept + updated
            for name in staying:
                del fresh[name]  # built only to compare (and to read settings from)
            # A jail restarted because its configuration or a command changed it keeps
            # its failure counts and ban total, as fail2ban's (updated in place) does;
            # `reload --restart` starts it afresh, as fail2ban's does.
            counts: dict[str, Jail] = {}
            for name in targets:
                if name in self.jails and name not in staying:
                    stopped = self._stop_jail(name, unban=unban)
                    if not restart and name in fresh:
                        counts[name] = stopped.jail
            # Building took the observer's registration of each jail name; the jails
            # that keep running take theirs back.
            self._reclaim_observer(staying)
            # A journal that cannot be opened (only its options were checked above)
            # leaves that jail stopped, not the others.
            failed: list[str] = []
            for name, built in fresh.items():
                self.jails[name] = built
                try:
                    self._start_jail(built)
                except JailStartError as exc:
                    del self.jails[name]  # nothing of it was started
                    log.error("reload: %s; the jail is not running", exc)
                    failed.append(str(exc))
                    continue
                self._definitions[name] = new_definitions[name]
                before = counts.get(name)
                if before is not None:
                    built.jail.fail_manager.take_over(before.fail_manager)
                    # (the bans restored at start counted once more)
                    built.jail.actions.ban_manager.setBanTotal(
                        before.actions.ban_manager.getBanTotal()
                    )
            started = [b for n, b in fresh.items() if n in self.jails]
            # The restarted jails, and the kept ones whose scan group a restarted
            # member left, share scans again (kept groups stay as they are).
            self._regroup_scans()
            if kept:
                log.info("unchanged, still running: %s", ", ".join(kept))
            if updated:
                log.info("new settings applied, still running: %s", ", ".join(updated))
            log.info("reloaded: %s", ", ".join(b.jail.name for b in started) or "no jail restarted")
            if failed:
                raise JailStartError("; ".join(failed))
            return list(self.jails)

    def _reclaim_observer(self, names: Iterable[str]) -> None:
        """Give the running jails among ``names`` their registration with the observer
        back (building a jail of the same name took it)."""
        for name in list(names):
            running = self.jails.get(name)
            if running is not None:
                running.jail.register_with_observer()

    def note_runtime_change(self, jail: str) -> None:
        """A command changed ``jail``: the next reload restarts it from the
        configuration (see :meth:`reload_jails`)."""
        self._changed_at_runtime.add(jail)


# -- reload in place --------------------------------------------------------------------

#: Jail options a running jail takes on without a restart (the ``set`` commands'
#: own ones), besides every ``bantime.*`` option.
_IN_PLACE = frozenset(
    {
        "maxretry",
        "maxmatches",
        "findtime",
        "bantime",
        "ignoreip",
        "ignoreself",
        "ignorecommand",
        "ignorecache",
    }
)


#: Jail options that are part of the filter (the filter's name and fail2ban's
#: filter options a jail may set, ``usedns`` aside: it is taken at build time).
_FILTER_KEYS = frozenset(
    {"filter", "prefregex", "ignoreregex", "failregex", "maxlines", "datepattern", "journalmatch"}
)


def _in_place(key: str) -> bool:
    return key in _IN_PLACE or key.startswith("bantime.")


def _same_but(old: JailDefinition, new: JailDefinition, *, filter_too: bool) -> bool:
    """Whether two definitions of a jail differ only in options a running jail takes
    on in place (and, with ``filter_too``, in its filter): actions, logs, backend and
    the rest equal."""

    def kept(key: str) -> bool:
        return not (_in_place(key) or (filter_too and key in _FILTER_KEYS))

    def rest(d: JailDefinition) -> JailDefinition:
        return replace(
            d,
            filter=None if filter_too else d.filter,
            filter_spec="" if filter_too else d.filter_spec,
            options={k: v for k, v in d.options.items() if kept(k)},
            settings={k: v for k, v in d.settings.items() if kept(k)},
        )

    return rest(old) == rest(new)


def _take_settings(running: BuiltJail, fresh: BuiltJail) -> None:
    """``running`` takes the in-place settings of ``fresh``, a jail built from the
    new configuration (so its values are parsed and checked already).  As with the
    ``set`` commands, they apply to what happens from now on: bans in force keep
    their ends."""
    jail, new = running.jail, fresh.jail
    jail.maxretry = new.maxretry
    jail.fail_manager.maxMatches = new.fail_manager.maxMatches
    jail.findtime = new.findtime
    jail.bantime = new.bantime
    jail.increment = new.increment
    jail.ignore = new.ignore
    log.info(
        "[%s] settings: maxretry %d, findtime %s s, bantime %s s",
        jail.name,
        jail.maxretry,
        jail.findtime,
        jail.bantime,
    )


def set_stack_size(kib: int) -> None:
    """fail2ban's ``[Thread] stacksize`` (KiB; 0: the system's): the stack size of the
    threads started from now on.  :class:`StartupError` for a size the system refuses."""
    try:
        threading.stack_size(kib * 1024)
    except (ValueError, RuntimeError) as exc:
        raise StartupError(f"[Thread] stacksize {kib}: {exc}") from None


# -- journal (``backend = systemd``) jails ----------------------------------------------


def _backend_text(built: BuiltJail) -> str:
    """The jail's ``backend`` setting, as written in the configuration."""
    opts = ", ".join(f"{k}={v}" for k, v in built.backend_options.items())
    return f"{built.backend}[{opts}]" if opts else built.backend


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, OSError) and exc.strerror and not exc.filename:
        text = exc.strerror  # python-systemd's OSError names no file: the caller does
    return text or type(exc).__name__


def _check_backend(built: BuiltJail) -> None:
    """What can be known about a ``systemd`` jail's journal before anything starts:
    its backend options (fail2ban's names, ``journalflags`` a number) and that
    python-systemd can be imported.  :class:`StartupError` naming the jail if not."""
    if not built.uses_journal:
        return
    where = f"jail {built.jail.name!r}: backend = {_backend_text(built)}"
    try:
        reader_args(built.backend_options)
    except ValueError as exc:
        raise StartupError(f"{where}: {exc}") from None
    try:
        load_journal()
    except BackendUnavailable as exc:
        raise StartupError(f"{where}: {exc}") from None
