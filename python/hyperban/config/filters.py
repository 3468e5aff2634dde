"""Filter definitions: ``filter.d/NAME.conf`` (+ ``.local``, ``NAME.d/``, includes)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from .definition import DefinitionReader, OptionSpec
from .errors import ConfigError
from .ini import ConfigLoader
from .options import extract_options

__all__ = [
    "FILTER_OPTIONS",
    "FilterDefinition",
    "FilterReader",
    "fill_filter_stream",
    "fold_filter_stream",
    "read_filter",
]

# The [Definition] options fail2ban hands to the filter (all read as strings first).
FILTER_OPTIONS: tuple[OptionSpec, ...] = (
    ("string", "usedns", None),
    ("string", "prefregex", None),
    ("string", "ignoreregex", None),
    ("string", "failregex", None),
    ("int", "maxlines", None),
    ("string", "datepattern", None),
    ("string", "journalmatch", None),
)

# A step of the filter set-up: (what, value); "failregex"/"ignoreregex" carry lists.
FilterCommand = tuple[str, object]


def fill_filter_stream(stream: list[FilterCommand], opts: Mapping[str, object]) -> None:
    """Append the filter set-up steps of ``opts`` to ``stream`` (fail2ban's order rules).

    ``usedns`` goes first, ``maxlines``/``prefregex`` right after the steps already put
    in front, regex lists and ``datepattern`` at the end; empty regex lines are dropped.
    """
    front = 0
    for opt, value in opts.items():
        if value is None:
            continue
        if opt in ("failregex", "ignoreregex"):
            lines = [line for line in str(value).split("\n") if line != ""]
            if lines:
                stream.append((opt, lines))
        elif opt in ("usedns", "maxlines", "prefregex"):
            stream.insert(0 if opt == "usedns" else front, (opt, value))
            front += 1
        elif opt in "datepattern":
            # fail2ban tests membership in the *string* "datepattern" here, so any option
            # whose name is a substring of it ("a", "date", "pattern", ...) is passed on
            # too; the server then rejects it.  Kept for identical results; such steps
            # are ignored when folding.
            stream.append((opt, value))
        elif opt == "journalmatch":
            for line in str(value).split("\n"):
                if line != "":
                    stream.append(("journalmatch", line))


@dataclass
class _Folded:
    failregex: list[str] = field(default_factory=list)
    ignoreregex: list[str] = field(default_factory=list)
    journalmatch: list[str] = field(default_factory=list)
    prefregex: str | None = None
    maxlines: int | None = None
    datepattern: str | None = None
    usedns: str | None = None

    def definition(
        self,
        *,
        name: str,
        file: str,
        files: list[str],
        params: dict[str, str],
        options: dict[str, object],
    ) -> FilterDefinition:
        """The filter these folded steps describe."""
        return FilterDefinition(
            name=name,
            file=file,
            files=files,
            params=params,
            failregex=self.failregex,
            ignoreregex=self.ignoreregex,
            prefregex=self.prefregex,
            maxlines=self.maxlines,
            datepattern=self.datepattern,
            journalmatch=self.journalmatch,
            usedns=self.usedns,
            options=options,
        )


def fold_filter_stream(stream: list[FilterCommand]) -> _Folded:
    """Apply set-up steps in order: lists accumulate, single values are replaced."""
    out = _Folded()
    for what, value in stream:
        if what == "failregex":
            assert isinstance(value, list)
            out.failregex.extend(value)
        elif what == "ignoreregex":
            assert isinstance(value, list)
            out.ignoreregex.extend(value)
        elif what == "journalmatch":
            out.journalmatch.append(str(value))
        elif what == "prefregex":
            out.prefregex = str(value)
        elif what == "maxlines":
            out.maxlines = value if isinstance(value, int) else int(str(value))
        elif what == "datepattern":
            out.datepattern = str(value)
        elif what == "usedns":
            out.usedns = str(value)
    return out


@dataclass
class FilterDefinition:
    """A filter as the server is to use it.

    ``failregex``/``ignoreregex`` are lists of regex strings with fail2ban's ``<HOST>``,
    ``<F-...>`` etc. tags still in place; ``maxlines`` is None when not set (the server
    default is 1); ``journalmatch`` holds one match expression per line (see
    :attr:`journalmatch_args`).  ``options`` are all resolved options of the definition
    (tags substituted), ``params`` the parameters given with the name
    (``sshd[mode=aggressive]``) plus the ``logtype`` derived from a jail's backend.

    Within a jail, the jail's own ``failregex``/``ignoreregex``/``prefregex``/
    ``maxlines``/``datepattern``/``journalmatch``/``usedns`` are already applied (a jail
    value replaces the filter's, as in fail2ban).  ``logtimezone``/``logencoding`` are
    jail options in fail2ban (a filter file cannot set them); see
    :class:`~hyperban.config.jails.JailDefinition`.
    """

    name: str
    file: str
    files: list[str]
    params: dict[str, str]
    failregex: list[str]
    ignoreregex: list[str]
    prefregex: str | None
    maxlines: int | None
    datepattern: str | None
    journalmatch: list[str]
    usedns: str | None
    options: dict[str, object]

    @property
    def mode(self) -> str | None:
        value = self.options.get("mode")
        return None if value is None else str(value)

    @property
    def logtype(self) -> str | None:
        value = self.options.get("logtype")
        return None if value is None else str(value)

    @property
    def journalmatch_args(self) -> list[list[str]]:
        """Each journal match split like a shell command line (``A=x + B=y``)."""
        return [shlex.split(line) for line in self.journalmatch]


class FilterReader(DefinitionReader):
    """Reads ``filter.d/<name>`` for a jail (see :mod:`.definition`)."""

    subdir = "filter.d"
    options_spec = FILTER_OPTIONS

    def __init__(
        self,
        loader: ConfigLoader,
        basedir: str,
        name: str,
        jail_name: str,
        init_opts: dict[str, str],
    ) -> None:
        super().__init__(loader, basedir, name, jail_name, init_opts)
        self.name = name
        self.given_params = dict(init_opts)

    def apply_auto_options(self, backend: str) -> None:
        """Set ``logtype`` from the backend unless given or defined in ``[Definition]``."""
        cfg = self._require_cfg()
        if not self.init_opts.get("logtype") and not cfg.has_option(
            "Definition", "logtype", with_defaults=False
        ):
            self.init_opts["logtype"] = "journal" if backend.startswith("systemd") else "file"
            self.given_params["logtype"] = self.init_opts["logtype"]

    def stream(self) -> tuple[list[FilterCommand], dict[str, object]]:
        opts = self.get_combined()
        commands: list[FilterCommand] = []
        if opts:
            fill_filter_stream(commands, opts)
        return commands, opts

    def definition(self) -> FilterDefinition:
        """The resolved filter on its own."""
        commands, opts = self.stream()
        return self.make_definition(commands, opts)

    def make_definition(
        self, commands: list[FilterCommand], opts: dict[str, object]
    ) -> FilterDefinition:
        """Build the result from set-up steps (e.g. the filter's plus the jail's)."""
        return fold_filter_stream(commands).definition(
            name=self.name,
            file=self.main_file,
            files=self.files,
            params=dict(self.given_params),
            options=opts,
        )


def read_filter(
    spec: str,
    basedir: str = "/etc/fail2ban",
    *,
    params: Mapping[str, str] | None = None,
    backend: str | None = None,
    jail_name: str = "jail",
    loader: ConfigLoader | None = None,
) -> FilterDefinition:
    """Read one filter outside of any jail (like ``fail2ban-regex`` does).

    ``spec`` is a filter name with optional parameters, e.g. ``"sshd[mode=aggressive]"``;
    ``params`` are merged over those.  With ``backend``, ``logtype`` is derived from it
    (``journal`` for ``systemd*``) as in a jail.  Raises :class:`ConfigError` when the
    filter cannot be found or is malformed.
    """
    name, spec_params = extract_options(spec)
    init = dict(spec_params)
    if params:
        init.update(params)
    reader = FilterReader(loader or ConfigLoader(), basedir, name, jail_name, init)
    if not reader.read():
        raise ConfigError(f"Unable to read the filter {name!r} under {basedir}")
    if backend is not None:
        reader.apply_auto_options(backend)
    reader.get_options({})
    return reader.definition()
