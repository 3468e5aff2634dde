"""Reader for fail2ban configuration directories (``/etc/fail2ban``), read unchanged.

Entry points:

* :func:`read_jails` / :func:`read_jail` -- jails with their filters and actions resolved;
* :func:`read_filter` -- one filter (``"sshd[mode=aggressive]"``) outside of a jail;
* :func:`read_action` -- one action outside of a jail;
* :func:`read_server_config` -- ``fail2ban.conf`` settings;
* :class:`ConfigLoader` / :class:`Config` -- the ini dialect itself;
* helpers :func:`parse_time`, :func:`extract_options`, :func:`split_with_options`,
  :func:`substitute_recursive_tags`.

All configuration problems raise :class:`ConfigError` (with ``file`` and ``line`` when
known).
"""

from .actions import ActionDefinition, PythonActionDefinition, read_action
from .errors import (
    ConfigError,
    InterpolationError,
    NoOptionError,
    NoSectionError,
    OptionSyntaxError,
    TagSubstitutionError,
)
from .filters import FilterDefinition, read_filter
from .ini import Config, ConfigLoader, IniFile, Origin, parse_ini
from .jails import FAIL2BAN_COMPAT_VERSION, JailDefinition, read_jail, read_jails
from .options import as_bool, extract_options, parse_time, split_with_options, split_words
from .server import ServerConfig, read_server_config
from .tags import substitute_recursive_tags

__all__ = [
    "FAIL2BAN_COMPAT_VERSION",
    "ActionDefinition",
    "Config",
    "ConfigError",
    "ConfigLoader",
    "FilterDefinition",
    "IniFile",
    "InterpolationError",
    "JailDefinition",
    "NoOptionError",
    "NoSectionError",
    "OptionSyntaxError",
    "Origin",
    "PythonActionDefinition",
    "ServerConfig",
    "TagSubstitutionError",
    "as_bool",
    "extract_options",
    "parse_ini",
    "parse_time",
    "read_action",
    "read_filter",
    "read_jail",
    "read_jails",
    "read_server_config",
    "split_with_options",
    "split_words",
    "substitute_recursive_tags",
]
