"""Daemon settings: ``fail2ban.conf``, ``fail2ban.d/*.conf``, ``fail2ban.local``, ..."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .definition import OptionSpec, read_section_options
from .errors import ConfigError
from .ini import ConfigLoader
from .options import parse_time

__all__ = ["LOG_LEVELS", "ServerConfig", "log_level_value", "read_server_config"]

log = logging.getLogger(__name__)

# Level names fail2ban accepts for ``loglevel`` (besides plain numbers).
LOG_LEVELS: dict[str, int] = {
    "CRITICAL": 50,
    "FATAL": 50,
    "ERROR": 40,
    "WARNING": 30,
    "WARN": 30,
    "NOTICE": 25,
    "INFO": 20,
    "MSG": 18,
    "DEBUG": 10,
    "TRACEDEBUG": 7,
    "HEAVYDEBUG": 5,
    "NOTSET": 0,
}

#: fail2ban's level for bans and unbans, between INFO and WARNING.
NOTICE = LOG_LEVELS["NOTICE"]

_EARLY_OPTIONS: tuple[OptionSpec, ...] = (
    ("string", "socket", "/var/run/fail2ban/fail2ban.sock"),
    ("string", "pidfile", "/var/run/fail2ban/fail2ban.pid"),
)
_OPTIONS: tuple[OptionSpec, ...] = (
    ("string", "loglevel", "INFO"),
    ("string", "logtarget", "STDERR"),
    ("string", "syslogsocket", "auto"),
    ("string", "allowipv6", "auto"),
    ("string", "dbfile", "/var/lib/fail2ban/fail2ban.sqlite3"),
    ("int", "dbmaxmatches", None),
    ("string", "dbpurgeage", "1d"),
)
_THREAD_OPTIONS: tuple[OptionSpec, ...] = (("int", "stacksize", None),)


def log_level_value(value: str | int) -> int:
    """Numeric log level of a ``loglevel`` value (name or number)."""
    if isinstance(value, int):
        return value
    if value.isdigit():
        return int(value)
    try:
        return LOG_LEVELS[value.upper()]
    except KeyError:
        raise ValueError(f"Invalid log level {value!r}") from None


@dataclass
class ServerConfig:
    """Settings of the daemon itself (``[Definition]`` and ``[Thread]``)."""

    loglevel: str = "INFO"
    logtarget: str = "STDERR"
    syslogsocket: str = "auto"
    allowipv6: str = "auto"
    socket: str = "/var/run/fail2ban/fail2ban.sock"
    pidfile: str = "/var/run/fail2ban/fail2ban.pid"
    dbfile: str = "/var/lib/fail2ban/fail2ban.sqlite3"
    dbpurgeage: str = "1d"
    dbmaxmatches: int | None = None
    stacksize: int | None = None
    files: list[str] = field(default_factory=list)

    @property
    def loglevel_value(self) -> int:
        return log_level_value(self.loglevel)

    @property
    def dbpurgeage_seconds(self) -> float:
        return parse_time(self.dbpurgeage)


def parse_allowipv6(value: str) -> bool | None:
    """``allowipv6``: ``auto`` -> None (ask the system), a yes/no word -> True/False;
    ``ValueError`` naming the value."""
    text = str(value).strip().lower()
    if text == "auto":
        return None
    if text in ("1", "yes", "true", "on"):
        return True
    if text in ("0", "no", "false", "off"):
        return False
    raise ValueError(f"allowipv6 must be auto, yes or no, not {value!r}")


def read_server_config(
    basedir: str = "/etc/fail2ban", *, loader: ConfigLoader | None = None
) -> ServerConfig:
    """Read ``fail2ban.conf`` & co.; missing options (or files) take fail2ban's defaults."""
    loader = loader or ConfigLoader()
    cfg = loader.read(basedir, "fail2ban")
    result = ServerConfig()
    if cfg is None:
        return result
    result.files = list(cfg.files)
    values = read_section_options(cfg, "Definition", _EARLY_OPTIONS)
    values.update(read_section_options(cfg, "Definition", _OPTIONS))
    for key, value in values.items():
        if value is not None:
            setattr(result, key, value)
    for option, check in (("loglevel", log_level_value), ("allowipv6", parse_allowipv6)):
        try:
            check(getattr(result, option))
        except ValueError as exc:
            origin = cfg.origin("Definition", option)
            raise ConfigError(
                str(exc), origin.file if origin else None, origin.line if origin else None
            ) from None
    if cfg.has_section("Thread"):
        thread = read_section_options(cfg, "Thread", _THREAD_OPTIONS)
        stacksize = thread.get("stacksize")
        if isinstance(stacksize, int):
            result.stacksize = stacksize
    return result
