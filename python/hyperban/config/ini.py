"""Reader for fail2ban's ini dialect.

This module reproduces the behaviour of the configuration parser that fail2ban's client
uses (Python's ``configparser`` as configured by fail2ban, plus fail2ban's include and
"known" extensions), so that an existing ``/etc/fail2ban`` reads exactly the same:

* Lines are split on ``\\n``/``\\r\\n``/``\\r``; files are decoded as strict UTF-8.
* ``#`` or ``;`` as the first non-blank character make a comment line; ``;`` preceded by
  whitespace starts an inline comment (``#`` never does).
* ``name = value`` or ``name: value`` (the first ``=`` or ``:`` separates); option names
  are lower-cased, section names are case-sensitive.  A line indented deeper than the
  option line continues the value; blank lines inside a value are kept, trailing blank
  lines dropped; comment lines inside a value are skipped.
* A section or option defined twice in one file is an error; across files later values
  win.  ``[DEFAULT]`` may repeat within a file.
* ``[INCLUDES]`` ``before``/``after`` list files (one per line, relative to the including
  file's directory) read before/after the including file; each file read is followed by
  its ``.local`` sibling when that exists.  Unreadable or missing includes are skipped
  silently (fail2ban does not even log them); files that are not valid UTF-8 are
  skipped with an error logged.
* ``[Section?cond]`` sections are merged into ``[Section]`` with every key renamed to
  ``key?cond`` (fail2ban's conditional sections, e.g. ``[Init?family=inet6]``).
* When a later file overrides options of a section, the previous raw values are kept in
  a hidden ``KNOWN/<section>`` section, reachable as ``%(known/option)s``.
* ``%(name)s`` interpolation looks in the caller's variables, then the section, then
  ``[DEFAULT]``; ``%(__name__)s`` is the section name; ``%(section/option)s``,
  ``%(default/option)s`` and ``%(known/option)s`` address other sections; ``%%`` is a
  literal ``%``; nesting deeper than 10 levels is an error.
"""

from __future__ import annotations

import glob
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import ConfigError, InterpolationError, NoOptionError, NoSectionError

__all__ = [
    "DEFAULT_SECTION",
    "INCLUDES_SECTION",
    "MAX_INTERPOLATION_DEPTH",
    "Config",
    "ConfigLoader",
    "IniFile",
    "Origin",
    "parse_ini",
]

log = logging.getLogger(__name__)

DEFAULT_SECTION = "DEFAULT"
INCLUDES_SECTION = "INCLUDES"
KNOWN_PREFIX = "KNOWN/"
MAX_INTERPOLATION_DEPTH = 10
MAX_INCLUDE_DEPTH = 64

# ``[Name?condition]``: a word, then ``?`` and anything.
_CONDITIONAL_SECTION = re.compile(r"(\w+)(\?.+)")
# ``%(section/option)s`` references inside a raw value.
_SECTION_REF = re.compile(r"%\(([\w-]+)/([^)]+)\)s")
# ``section/option`` as a whole tag name (``<section/option>``).
_SECTION_TAG = re.compile(r"([\w-]+)/([^\s>]+)$")
# ``%(name)s`` at the start of the remaining text.
_INTERPOLATION_KEY = re.compile(r"%\(([^)]+)\)s")


@dataclass(frozen=True)
class Origin:
    """Where a value was defined."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class IniFile:
    """One parsed file, includes not resolved."""

    path: str
    defaults: dict[str, str] = field(default_factory=dict)
    sections: dict[str, dict[str, str]] = field(default_factory=dict)
    # (section, option) -> origin; section is DEFAULT_SECTION for defaults.
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)


class _DecodeError(ConfigError):
    pass


def _split_lines(text: str) -> list[str]:
    # Universal newlines, exactly like reading a file in text mode.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _comment_start(line: str) -> int | None:
    """Index where a comment starts in ``line`` (None: no comment)."""
    if line.strip()[:1] in ("#", ";"):
        return 0
    pos = line.find(";")
    while pos != -1:
        if pos == 0 or line[pos - 1].isspace():
            return pos
        pos = line.find(";", pos + 1)
    return None


def _indent(line: str) -> int:
    for i, ch in enumerate(line):
        if not ch.isspace():
            return i
    return 0


def parse_ini(text: str, path: str) -> IniFile:
    """Parse the text of one file.  Raises :class:`ConfigError` naming file and line."""
    result = IniFile(path)
    # Values are collected as lists of lines and joined at the end.
    current: dict[str, list[str]] | None = None
    section_name: str | None = None
    option: str | None = None
    indent_level = 0
    seen: set[object] = set()
    bad_lines: list[tuple[int, str]] = []
    containers: dict[str, dict[str, list[str]]] = {}
    default_lines: dict[str, list[str]] = {}

    for lineno, line in enumerate(_split_lines(text), start=1):
        cut = _comment_start(line)
        value = (line if cut is None else line[:cut]).strip()
        if not value:
            # A blank line belongs to the current value, a comment line does not.
            if cut is None and current is not None and option:
                current[option].append("")
            continue
        cur_indent = _indent(line)
        if current is not None and option and cur_indent > indent_level:
            current[option].append(value)
            continue
        indent_level = cur_indent
        close = value.rfind("]")
        if value.startswith("[") and close > 1:
            section_name = value[1:close]
            if section_name in containers:
                if section_name in seen:
                    raise ConfigError(f"section {section_name!r} already exists", path, lineno)
                current = containers[section_name]
            elif section_name == DEFAULT_SECTION:
                current = default_lines
            else:
                current = {}
                containers[section_name] = current
                seen.add(section_name)
            option = None
            continue
        if current is None:
            raise ConfigError(f"file contains no section headers (found {line!r})", path, lineno)
        positions = [p for p in (value.find("="), value.find(":")) if p != -1]
        if not positions:
            bad_lines.append((lineno, line))
            continue
        split_at = min(positions)
        name = value[:split_at].rstrip().lower()
        if not name:
            bad_lines.append((lineno, line))
        assert section_name is not None
        if (section_name, name) in seen:
            raise ConfigError(
                f"option {name!r} in section {section_name!r} already exists", path, lineno
            )
        seen.add((section_name, name))
        option = name
        current[name] = [value[split_at + 1 :].strip()]
        result.origins[(section_name, name)] = Origin(path, lineno)

    for name, lines in default_lines.items():
        result.defaults[name] = "\n".join(lines).rstrip()
    for sect, options in containers.items():
        result.sections[sect] = {n: "\n".join(v).rstrip() for n, v in options.items()}

    if bad_lines:
        first_line, first_text = bad_lines[0]
        more = ""
        if len(bad_lines) > 1:
            more = " (and at lines " + ", ".join(str(n) for n, _ in bad_lines[1:]) + ")"
        raise ConfigError(
            f"cannot parse line {first_text!r}: expected 'name = value', '[section]' "
            f"or an indented continuation line{more}",
            path,
            first_line,
        )
    return result


def _load_file(path: str) -> IniFile | None:
    """Parse one file; None when it cannot be opened (missing, a directory, no access)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _DecodeError(f"cannot decode as UTF-8: {exc.reason}", path, line) from None
    return parse_ini(text, path)


class Config:
    """A merged configuration: ``[DEFAULT]``, sections, and where each value came from."""

    def __init__(self) -> None:
        self.defaults: dict[str, str] = {}
        self.sections: dict[str, dict[str, str]] = {}
        self.origins: dict[tuple[str, str], Origin] = {}
        self.files: list[str] = []
        # (section, option) merged in by code with a non-text value
        self.opaque: set[tuple[str, str]] = set()

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_file(cls, ini: IniFile) -> Config:
        """The configuration of one file alone (sections as written, no merging rules)."""
        cfg = cls()
        cfg.defaults = dict(ini.defaults)
        cfg.sections = {name: dict(opts) for name, opts in ini.sections.items()}
        cfg.origins = dict(ini.origins)
        cfg.files = [ini.path]
        return cfg

    def copy(self) -> Config:
        cfg = Config()
        cfg.defaults = dict(self.defaults)
        cfg.sections = {name: dict(opts) for name, opts in self.sections.items()}
        cfg.origins = dict(self.origins)
        cfg.files = list(self.files)
        cfg.opaque = set(self.opaque)
        return cfg

    def merge_file(self, ini: IniFile) -> None:
        """Merge one more file the way fail2ban merges the files of one configuration."""
        self.files.append(ini.path)
        self.defaults.update(ini.defaults)
        for key in ini.defaults:
            origin = ini.origins.get((DEFAULT_SECTION, key))
            if origin is not None:
                self.origins[(DEFAULT_SECTION, key)] = origin
        for name, opts in ini.sections.items():
            renamed: dict[str, str] = {}
            origin_of: dict[str, Origin | None] = {}
            cond = _CONDITIONAL_SECTION.fullmatch(name)
            target = name
            if cond:
                target, suffix = cond.group(1), cond.group(2)
                for key, value in opts.items():
                    if key == "__name__":  # fail2ban drops this one name here
                        continue
                    renamed[key + suffix] = value
                    origin_of[key + suffix] = ini.origins.get((name, key))
            else:
                renamed = dict(opts)
                origin_of = {key: ini.origins.get((name, key)) for key in opts}
            existing = self.sections.get(target)
            if existing is not None:
                known_name = KNOWN_PREFIX + target
                known = self.sections.setdefault(known_name, {})
                for key, value in existing.items():
                    if key in renamed:
                        known[key] = value
                        prev = self.origins.get((target, key))
                        if prev is not None:
                            self.origins[(known_name, key)] = prev
                existing.update(renamed)
            else:
                self.sections[target] = dict(renamed)
            for key, origin in origin_of.items():
                if origin is not None:
                    self.origins[(target, key)] = origin
                else:
                    self.origins.pop((target, key), None)

    def merge_defaults(self, values: Mapping[str, str]) -> None:
        self.defaults.update(values)

    def merge_section(
        self,
        section: str,
        options: Mapping[str, object],
        prefix: str = "",
        origins: Mapping[str, Origin] | None = None,
    ) -> None:
        """Add options to a section; with ``prefix``, keys get it (unless they have it)."""
        target = self.sections.setdefault(section, {})
        for key, value in options.items():
            if prefix:
                if key.startswith(prefix) or key == "__name__":
                    continue
                name = prefix + key
            else:
                name = key
            if value is None:
                # fail2ban stores None here and fails (TypeError) once it is referenced;
                # leaving it out makes such a reference an InterpolationError instead.
                continue
            target[name] = str(value)
            if not isinstance(value, str):
                # fail2ban keeps e.g. an int here, and referencing it with %(...)s fails.
                self.opaque.add((section, name))
            else:
                self.opaque.discard((section, name))
            origin = origins.get(key) if origins else None
            if origin is not None:
                self.origins[(section, name)] = origin

    # -- queries ------------------------------------------------------------------------

    def has_section(self, section: str) -> bool:
        return section in self.sections

    def section_names(self) -> list[str]:
        """All sections in order of first appearance, hidden ``KNOWN/`` ones excluded."""
        return [name for name in self.sections if not name.startswith(KNOWN_PREFIX)]

    def options(self, section: str, with_defaults: bool = True) -> list[str]:
        """Option names of a section (own ones first, then those from ``[DEFAULT]``)."""
        try:
            own = self.sections[section]
        except KeyError:
            raise NoSectionError(section) from None
        names = list(own)
        if with_defaults:
            names.extend(name for name in self.defaults if name not in own)
        return names

    def has_option(self, section: str, option: str, with_defaults: bool = True) -> bool:
        option = option.lower()
        if not with_defaults:
            return option in self.sections.get(section, {})
        if section == DEFAULT_SECTION or not section:
            return option in self.defaults
        if section not in self.sections:
            return False
        return option in self.sections[section] or option in self.defaults

    def origin(self, section: str, option: str) -> Origin | None:
        """Where the raw value of ``option`` as seen from ``section`` was defined."""
        option = option.lower()
        if section in self.sections and option in self.sections[section]:
            return self.origins.get((section, option))
        if option in self.defaults:
            return self.origins.get((DEFAULT_SECTION, option))
        return None

    def _section_dict(self, section: str) -> dict[str, str]:
        try:
            return self.sections[section]
        except KeyError:
            if section != DEFAULT_SECTION:
                raise NoSectionError(section) from None
            return {}

    def get(
        self,
        section: str,
        option: str,
        *,
        raw: bool = False,
        vars: Mapping[str, object] | None = None,
    ) -> str:
        """Value of ``option`` in ``section`` (then ``vars`` first, ``[DEFAULT]`` last).

        ``vars`` take precedence over the section (fail2ban passes jail and filter
        parameters this way); their keys are matched case-insensitively.
        """
        sect = self._section_dict(section)
        var_layer: dict[str, str | None] = {}
        if vars:
            for key, given in vars.items():
                var_layer[key.lower()] = None if given is None else str(given)
        option = option.lower()
        origin: Origin | None = None
        value: str | None
        if option in var_layer:
            value = var_layer[option]
        elif option in sect:
            value = sect[option]
            origin = self.origins.get((section, option))
        elif option in self.defaults:
            value = self.defaults[option]
            origin = self.origins.get((DEFAULT_SECTION, option))
        else:
            raise NoOptionError(option, section)
        if value is None:
            raise NoOptionError(option, section)
        if raw:
            return value
        out: list[str] = []
        self._interpolate(section, option, value, dict(var_layer), sect, 1, out, origin, {})
        return "".join(out)

    def get_ex(self, section: str, option: str, *, vars: Mapping[str, object] | None = None) -> str:
        """Like :meth:`get`, but ``option`` may name another section: ``sec/option``.

        ``known/option`` looks first at the value before the last override, then at the
        current one; ``default/option`` looks in ``[DEFAULT]``.
        """
        ref = _SECTION_TAG.match(option) if "/" in option else None
        if ref:
            sec, opt = ref.group(1), ref.group(2)
            low = sec.lower()
            if low == "known":
                candidates: tuple[str, ...] = (KNOWN_PREFIX + section, section)
            elif low == "default":
                candidates = (DEFAULT_SECTION,)
            else:
                candidates = (sec,)
            for cand in candidates:
                try:
                    return self.get(cand, opt)
                except (NoSectionError, NoOptionError):
                    pass
        return self.get(section, option, vars=vars)

    # -- interpolation ------------------------------------------------------------------

    def _map_section_refs(
        self,
        section: str,
        rest: str,
        local: dict[str, str | None],
        sect: dict[str, str],
        local_origins: dict[str, Origin | None],
    ) -> None:
        """Resolve ``%(sec/opt)s`` references of ``rest`` into the local layer."""
        if "/" not in rest or "%(" not in rest:
            return
        for match in _SECTION_REF.finditer(rest):
            sec, opt = match.group(1), match.group(2)
            ref = f"{sec}/{opt}"
            if ref in local or ref in sect or ref in self.defaults:
                continue
            low = sec.lower()
            value: str | None = None
            origin: Origin | None = None
            use_default = True
            if low == "known":
                known = self.sections.get(KNOWN_PREFIX + section)
                if known is not None and opt in known:
                    value = known[opt]
                    origin = self.origins.get((KNOWN_PREFIX + section, opt))
                    use_default = False
            elif low != "default":
                other = self.sections.get(sec)
                if other is None:
                    continue
                if opt in other:
                    value = other[opt]
                    origin = self.origins.get((sec, opt))
                    use_default = False
            if use_default:
                if opt not in self.defaults:
                    continue
                value = self.defaults[opt]
                origin = self.origins.get((DEFAULT_SECTION, opt))
            local[ref] = value
            local_origins[ref] = origin

    def _interpolate(
        self,
        section: str,
        option: str,
        rest: str,
        local: dict[str, str | None],
        sect: dict[str, str],
        depth: int,
        out: list[str],
        origin: Origin | None,
        local_origins: dict[str, Origin | None],
    ) -> None:
        # Every level works on its own copy of the innermost layer, which knows the
        # section name and the section-addressed references of this level's text.
        local = dict(local)
        local_origins = dict(local_origins)
        local["__name__"] = section
        self._map_section_refs(section, rest, local, sect, local_origins)
        if depth > MAX_INTERPOLATION_DEPTH:
            raise self._interp_error(
                f"recursion limit exceeded in value substitution of option {option!r} "
                f"in section {section!r}",
                origin,
            )
        while rest:
            pos = rest.find("%")
            if pos < 0:
                out.append(rest)
                return
            if pos > 0:
                out.append(rest[:pos])
                rest = rest[pos:]
            nxt = rest[1:2]
            if nxt == "%":
                out.append("%")
                rest = rest[2:]
                continue
            if nxt != "(":
                raise self._interp_error(
                    f"option {option!r} in section {section!r}: '%' must be followed by "
                    f"'%' or '(', found: {rest!r}",
                    origin,
                )
            match = _INTERPOLATION_KEY.match(rest)
            if match is None:
                raise self._interp_error(
                    f"option {option!r} in section {section!r}: bad interpolation variable "
                    f"reference {rest!r}",
                    origin,
                )
            var = match.group(1).lower()
            rest = rest[match.end() :]
            sub_origin: Origin | None
            if var in local:
                value = local[var]
                sub_origin = local_origins.get(var, origin)
            elif var in sect:
                value = sect[var]
                sub_origin = self.origins.get((section, var))
                if (section, var) in self.opaque:
                    raise self._interp_error(
                        f"option {option!r} in section {section!r}: %({match.group(1)})s is "
                        "not a text value and cannot be substituted",
                        origin,
                    )
            elif var in self.defaults:
                value = self.defaults[var]
                sub_origin = self.origins.get((DEFAULT_SECTION, var))
            else:
                raise self._interp_error(
                    f"option {option!r} in section {section!r} refers to %({match.group(1)})s,"
                    " which is not defined",
                    origin,
                )
            if value is None:
                raise self._interp_error(
                    f"option {option!r} in section {section!r}: %({match.group(1)})s has no value",
                    origin,
                )
            if "%" in value:
                self._interpolate(
                    section,
                    option,
                    value,
                    local,
                    sect,
                    depth + 1,
                    out,
                    sub_origin or origin,
                    local_origins,
                )
            else:
                out.append(value)

    @staticmethod
    def _interp_error(message: str, origin: Origin | None) -> InterpolationError:
        if origin is None:
            return InterpolationError(message)
        return InterpolationError(message, origin.file, origin.line)


def _with_local_files(filenames: list[str]) -> list[str]:
    """Follow every ``X.conf`` by ``X.local`` when that file exists (and is not listed)."""
    out: list[str] = []
    for name in filenames:
        out.append(name)
        local = os.path.splitext(name)[0] + ".local"
        if local not in filenames and os.path.isfile(local):
            out.append(local)
    return out


class ConfigLoader:
    """Reads configurations, caching each parsed file (like fail2ban's shared config).

    One loader can serve many reads of the same directory tree; create a new one (or
    call :meth:`clear`) to see changes made to the files.
    """

    def __init__(self) -> None:
        self._parsed: dict[str, IniFile | None] = {}
        self._configs: dict[tuple[str, str], Config | None] = {}

    def clear(self) -> None:
        self._parsed.clear()
        self._configs.clear()

    def parse(self, path: str) -> IniFile | None:
        """Parse one file (cached); None when it cannot be opened."""
        if path not in self._parsed:
            self._parsed[path] = _load_file(path)
        return self._parsed[path]

    def expand_includes(
        self, filenames: str | list[str], seen: list[str] | None = None
    ) -> list[str]:
        """The files to read for ``filenames``, in order, following ``[INCLUDES]``."""
        if isinstance(filenames, str):
            filenames = [filenames]
        seen = seen or []
        out: list[str] = []
        for name in _with_local_files(filenames):
            out.extend(self._includes_of(name, seen))
        return out

    def _includes_of(self, resource: str, seen: list[str]) -> list[str]:
        try:
            ini = self.parse(resource)
        except _DecodeError as exc:
            log.error("Error decoding config file %r: %s", resource, exc)
            return []
        if ini is None:
            log.debug("Config file %r cannot be read; skipped", resource)
            return []
        before: list[str] = []
        after: list[str] = []
        if INCLUDES_SECTION in ini.sections:
            single = Config.from_file(ini)
            own = single.options(INCLUDES_SECTION)
            directory = os.path.dirname(resource)
            for option_name, target in (("before", before), ("after", after)):
                if option_name not in own:
                    continue
                listed = single.get(INCLUDES_SECTION, option_name)
                for entry in listed.split("\n"):
                    path = entry if os.path.isabs(entry) else os.path.join(directory, entry)
                    if path in seen:
                        continue
                    if len(seen) >= MAX_INCLUDE_DEPTH:
                        # fail2ban itself would recurse until Python gives up.
                        origin = single.origin(INCLUDES_SECTION, option_name)
                        raise ConfigError(
                            f"includes nested more than {MAX_INCLUDE_DEPTH} deep "
                            f"(include loop through {path!r}?)",
                            resource,
                            origin.line if origin else None,
                        )
                    target.extend(self.expand_includes(path, [*seen, resource]))
        return [*before, resource, *after]

    def read_files(self, filenames: Iterable[str]) -> Config:
        """Read and merge files (with their includes and ``.local`` siblings)."""
        cfg = Config()
        for path in self.expand_includes(list(filenames)):
            try:
                ini = self.parse(path)
            except _DecodeError as exc:  # pragma: no cover - filtered out by expand_includes
                log.error("Error decoding config file %r: %s", path, exc)
                continue
            if ini is not None:
                cfg.merge_file(ini)
        return cfg

    @staticmethod
    def candidate_files(basedir: str, name: str) -> list[str]:
        """``name.conf``, ``name.d/*.conf``, ``name.local``, ``name.d/*.local`` that exist."""
        if name.startswith("./"):
            name = os.path.abspath(name)
        base = os.path.join(basedir.rstrip("/"), name)
        files = [base + ".conf"]
        files += sorted(glob.glob(f"{base}.d/*.conf"))
        files.append(base + ".local")
        files += sorted(glob.glob(f"{base}.d/*.local"))
        return [f for f in files if os.path.exists(f)]

    def read(self, basedir: str, name: str) -> Config | None:
        """Read configuration ``name`` (e.g. ``"jail"``, ``"filter.d/sshd"``) under basedir.

        Returns None (after logging an error, as fail2ban does) when no file of it can be
        read.  The result is cached; callers that modify it must work on a copy.
        """
        key = (basedir.rstrip("/"), name)
        if key in self._configs:
            return self._configs[key]
        if not os.path.exists(basedir):
            raise ConfigError(f"Base configuration directory {basedir} does not exist")
        files = self.candidate_files(basedir, name)
        cfg: Config | None = None
        if not files:
            log.error("Found no accessible config files for %r under %s", name, basedir)
        else:
            cfg = self.read_files(files)
            missed = [f for f in files if f not in cfg.files]
            if missed:
                log.error("Could not read config files: %s", ", ".join(missed))
            if not cfg.files:
                log.error("Found no accessible config files for %r under %s", name, basedir)
                cfg = None
        self._configs[key] = cfg
        return cfg
