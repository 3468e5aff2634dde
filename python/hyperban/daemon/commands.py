"""The control commands of the daemon (:class:`~hyperban.control.api.ControlTarget`).

A mixin of :class:`~hyperban.daemon.server.Server`: each method maps one fail2ban-client
command onto the running jails.  Reply shapes are documented in
:mod:`hyperban.control.api`.  Methods run on the control socket's thread, so they only
touch thread-safe parts (ban/fail managers take locks; bans and unbans go through the
jail's action queue or its locked unban path).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shlex
import threading
from typing import TYPE_CHECKING, Any

import hyperban
from hyperban.actions.ipv6 import set_allowipv6
from hyperban.config.options import parse_time
from hyperban.config.server import log_level_value
from hyperban.control.api import UnknownJailError, UnsupportedError
from hyperban.filter import FilterError
from hyperban.filter.dns import Address
from hyperban.filter.source import normalize_encoding
from hyperban.logwatch.journal import parse_journalmatch
from hyperban.logwatch.logpath import LogPath
from hyperban.logwatch.positions import PositionBook
from hyperban.server.bantime import BanTimeIncrement
from hyperban.server.clock import Clock
from hyperban.server.ignore import parse_ignorecache
from hyperban.server.jail import IgnoredAddressError, Jail

from . import logs

if TYPE_CHECKING:
    from .build import BuiltJail
    from .server import Server

__all__ = ["ServerCommands"]

log = logging.getLogger("hyperban.server")

_BANTIME_KEYS = (
    "increment", "factor", "formula", "multipliers", "maxtime", "rndtime", "overalljails",
)  # fmt: skip


class ServerCommands:
    """ControlTarget methods; ``self`` is a :class:`Server`."""

    # -- helpers ----------------------------------------------------------------------

    def _built(self: Server, name: str) -> BuiltJail:
        # a reload holds the lock while it swaps jails: wait for it rather than report a
        # jail that is only being restarted as missing
        with self._lock:
            built = self.jails.get(name)
        if built is None:
            raise UnknownJailError(name)
        return built

    def _jail(self: Server, name: str) -> Jail:
        return self._built(name).jail

    def _journal_match(self: Server, name: str) -> list[list[str]]:
        """The journal matches of a journal (``backend = systemd``) jail as fail2ban's
        ``FilterSystemd.getJournalMatch`` holds them -- one list of ``FIELD=value`` words
        per alternative -- or ``[]`` for a jail that reads files (as fail2ban's server
        answers: "No journal match filter set")."""
        with self._lock:
            built = self._built(name)
            if name not in self._journals:
                return []
            return parse_journalmatch(built.journalmatch)

    def _log_encoding(self: Server, name: str) -> str:
        """The jail's ``logencoding``, ``auto`` resolved as fail2ban resolves it (the
        locale's preferred encoding, e.g. ``UTF-8``)."""
        return normalize_encoding(self._built(name).logencoding)

    # -- server -----------------------------------------------------------------------

    def ping(self) -> str:
        return "pong"

    def version(self) -> str:
        return hyperban.__version__

    def status(self: Server) -> list[tuple[str, Any]]:
        with self._lock:
            names = sorted(self.jails)
        return [("Number of jail", len(names)), ("Jail list", ", ".join(names))]

    def stop(self: Server) -> None:
        # the reply must leave before the socket closes: shut down from another thread
        threading.Thread(target=self.request_stop, name="hyperban-stop", daemon=True).start()

    def reload(
        self: Server, jail: str | None, *, restart: bool, unban: bool, if_exists: bool
    ) -> None:
        if jail is not None and jail not in self.jails and not if_exists:
            # a stopped jail may come back from the configuration; only check it exists
            from hyperban.config.jails import read_jails

            names = {d.name for d in read_jails(self.options.confdir)}
            if jail not in names:
                raise UnknownJailError(jail)
        self._reload(jail, unban=unban, restart=restart)

    def _reload(
        self: Server, jail: str | None, *, unban: bool = False, restart: bool = False
    ) -> None:
        from .server import StartupError

        try:
            self.reload_jails(jail, unban=unban, restart=restart)
        except StartupError as exc:
            # a bad configuration or a journal that cannot be opened: the client's
            # error message, not a bug (with its traceback) in the daemon's log
            raise ValueError(str(exc)) from None

    def flush_logs(self) -> str:
        return logs.reopen()

    def get_server_param(self: Server, name: str) -> Any:
        if name == "loglevel":
            # as given (upper-cased), as fail2ban answers: '20' stays '20'
            return self._loglevel_text or logging.getLevelName(logging.getLogger("hyperban").level)
        if name == "logtarget":
            return logs.current_target()
        if name == "syslogsocket":
            return self.config.syslogsocket
        if name == "dbfile":
            return None if self.database is None else self.database.filename
        if name == "dbpurgeage":
            return None if self.database is None else int(self.database.purgeage)
        if name == "dbmaxmatches":
            return None if self.database is None else self.database.maxMatches
        if name == "allowipv6":
            return self.config.allowipv6
        if name == "thread":
            return {"stacksize": threading.stack_size() // 1024}
        raise ValueError(f"unknown server parameter {name!r}")

    def set_server_param(self: Server, name: str, value: str) -> None:
        if name == "loglevel":
            log_level_value(value)  # ValueError names the value
            logs.configure(logs.current_target(), value, self.config.syslogsocket)
            self.config.loglevel = value
            self._loglevel_text = str(value).upper()
        elif name == "logtarget":
            logs.configure(value, self.config.loglevel, self.config.syslogsocket)
            self.config.logtarget = value
        elif name == "dbpurgeage":
            if self.database is None:
                raise ValueError("no database (dbfile is not set)")
            self.database.purgeage = value
        elif name == "dbmaxmatches":
            if self.database is None:
                # as fail2ban: not an error, the reply says None
                log.info("dbmaxmatches setting was not in effect since no db yet")
                return
            self.database.maxMatches = int(value)
        elif name == "syslogsocket":
            target = logs.current_target()
            if target.upper() == "SYSLOG":
                logs.configure(target, self.config.loglevel, value)
            self.config.syslogsocket = value
        elif name == "dbfile":
            with self._lock:
                running = bool(self.jails)
            if running:  # fail2ban's words: the jails' state lives in the database
                raise ValueError("Cannot change database when there are jails present")
            raise UnsupportedError("set dbfile is not supported while running")
        elif name == "allowipv6":
            set_allowipv6(value)  # ValueError names the value
            self.config.allowipv6 = value
        elif name == "thread":
            options = json.loads(value) if isinstance(value, str) else value
            if not isinstance(options, dict) or set(options) - {"stacksize"}:
                raise ValueError(f'thread options are {{"stacksize": KiB}}, not {value!r}')
            if "stacksize" in options:
                from .server import StartupError, set_stack_size

                try:
                    set_stack_size(int(options["stacksize"]))
                except StartupError as exc:
                    raise ValueError(str(exc)) from None
        else:
            raise UnsupportedError(f"set {name} is not supported while running")

    # -- jails ------------------------------------------------------------------------

    def status_jail(self: Server, jail: str, flavor: str) -> list[tuple[str, list[Any]]]:
        status = self._jail(jail).status()
        with self._lock:
            reads_journal = jail in self._journals
        source: tuple[str, Any]
        if not reads_journal:
            source = ("File list", status["file_list"])
        else:
            groups = self._journal_match(jail)
            # fail2ban's FilterSystemd.status: one string, alternatives joined by " + "
            source = ("Journal matches", [" + ".join(" ".join(g) for g in groups)])
        actions: list[tuple[str, Any]] = [
            ("Currently banned", status["currently_banned"]),
            ("Total banned", status["total_banned"]),
        ]
        if flavor != "short":
            actions.append(("Banned IP list", status["banned"]))
        return [
            (
                "Filter",
                [
                    ("Currently failed", status["currently_failed"]),
                    ("Total failed", status["total_failed"]),
                    source,
                ],
            ),
            ("Actions", actions),
        ]

    def start_jail(self: Server, jail: str) -> None:
        if jail in self.jails:
            return
        self._reload(jail)
        if jail not in self.jails:
            raise UnknownJailError(jail)

    def stop_jail(self: Server, jail: str) -> None:
        self._jail(jail)
        with self._lock:
            self.stopped_jails[jail] = self._stop_jail(jail)

    def stop_all_jails(self: Server) -> None:
        for name in list(self.jails):
            self.stop_jail(name)

    def get_jail_param(self: Server, jail: str, name: str) -> Any:
        j = self._jail(jail)
        flt = j.filter
        if name.startswith("bantime.") and name != "bantime":
            return self._bantime_option(j, name[len("bantime.") :])
        getters: dict[str, Any] = {
            "logpath": lambda: list(j.log_paths),
            "logencoding": lambda: self._log_encoding(jail),
            "journalmatch": lambda: self._journal_match(jail),
            "ignoreself": lambda: j.ignore.ignore_self,
            "ignoreip": lambda: j.ignore.entries(),
            "ignorecommand": lambda: j.ignore.command or "",
            "ignorecache": lambda: None if j.ignore.cache is None else j.ignore.cache.describe(),
            # the regexes as they run, tags expanded (fail2ban's Regex.getRegex)
            "prefregex": lambda: "" if flt.prefregex is None else flt.prefregex.expanded,
            "failregex": lambda: [r.expanded for r in flt.failregex],
            "ignoreregex": lambda: [r.expanded for r in flt.ignoreregex],
            "usedns": lambda: flt.usedns,
            "findtime": lambda: int(j.findtime),
            "datepattern": lambda: _date_pattern(flt.datepattern, flt.date_detector.templates),
            "logtimezone": lambda: flt.logtimezone,
            "maxmatches": lambda: j.fail_manager.maxMatches,
            "maxretry": lambda: j.maxretry,
            "maxlines": lambda: flt.maxlines,
            "bantime": lambda: int(j.bantime),
            "actions": lambda: list(j.actions.actions),
            "idle": lambda: jail in self._idle or not j.is_alive,
        }
        getter = getters.get(name)
        if getter is None:
            raise ValueError(f"unknown jail parameter {name!r}")
        return getter()

    def _bantime_option(self, jail: Jail, key: str) -> Any:
        # as fail2ban's getBanTimeExtra: what was given, None for what was not
        if key in _BANTIME_KEYS:
            return jail.increment.given.get(key)
        raise ValueError(f"unknown parameter bantime.{key}")

    def set_jail_param(self: Server, jail: str, name: str, value: Any) -> None:
        j = self._jail(jail)
        self.note_runtime_change(jail)
        if name.startswith("bantime.") and name != "bantime":
            key = name[len("bantime.") :]
            # parse the one new value, keep every other setting as it is
            parsed = BanTimeIncrement.from_options({key: value})
            given = {k: v for k, v in j.increment.given.items() if k != key}
            given.update(parsed.given)  # (an empty value unsets the option)
            j.increment = dataclasses.replace(
                j.increment, **{key: getattr(parsed, key)}, given=given
            )
            if j.observer is not None:
                j.observer.jail(j.name).increment = j.increment
            return
        if name == "maxretry":
            j.maxretry = int(value)
        elif name == "maxmatches":
            j.fail_manager.maxMatches = int(value)
        elif name == "findtime":
            j.findtime = parse_time(str(value))
        elif name == "bantime":
            j.bantime = parse_time(str(value))
        elif name == "usedns":
            from hyperban.filter.dns import normalize_usedns

            j.filter.usedns = normalize_usedns(str(value))
        elif name == "ignoreself":
            j.ignore.ignore_self = str(value).lower() in ("1", "true", "yes", "on")
        elif name == "ignorecommand":
            j.ignore.command = str(value) or None
        elif name == "ignorecache":
            j.ignore.cache = parse_ignorecache(str(value))
        elif name == "maxlines":
            self._change_filter(jail, maxlines=int(value))
        elif name == "datepattern":
            self._change_filter(jail, datepattern=str(value) or None)
        elif name == "logtimezone":
            self._change_filter(jail, logtimezone=str(value) or None)
        elif name == "idle":
            self._set_idle(jail, bool(value))
        elif name == "logencoding":
            self._set_log_encoding(jail, str(value))
        else:
            raise UnsupportedError(f"set {jail} {name} is not supported while running")

    def _set_idle(self: Server, jail: str, idle: bool) -> None:
        """fail2ban's idle jail: it reads no log while idle (its bans still end on
        time); back from idle it reads on from where it stopped, so the lines written
        meanwhile are not lost."""
        with self._lock:
            self._jail(jail)
            if idle == (jail in self._idle):
                return
            if self.jails[jail].uses_journal:
                self._set_journal_idle(jail, idle)
                return
            if idle:
                self._idle[jail] = self._leave_hub(jail)
                log.info("[%s] idle: its logs are not read", jail)
                return
            self._rejoin_hub(jail, self._idle.pop(jail))
            log.info("[%s] no longer idle: reading its logs on", jail)

    def _leave_hub(self: Server, jail: str) -> list[LogPath]:
        """(under the lock) The jail's files leave the log hub at once (no chunk reaches
        the jail after this), their positions noted; returns their log paths."""
        assert self.hub is not None
        self._leave_scan_group(self._feeds[jail])
        subs = self._subscriptions.pop(jail, [])
        for sub in subs:
            self.hub.unsubscribe(sub, now=True)
        return [sub.logpath for sub in subs]

    def _rejoin_hub(self: Server, jail: str, logpaths: list[LogPath]) -> None:
        """(under the lock) The jail reads ``logpaths`` again from their noted positions,
        decoded from its current ``logencoding``."""
        assert self.hub is not None
        built, feed = self.jails[jail], self._feeds[jail]
        self._subscriptions[jail] = [
            self.hub.subscribe(jail, lp, feed, encoding=built.logencoding, tail=False)
            for lp in logpaths
        ]
        self._regroup_scans()

    def _set_journal_idle(self: Server, jail: str, idle: bool) -> None:
        """(under the lock) An idle journal jail's reader stops; back from idle a new
        one reads on from the last entry the old one delivered."""
        if idle:
            watch = self._journals.pop(jail)
            watch.stop()
            self._idle[jail] = []
            self._idle_books[jail] = watch.book
            log.info("[%s] idle: its journal is not read", jail)
            return
        del self._idle[jail]
        self._reopen_journal(jail, self._idle_books.pop(jail))
        log.info("[%s] no longer idle: reading its journal on", jail)

    def _reopen_journal(self: Server, jail: str, book: PositionBook) -> None:
        """(under the lock) A new reader of ``jail``'s journal with its current matches,
        reading on from ``book``'s last entry."""
        watch = self._open_journal(self.jails[jail], self._feeds[jail], book)
        watch.start()
        self._journals[jail] = watch

    def _journal_groups(self: Server, jail: str) -> list[list[str]]:
        built = self._built(jail)
        if not built.uses_journal:
            raise ValueError(f"jail {jail!r} reads log files, not the journal")
        return parse_journalmatch(built.journalmatch)

    def add_journal_match(self: Server, jail: str, words: list[str]) -> None:
        """fail2ban's ``addJournalMatch``: ``words`` (``FIELD=value``, groups split by
        ``+``) become alternatives after the jail's matches."""
        added = parse_journalmatch(shlex.join(words))
        self._set_journal_groups(jail, self._journal_groups(jail) + added)
        log.info("[%s] Added journal match for: %r", jail, " ".join(words))

    def del_journal_match(self: Server, jail: str, words: list[str]) -> None:
        """fail2ban's ``delJournalMatch``: the alternative that is exactly ``words``."""
        groups = self._journal_groups(jail)
        if words not in groups:
            raise ValueError(f"Match {words!r} not found")
        groups.remove(words)
        self._set_journal_groups(jail, groups)
        log.info("[%s] Removed journal match for: %r", jail, words)

    def _set_journal_groups(self: Server, jail: str, groups: list[list[str]]) -> None:
        """The jail reads the journal with these alternatives from now on, from its last
        entry on; if the journal refuses them, the old ones stay."""
        with self._lock:
            built = self._built(jail)
            old = built.journalmatch
            built.journalmatch = [shlex.join(group) for group in groups]
            self.note_runtime_change(jail)
            if jail in self._idle:
                return  # (its reader comes back with them)
            from .server import StartupError

            watch = self._journals.pop(jail)
            watch.stop()
            try:
                self._reopen_journal(jail, watch.book)
            except StartupError as exc:
                built.journalmatch = old
                self._reopen_journal(jail, watch.book)
                raise ValueError(str(exc)) from None

    def _set_log_encoding(self: Server, jail: str, encoding: str) -> None:
        """Lines from now on are decoded from ``encoding``: the jail's logs leave the hub
        (their positions noted) and come back with it, reading on from there."""
        try:
            normalize_encoding(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding: {encoding}") from None
        with self._lock:
            built = self._built(jail)
            built.logencoding = encoding
            if built.uses_journal or jail in self._idle:
                return  # (an idle jail takes the encoding when it resumes)
            self._rejoin_hub(jail, self._leave_hub(jail))

    def _change_filter(self: Server, jail: str, **changes: object) -> None:
        """The running jail reads with its filter changed as ``changes`` say (see
        ``Filter.with_changes``); a bad value (a regex that does not compile, say) is a
        ValueError and leaves the filter as it was."""
        with self._lock:
            j = self._jail(jail)
            try:
                flt = j.filter.with_changes(**changes)
            except FilterError as exc:
                raise ValueError(str(exc)) from None
            self.note_runtime_change(jail)
            self._use_filter(jail, flt)
            self._regroup_scans()

    def add_fail_regex(self: Server, jail: str, regex: str) -> None:
        self._edit_regexes(jail, "failregex", add=regex)

    def del_fail_regex(self: Server, jail: str, index: int) -> None:
        self._edit_regexes(jail, "failregex", remove=index)

    def add_ignore_regex(self: Server, jail: str, regex: str) -> None:
        self._edit_regexes(jail, "ignoreregex", add=regex)

    def del_ignore_regex(self: Server, jail: str, index: int) -> None:
        self._edit_regexes(jail, "ignoreregex", remove=index)

    def _edit_regexes(
        self: Server, jail: str, kind: str, *, add: str | None = None, remove: int | None = None
    ) -> None:
        """Add a regex to, or remove one from, the running jail's ``failregex`` or
        ``ignoreregex`` list."""
        sources = [r.source for r in getattr(self._jail(jail).filter, kind)]
        if add is not None:
            sources.append(add)
        elif remove is not None:
            if not 0 <= remove < len(sources):
                # as fail2ban: logged, and the list is answered unchanged
                log.error("Cannot remove regular expression. Index %d is not valid", remove)
                return
            del sources[remove]
        self._change_filter(jail, **{kind: sources})

    def add_ignore_ip(self: Server, jail: str, ip: str) -> None:
        self._jail(jail).ignore.add(ip)
        self.note_runtime_change(jail)

    def del_ignore_ip(self: Server, jail: str, ip: str) -> None:
        self._jail(jail).ignore.remove(ip)
        self.note_runtime_change(jail)

    def add_log_path(self: Server, jail: str, path: str, tail: bool) -> None:
        j = self._jail(jail)
        self.note_runtime_change(jail)
        if jail in self._journals:
            return  # a journal jail has no files: fail2ban's server ignores it too
        if not os.path.exists(path):
            # as fail2ban's server, which opens the file at once (a glob in the
            # configuration may name no file yet; a command names one file)
            raise ValueError(f"[Errno 2] No such file or directory: {path!r}")
        if jail in self._idle:  # read from when the jail is no longer idle
            self._idle[jail].append(LogPath(path, tail))
            j.log_paths.append(path)
            return
        built = self.jails[jail]
        assert self.hub is not None
        from .feeds import JailFeed

        # a jail with an extra file no longer reads the same logs as its scan group
        feed = self._feeds.get(jail)
        if feed is not None:
            self._leave_scan_group(feed)
        sub = self.hub.subscribe(
            jail,
            f"{path} {'tail' if tail else 'head'}",
            feed or JailFeed(j),
            encoding=built.logencoding,
        )
        self._subscriptions.setdefault(jail, []).append(sub)
        j.log_paths.append(path)

    def del_log_path(self: Server, jail: str, path: str) -> None:
        j = self._jail(jail)
        self.note_runtime_change(jail)
        subs = self._subscriptions.get(jail, [])
        for sub in list(subs):
            if sub.logpath.pattern == path:
                sub.close()
                subs.remove(sub)
        if jail in self._idle:
            self._idle[jail] = [lp for lp in self._idle[jail] if lp.pattern != path]
        if path in j.log_paths:
            j.log_paths.remove(path)

    # -- bans -------------------------------------------------------------------------

    def ban_ip(self: Server, jail: str, ips: list[str]) -> int:
        try:
            return self._jail(jail).ban_ips(ips)
        except IgnoredAddressError as exc:
            raise ValueError(str(exc)) from None

    def unban_ip(
        self: Server, jail: str | None, ips: list[str], *, report_absent: bool = False
    ) -> int:
        if jail is not None:
            j = self._jail(jail)
            if report_absent:
                # as fail2ban: the banned ones are lifted, then the others are reported
                banned = set(j.banned())
                missed = [ip for ip in ips if str(Address(ip)) not in banned]
                count = len(j.unban_ips([ip for ip in ips if ip not in missed]))
                if missed:
                    raise ValueError(f"not banned: {missed!r}")
                return count
            return len(j.unban_ips(ips))
        count = 0
        for built in self.jails.values():
            count += len(built.jail.unban_ips(ips))
        if self.database is not None:
            # bans of stopped jails (or older runs) must not come back at restart
            for ip in ips:
                self.database.delBan(None, ip)
        return count

    def add_attempt(self: Server, jail: str, ip: str, failures: list[str]) -> int:
        return self._jail(jail).add_attempt(ip, failures)

    def unban_all(self: Server) -> int:
        count = 0
        for built in self.jails.values():
            count += len(built.jail.unban_ips(built.jail.banned()))
        if self.database is not None:
            self.database.delBan(None)
        return count

    def banned(self: Server, jail: str | None, ips: list[str]) -> Any:
        if jail is not None:
            current = set(self._jail(jail).banned())
            if not ips:
                return sorted(current)
            flags = [int(str(Address(ip)) in current) for ip in ips]
            return flags[0] if len(flags) == 1 else flags
        per_jail = [(name, b.jail.banned()) for name, b in sorted(self.jails.items())]
        if not ips:
            return [{name: banned} for name, banned in per_jail]
        sets = [(name, set(banned)) for name, banned in per_jail]
        return [[name for name, banned in sets if str(Address(ip)) in banned] for ip in ips]

    def get_ban_list(self: Server, jail: str, with_time: bool) -> list[str]:
        j = self._jail(jail)
        bm = j.actions.ban_manager
        tickets = [bm.getTicket(fid) for fid in bm.getBanList(ordered=True)]
        out: list[str] = []
        for ticket in tickets:
            if ticket is None:
                continue
            if not with_time:
                out.append(str(ticket.getID()))
                continue
            bantime = ticket.getBanTime(j.bantime)
            end = ticket.getEndOfBanTime(j.bantime)
            out.append(
                f"{ticket.getID()} \t{Clock.time2str(ticket.getTime())} + {bantime} = "
                f"{Clock.time2str(end) if bantime != -1 else 'permanent'}"
            )
        return out


def _date_pattern(datepattern: str | None, templates: list[str]) -> tuple[str | None, str]:
    """``get JAIL datepattern`` as fail2ban's ``Filter.getDatePattern`` answers it: the
    default detectors (none or more than two templates) by that name, else the first
    template's pattern and name (no pattern for the epoch and TAI64N kinds)."""
    if not templates or len(templates) > 2 or datepattern is None:
        return None, "Default Detectors"
    name = templates[0]
    first = next((line.strip() for line in datepattern.splitlines() if line.strip()), "")
    if name.endswith(("Epoch", "TAI64N")):  # (LONGEPOCH's name is "LONGEPOCH": a pattern)
        return None, name
    if first.upper() == "{NONE}":
        return "{UNB}^", name
    return first, name
