"""From a jail's configuration (:class:`~hyperban.config.jails.JailDefinition`) to a
ready, not yet started :class:`~hyperban.server.jail.Jail`.

Everything that can fail on bad configuration happens here -- the filter's regexes are
compiled, times parsed, ``ignoreip`` entries checked, actions loaded -- so that the daemon
builds every jail before it starts any (no half-started daemon).  Errors are
:class:`JailBuildError` naming the jail and, where known, the file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from hyperban.actions.info import ActionInfo
from hyperban.actions.loader import build_actions
from hyperban.actions.runner import run_command
from hyperban.actions.tags import render
from hyperban.config.jails import JailDefinition
from hyperban.config.options import parse_time
from hyperban.filter import Filter, FilterError
from hyperban.server.bantime import BanTimeIncrement
from hyperban.server.clock import Clock
from hyperban.server.database import Database
from hyperban.server.ignore import IgnoreList, parse_ignorecache
from hyperban.server.jail import Jail
from hyperban.server.observer import Observer
from hyperban.server.ticket import Ticket

__all__ = ["BuiltJail", "JailBuildError", "build_jail"]

log = logging.getLogger(__name__)

# fail2ban's values when neither jail.conf's [DEFAULT] nor the jail sets them.
DEFAULT_MAXRETRY = 3
DEFAULT_FINDTIME = 600.0
DEFAULT_BANTIME = 600.0


class JailBuildError(ValueError):
    """A jail that cannot be set up; the message names the jail and the cause."""


@dataclass
class BuiltJail:
    """A jail and where its log lines come from."""

    jail: Jail
    backend: str  # auto / polling / inotify / pyinotify / systemd ...
    backend_options: dict[str, str]
    logpaths: list[str]  # "GLOB [head|tail]" lines as logwatch parses them
    journalmatch: list[str]
    logencoding: str

    @property
    def uses_journal(self) -> bool:
        """A ``systemd`` jail: it reads the journal, not files."""
        return self.backend.lower() == "systemd"


def _seconds(definition: JailDefinition, name: str, value: str | None, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return parse_time(value)
    except ValueError as exc:
        raise JailBuildError(f"jail {definition.name!r}: invalid {name} {value!r}: {exc}") from None


def _ignore_list(definition: JailDefinition) -> IgnoreList:
    ignore = IgnoreList(definition.name, render=render, run_command=_ignore_command)
    try:
        ignore.add_many(definition.ignoreip)
        ignore.cache = parse_ignorecache(definition.ignorecache)
    except ValueError as exc:
        raise JailBuildError(f"jail {definition.name!r}: {exc}") from None
    if definition.ignoreself is not None:
        ignore.ignore_self = definition.ignoreself
    ignore.command = definition.ignorecommand or None
    return ignore


def _ignore_command(command: str) -> int | None:
    """Run a rendered ``ignorecommand``; its exit status (None if it could not run)."""
    result = run_command(command, timeout=60.0)
    return result.returncode


def build_jail(
    definition: JailDefinition,
    *,
    clock: Clock,
    observer: Observer | None,
    database: Database | None,
) -> BuiltJail:
    """Build one jail; raises :class:`JailBuildError`."""
    name = definition.name
    if definition.error:
        raise JailBuildError(f"jail {name!r}: {definition.error}")
    if definition.filter is None:
        raise JailBuildError(f"jail {name!r} has no filter (set filter = NAME)")
    findtime = _seconds(definition, "findtime", definition.findtime, DEFAULT_FINDTIME)
    bantime = _seconds(definition, "bantime", definition.bantime, DEFAULT_BANTIME)
    maxretry = definition.maxretry if definition.maxretry is not None else DEFAULT_MAXRETRY
    usedns = definition.usedns or "warn"
    try:
        flt = Filter.from_definition(
            definition.filter,
            # (a jail option in fail2ban: the filter file cannot set it)
            logtimezone=definition.logtimezone,
            usedns=usedns,
            check_find_time=True,
            find_time=findtime,
            raw_host=usedns == "raw",
            clock=clock.time,
        )
    except FilterError as exc:
        where = definition.filter.file or definition.filter_spec
        raise JailBuildError(f"jail {name!r}: filter {where}: {exc}") from None
    try:
        increment = BanTimeIncrement.from_options(definition.bantime_increment)
    except ValueError as exc:
        raise JailBuildError(f"jail {name!r}: {exc}") from None

    jail: Jail = None  # type: ignore[assignment]

    def make_info(ticket: Ticket) -> ActionInfo:
        return ActionInfo(ticket, jail)

    jail = Jail(
        name,
        flt,
        clock=clock,
        make_info=make_info,
        observer=observer,
        database=database,
        maxretry=maxretry,
        findtime=findtime,
        bantime=bantime,
        maxmatches=definition.maxmatches,
        increment=increment,
        ignore=_ignore_list(definition),
    )
    try:
        for action in build_actions(jail, definition.actions):
            jail.actions.add(action)
    except Exception as exc:  # an action that cannot load names itself in the message
        raise JailBuildError(f"jail {name!r}: {exc}") from None
    backend, backend_options = definition.backend_spec
    return BuiltJail(
        jail=jail,
        backend=backend,
        backend_options=dict(backend_options),
        logpaths=list(definition.logpath),
        journalmatch=list(definition.filter.journalmatch),
        logencoding=definition.logencoding or "auto",
    )


def describe(built: BuiltJail) -> dict[str, Any]:
    """A summary for the start-up log."""
    jail = built.jail
    return {
        "name": jail.name,
        "backend": built.backend,
        "logpaths": built.logpaths,
        "maxretry": jail.maxretry,
        "findtime": jail.findtime,
        "bantime": jail.bantime,
        "actions": list(jail.actions.actions),
    }
