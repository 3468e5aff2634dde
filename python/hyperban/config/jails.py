"""Jail definitions: ``jail.conf``, ``jail.d/*.conf``, ``jail.local``, ``jail.d/*.local``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from .actions import (
    ActionDefinition,
    ActionReader,
    NativeActionDefinition,
    PythonActionDefinition,
    native_action,
    python_action,
)
from .definition import OptionSpec, read_section_options
from .errors import ConfigError, NoOptionError, NoSectionError, OptionSyntaxError
from .filters import (
    FILTER_OPTIONS,
    FilterCommand,
    FilterDefinition,
    FilterReader,
    fill_filter_stream,
    fold_filter_stream,
)
from .ini import INCLUDES_SECTION, Config, ConfigLoader
from .options import extract_options, parse_time, split_with_options, split_words

__all__ = [
    "FAIL2BAN_COMPAT_VERSION",
    "JAIL_OPTIONS",
    "JailDefinition",
    "read_jail",
    "read_jails",
]

log = logging.getLogger(__name__)

# Offered to configs as %(fail2ban_version)s (e.g. in the stock fail2ban_agent).
FAIL2BAN_COMPAT_VERSION = "1.0.2"

_FIRST_OPTIONS: tuple[OptionSpec, ...] = (
    ("bool", "enabled", False),
    ("string", "backend", "auto"),
    ("string", "filter", ""),
)

JAIL_OPTIONS: tuple[OptionSpec, ...] = (
    ("bool", "enabled", False),
    ("string", "backend", "auto"),
    ("int", "maxretry", None),
    ("int", "maxmatches", None),
    ("string", "findtime", None),
    ("string", "bantime", None),
    ("bool", "bantime.increment", None),
    ("string", "bantime.factor", None),
    ("string", "bantime.formula", None),
    ("string", "bantime.multipliers", None),
    ("string", "bantime.maxtime", None),
    ("string", "bantime.rndtime", None),
    ("bool", "bantime.overalljails", None),
    ("string", "ignorecommand", None),
    ("bool", "ignoreself", None),
    ("string", "ignoreip", None),
    ("string", "ignorecache", None),
    ("string", "filter", ""),
    ("string", "logtimezone", None),
    ("string", "logencoding", None),
    ("string", "logpath", None),
    ("string", "action", ""),
    *FILTER_OPTIONS,
)

# Options that are not passed to the server as plain "set <jail> <option>" values.
_NOT_PLAIN = frozenset(
    {"action", "filter", "enabled", "backend", "logpath", "ignoreip"}
    | {name for _, name, _ in FILTER_OPTIONS}
)
# Jail-section variables that stock configs use to build actions.
_ACTION_VARIABLES = ("banaction", "banaction_allports", "port", "protocol", "chain", "mode")


class _JailDefError(Exception):
    pass


@dataclass
class JailDefinition:
    """One jail, with its filter and actions resolved.

    ``options`` holds what fail2ban reads for the jail, typed as fail2ban types them
    (``maxretry``/``maxmatches``/``maxlines`` int, ``enabled``/``ignoreself``/
    ``bantime.increment``/``bantime.overalljails`` bool, the rest strings).  Time spans
    stay strings as written (``10m``); use :func:`parse_time` or the ``*_seconds``
    properties.  ``filter`` is the effective filter: the filter file's definitions with
    the jail's own ``failregex``/``prefregex``/... applied.  ``error`` is set (and
    filter/actions may be missing) when fail2ban would skip the jail because of a bad
    filter or action reference.
    """

    name: str
    enabled: bool
    backend: str
    filter_spec: str
    filter: FilterDefinition | None
    logpath: list[str]
    action_specs: list[tuple[str, dict[str, str]]]
    actions: list[ActionDefinition | PythonActionDefinition | NativeActionDefinition]
    options: dict[str, object]
    variables: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    # The jail-level set-up values other than filter ones ("set <jail> <opt> <value>").
    settings: dict[str, object] = field(default_factory=dict)

    def _opt(self, name: str) -> object:
        return self.options.get(name)

    def _str(self, name: str) -> str | None:
        value = self.options.get(name)
        return None if value is None else str(value)

    @property
    def maxretry(self) -> int | None:
        value = self._opt("maxretry")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def maxmatches(self) -> int | None:
        value = self._opt("maxmatches")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def findtime(self) -> str | None:
        return self._str("findtime")

    @property
    def bantime(self) -> str | None:
        return self._str("bantime")

    @property
    def findtime_seconds(self) -> float | None:
        value = self.findtime
        return None if value is None else parse_time(value)

    @property
    def bantime_seconds(self) -> float | None:
        value = self.bantime
        return None if value is None else parse_time(value)

    @property
    def bantime_increment(self) -> dict[str, object]:
        """The ``bantime.*`` options that are set (keys without the prefix)."""
        return {
            k[len("bantime.") :]: v
            for k, v in self.options.items()
            if k.startswith("bantime.") and v is not None
        }

    @property
    def ignoreip(self) -> list[str]:
        return split_words(self._str("ignoreip"))

    @property
    def ignoreself(self) -> bool | None:
        value = self._opt("ignoreself")
        return value if isinstance(value, bool) else None

    @property
    def ignorecommand(self) -> str | None:
        return self._str("ignorecommand")

    @property
    def ignorecache(self) -> str | None:
        return self._str("ignorecache")

    @property
    def usedns(self) -> str | None:
        if self.filter is not None and self.filter.usedns is not None:
            return self.filter.usedns
        return self._str("usedns")

    @property
    def logencoding(self) -> str | None:
        return self._str("logencoding")

    @property
    def logtimezone(self) -> str | None:
        return self._str("logtimezone")

    @property
    def backend_spec(self) -> tuple[str, dict[str, str]]:
        """The backend name and its parameters (``systemd[journalflags=1]``)."""
        return extract_options(self.backend)

    @property
    def logpath_specs(self) -> list[tuple[str, str]]:
        """(glob, where to start: "head"/"tail") for each ``logpath`` line."""
        out: list[tuple[str, str]] = []
        for line in self.logpath:
            parts = line.rsplit(" ", 1)
            out.append((parts[0], parts[1]) if len(parts) > 1 else (parts[0], "head"))
        return out

    @property
    def port(self) -> str | None:
        return self.variables.get("port")

    @property
    def protocol(self) -> str | None:
        return self.variables.get("protocol")

    @property
    def chain(self) -> str | None:
        return self.variables.get("chain")

    @property
    def banaction(self) -> str | None:
        return self.variables.get("banaction")

    @property
    def banaction_allports(self) -> str | None:
        return self.variables.get("banaction_allports")


def _jail_variables(cfg: Config, jail: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in _ACTION_VARIABLES:
        try:
            out[name] = cfg.get(jail, name)
        except (NoOptionError, NoSectionError):
            continue
        except ConfigError as exc:
            log.debug("jail %s: cannot resolve %s: %s", jail, name, exc)
    return out


def _read_one_jail(
    cfg: Config,
    loader: ConfigLoader,
    basedir: str,
    name: str,
    *,
    force_enable: bool,
    version: str,
) -> JailDefinition | None:
    """Read one jail section of the (shared, mutated) jail config; None if disabled."""
    cfg.merge_defaults({"fail2ban_version": version, "fail2ban_confpath": basedir})
    opts = read_section_options(cfg, name, _FIRST_OPTIONS, must_exist=True)
    enabled = bool(opts.get("enabled"))
    if not (force_enable or enabled):
        return None
    filter_reader: FilterReader | None = None
    readers: list[ActionReader | PythonActionDefinition | NativeActionDefinition] = []
    specs: list[tuple[str, dict[str, str]]] = []
    try:
        filter_spec = str(opts["filter"])
        if filter_spec:
            try:
                filter_name, filter_opts = extract_options(filter_spec)
            except OptionSyntaxError as exc:
                raise _JailDefError(f"Invalid filter definition {filter_spec!r}: {exc}") from None
            filter_reader = FilterReader(loader, basedir, filter_name, name, filter_opts)
            if not filter_reader.read():
                raise _JailDefError(f"Unable to read the filter {filter_name!r}")
            filter_reader.apply_auto_options(str(opts.get("backend", "")))
            filter_reader.get_options(opts, all=True)
            cfg.merge_section(name, filter_reader.get_combined(), "known/")
        else:
            log.warning("No filter set for jail %s", name)

        opts = read_section_options(cfg, name, JAIL_OPTIONS)
        if filter_reader is not None:
            filter_reader.get_options(opts)

        for item in split_with_options(str(opts["action"])):
            item = item.strip()
            if not item:
                continue
            try:
                action_name, action_opts = extract_options(item)
            except OptionSyntaxError as exc:
                raise _JailDefError(f"Invalid action definition {item!r}: {exc}") from None
            specs.append((action_name, dict(action_opts)))
            if action_name.endswith(".py"):
                readers.append(python_action(basedir, action_name, name, action_opts))
                continue
            # hyperban-nftables etc. need no file (a user's file of that name wins).
            native = native_action(basedir, action_name, name, action_opts)
            if native is not None:
                readers.append(native)
                continue
            reader = ActionReader(loader, basedir, action_name, name, action_opts)
            if not reader.read():
                raise _JailDefError(f"Unable to read action {action_name!r}")
            reader.get_options(opts)
            readers.append(reader)
        if not readers:
            log.warning("No actions were defined for %s", name)
    except _JailDefError as exc:
        log.error("%s", exc)
        log.error("Errors in jail %r. Skipping...", name)
        return JailDefinition(
            name=name,
            enabled=enabled,
            backend=str(opts.get("backend", "auto")),
            filter_spec=str(opts.get("filter", "")),
            filter=None,
            logpath=[],
            action_specs=specs,
            actions=[],
            options=dict(opts),
            error=str(exc),
        )

    # Filter set-up: the filter's own steps, then the jail's overrides.
    filter_def: FilterDefinition | None = None
    commands: list[FilterCommand] = []
    filter_opts_resolved: dict[str, object] = {}
    if filter_reader is not None:
        commands, filter_opts_resolved = filter_reader.stream()
    fill_filter_stream(commands, opts)
    if filter_reader is not None:
        filter_def = filter_reader.make_definition(commands, filter_opts_resolved)
    elif commands:
        filter_def = _filter_from_jail(name, commands)

    actions: list[ActionDefinition | PythonActionDefinition | NativeActionDefinition] = []
    for reader_or_def in readers:
        if isinstance(reader_or_def, ActionReader):
            actions.append(reader_or_def.definition())
        else:
            actions.append(reader_or_def)

    logpath_raw = opts.get("logpath")
    logpath = [] if logpath_raw is None else [p for p in str(logpath_raw).split("\n") if p]
    settings = {k: v for k, v in opts.items() if k not in _NOT_PLAIN}
    return JailDefinition(
        name=name,
        enabled=enabled,
        backend=str(opts.get("backend", "auto")),
        filter_spec=str(opts.get("filter", "")),
        filter=filter_def,
        logpath=logpath,
        action_specs=specs,
        actions=actions,
        options=dict(opts),
        variables=_jail_variables(cfg, name),
        settings=settings,
    )


def _filter_from_jail(jail: str, commands: list[FilterCommand]) -> FilterDefinition:
    """A filter made only of regexes etc. given directly in a jail without ``filter``."""
    return fold_filter_stream(commands).definition(
        name="", file="", files=[], params={}, options={}
    )


def read_jails(
    basedir: str = "/etc/fail2ban",
    *,
    force_enable: bool = False,
    only: Iterable[str] | None = None,
    loader: ConfigLoader | None = None,
    version: str = FAIL2BAN_COMPAT_VERSION,
) -> list[JailDefinition]:
    """Read all enabled jails (all jails with ``force_enable``) in configuration order.

    ``only`` restricts reading to the named jails (a name that does not exist raises
    :class:`ConfigError`).  Malformed files raise :class:`ConfigError`; a jail whose
    filter or action cannot be found or parsed is returned with ``error`` set, as
    fail2ban skips such a jail but starts the others.
    """
    loader = loader or ConfigLoader()
    basedir = basedir.rstrip("/") or "/"
    base_cfg = loader.read(basedir, "jail")
    if base_cfg is None:
        if only:
            raise ConfigError(f"No jail configuration found under {basedir}")
        return []
    cfg = base_cfg.copy()
    names = cfg.section_names()
    if only is not None:
        wanted = list(only)
        missing = [n for n in wanted if n not in names]
        if missing:
            raise ConfigError(f"Jail {missing[0]!r} was not found among available")
        names = wanted
    jails: list[JailDefinition] = []
    for name in names:
        if name == INCLUDES_SECTION:
            continue
        jail = _read_one_jail(
            cfg, loader, basedir, name, force_enable=force_enable, version=version
        )
        if jail is not None:
            jails.append(jail)
    return jails


def read_jail(
    name: str,
    basedir: str = "/etc/fail2ban",
    *,
    force_enable: bool = True,
    loader: ConfigLoader | None = None,
    version: str = FAIL2BAN_COMPAT_VERSION,
) -> JailDefinition | None:
    """Read one jail by name (enabled or not, unless ``force_enable=False``)."""
    found = read_jails(
        basedir, force_enable=force_enable, only=[name], loader=loader, version=version
    )
    return found[0] if found else None
