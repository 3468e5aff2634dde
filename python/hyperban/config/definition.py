"""Shared machinery of filter and action definition files.

A definition file (``filter.d/NAME.conf``, ``action.d/NAME.conf``, each with its
``.local``/``.d`` companions and includes) has a ``[Definition]`` section with the
options fail2ban knows, an optional ``[Init]`` section with parameters that a jail may
override (``action = NAME[param=value]``), and any helper sections.  Reading one works in
steps that mirror fail2ban's client so results are identical:

1. the known ``[Definition]`` options are read with ``%(...)s`` interpolation, where the
   caller's parameters (jail options and the ``[param=value]`` list) take precedence;
2. ``[Init]`` values are added to the parameters unless given by the caller, and every
   ``[Init]`` value is also remembered as ``known/<name>``;
3. all options are combined (parameters over definition) and ``<tag>`` references between
   them are substituted recursively, looking up other options of the file on demand.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from .errors import NoOptionError, NoSectionError
from .ini import Config, ConfigLoader, Origin
from .options import as_bool
from .tags import substitute_recursive_tags

__all__ = ["DefinitionReader", "OptionSpec", "read_section_options"]

log = logging.getLogger(__name__)

OptionType = Literal["string", "int", "bool"]
# (type, name, default)
OptionSpec = tuple[OptionType, str, object]

# ``name?condition`` keys come from conditional sections such as ``[Init?family=inet6]``.
CONDITIONAL_KEY = re.compile(r"(\w+)\?(.+)")


def _convert(kind: OptionType, value: str) -> object:
    if kind == "int":
        return int(value)
    if kind == "bool":
        return as_bool(value)
    return value


def read_section_options(
    cfg: Config,
    section: str,
    specs: Iterable[OptionSpec],
    given: Mapping[str, object] | None = None,
    *,
    must_exist: bool = False,
    convert: bool = True,
) -> dict[str, object]:
    """Read the listed options of a section (fail2ban's ``ConfigReader.getOptions``).

    Options named in ``given`` are skipped (the caller supplies them) but serve as
    interpolation variables.  A missing option takes its default unless that is None;
    a value of the wrong type is replaced by the default with a warning.
    """
    given = given or {}
    values: dict[str, object] = {}
    for kind, name, default in specs:
        if name in given:
            continue
        try:
            raw = cfg.get(section, name, vars=given)
        except NoSectionError:
            if must_exist:
                raise
            log.error("No section: %r", section)
            values[name] = default
            continue
        except NoOptionError:
            if default is not None:
                log.warning(
                    "'%s' not defined in '%s'. Using default one: %r", name, section, default
                )
                values[name] = default
            continue
        values[name] = raw
        if convert:
            try:
                values[name] = _convert(kind, raw)
            except ValueError:
                log.warning(
                    "Wrong value for '%s' in '%s'. Using default one: %r", name, section, default
                )
                values[name] = default
    return values


class DefinitionReader:
    """Reads one filter or action definition in the context of a jail."""

    subdir: str = ""
    options_spec: tuple[OptionSpec, ...] = ()

    def __init__(
        self,
        loader: ConfigLoader,
        basedir: str,
        file_name: str,
        jail_name: str,
        init_opts: dict[str, str],
    ) -> None:
        self.loader = loader
        self.basedir = basedir.rstrip("/") or "/"
        self.file_name = file_name
        self.jail_name = jail_name
        # Parameters from the jail ("name[k=v]"), completed from [Init]; shared with the
        # caller's dict like fail2ban does.
        self.init_opts: dict[str, str] = init_opts
        self.opts: dict[str, object] = {}
        self.p_opts: dict[str, object] = {}
        self._def_cache: dict[str, str | None] = {}
        self.cfg: Config | None = None

    @property
    def config_name(self) -> str:
        return os.path.join(self.subdir, self.file_name)

    @property
    def main_file(self) -> str:
        return os.path.join(self.basedir, self.config_name) + ".conf"

    @property
    def files(self) -> list[str]:
        return list(self.cfg.files) if self.cfg else []

    def read(self) -> bool:
        self.cfg = self.loader.read(self.basedir, self.config_name)
        return self.cfg is not None

    def _require_cfg(self) -> Config:
        if self.cfg is None:
            raise RuntimeError("definition was not read")
        return self.cfg

    def get_options(self, p_opts: Mapping[str, object] | None, all: bool = False) -> None:
        cfg = self._require_cfg()
        given: dict[str, object] = dict(p_opts or {})
        if self.init_opts:
            given.update(self.init_opts)
        self.opts = read_section_options(cfg, "Definition", self.options_spec, given, convert=False)
        self.p_opts = given
        if cfg.has_section("Init"):
            for opt in cfg.options("Init", with_defaults=False):
                if opt == "__name__":
                    continue
                value: str | None = None
                if not opt.startswith("known/"):
                    value = cfg.get("Init", opt)
                    self.init_opts["known/" + opt] = value
                if opt not in self.init_opts:
                    if value is None:
                        value = cfg.get("Init", opt)
                    self.init_opts[opt] = value
        if all and cfg.has_section("Definition"):
            # Only the section's own options: [DEFAULT] ones are reached through tags.
            for opt in cfg.options("Definition", with_defaults=False):
                if opt != "__name__" and opt not in self.opts:
                    self.opts[opt] = cfg.get("Definition", opt)

    def combined_option(self, name: str) -> str | None:
        """Another option of the file, for tag lookup (cached like fail2ban does)."""
        if name in self._def_cache:
            return self._def_cache[name]
        cfg = self._require_cfg()
        value: str | None
        try:
            value = cfg.get_ex("Definition", name, vars=self.p_opts)
        except (NoSectionError, NoOptionError):
            value = None
        self._def_cache[name] = value
        return value

    def origin_of(self, name: str) -> Origin | None:
        cfg = self.cfg
        if cfg is None:
            return None
        for section in ("Definition", "Init"):
            if cfg.has_section(section):
                origin = cfg.origin(section, name)
                if origin is not None:
                    return origin
        return None

    def convert_options(self, opts: dict[str, object]) -> None:
        for kind, name, default in self.options_spec:
            if kind == "string":
                continue
            value = opts.get(name)
            if value is None:
                continue
            try:
                opts[name] = _convert(kind, str(value))
            except ValueError:
                log.warning(
                    "Wrong %s value %r for %r. Using default one: %r", kind, value, name, default
                )
                opts[name] = default

    def get_combined(self, ignore: Iterable[str] = ()) -> dict[str, object]:
        combined: dict[str, object] = dict(self.opts)
        if self.init_opts:
            combined.update(self.init_opts)
        if not combined:
            return {}
        skip = set(ignore)
        for key in combined:
            cond = CONDITIONAL_KEY.fullmatch(key)
            if cond:
                skip.add(cond.group(1))
        tags = {k: (None if v is None else str(v)) for k, v in combined.items()}
        substituted = substitute_recursive_tags(
            tags, ignore=skip, lookup=self.combined_option, origin_of=self.origin_of
        )
        result: dict[str, object] = {}
        for key, value in substituted.items():
            # keep non-string originals (None) as they were
            result[key] = combined[key] if value is None else value
        self.convert_options(result)
        return result
