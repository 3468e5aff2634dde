"""Action definitions: ``action.d/NAME.conf`` (+ ``.local``, ``NAME.d/``, includes).

Reading resolves what fail2ban resolves when it reads the files: ``%(x)s``
interpolation, ``[Init]`` defaults overridden by the jail's ``name[param=value]``, and
``<tag>`` references to other options.  Tags that only have a value at ban time
(``<ip>``, ``<F-USER>``, ``<matches>``, ``<bantime>``, ``<timeout>``...) and tags that
have per-family variants (``[Init?family=inet6]``) stay in the command templates.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .definition import CONDITIONAL_KEY, DefinitionReader, OptionSpec
from .errors import ConfigError
from .ini import ConfigLoader
from .options import extract_options

if TYPE_CHECKING:
    from ..actions.base import ActionBase

__all__ = [
    "ACTION_OPTIONS",
    "RUNTIME_TAGS",
    "ActionDefinition",
    "ActionReader",
    "NativeActionDefinition",
    "PythonActionDefinition",
    "native_action",
    "read_action",
]

ACTION_OPTIONS: tuple[OptionSpec, ...] = (
    ("string", "actionstart", None),
    ("bool", "actionstart_on_demand", None),
    ("string", "actionstop", None),
    ("string", "actionflush", None),
    ("string", "actionreload", None),
    ("string", "actioncheck", None),
    ("string", "actionrepair", None),
    ("bool", "actionrepair_on_unban", None),
    ("string", "actionban", None),
    ("string", "actionprolong", None),
    ("string", "actionreban", None),
    ("string", "actionunban", None),
    ("bool", "norestored", None),
)
_ACTION_OPTION_NAMES = frozenset(name for _, name, _ in ACTION_OPTIONS)

# Tags never substituted at read time (their values come with each ban).
RUNTIME_TAGS = frozenset({"matches", "ipmatches", "ipjailmatches", "timeout", "bantime"})

COMMAND_NAMES = (
    "actionstart",
    "actionstop",
    "actionflush",
    "actionreload",
    "actioncheck",
    "actionrepair",
    "actionban",
    "actionprolong",
    "actionreban",
    "actionunban",
)


@dataclass
class ActionDefinition:
    """A command action of a jail, with its templates resolved as far as reading goes.

    ``name`` is the action's unique name in the jail (``actname``), ``action`` the file
    name in ``action.d``.  ``commands`` maps ``actionban`` etc. to templates (only
    those defined); ``params`` are the action's parameters as the server receives them
    (jail ``[param=value]`` list plus ``[Init]``; raw, tags unresolved), including
    conditional ones such as ``blocktype?family=inet6`` (also grouped in
    :attr:`family_params`).
    """

    name: str
    action: str
    jail: str
    file: str
    files: list[str]
    commands: dict[str, str]
    params: dict[str, str]
    actionstart_on_demand: bool | None = None
    actionrepair_on_unban: bool | None = None
    norestored: bool | None = None
    given_params: dict[str, str] = field(default_factory=dict)

    def command(self, name: str) -> str | None:
        return self.commands.get(name)

    @property
    def actionstart(self) -> str | None:
        return self.commands.get("actionstart")

    @property
    def actionstop(self) -> str | None:
        return self.commands.get("actionstop")

    @property
    def actioncheck(self) -> str | None:
        return self.commands.get("actioncheck")

    @property
    def actionban(self) -> str | None:
        return self.commands.get("actionban")

    @property
    def actionunban(self) -> str | None:
        return self.commands.get("actionunban")

    @property
    def actionflush(self) -> str | None:
        return self.commands.get("actionflush")

    @property
    def actionreban(self) -> str | None:
        return self.commands.get("actionreban")

    @property
    def actionprolong(self) -> str | None:
        return self.commands.get("actionprolong")

    @property
    def timeout(self) -> str | None:
        return self.params.get("timeout")

    @property
    def family_params(self) -> dict[str, dict[str, str]]:
        """Per-address-family overrides: ``{"inet6": {"blocktype": ...}}``."""
        out: dict[str, dict[str, str]] = {}
        for key, value in self.params.items():
            cond = CONDITIONAL_KEY.fullmatch(key)
            if cond and cond.group(2).startswith("family="):
                out.setdefault(cond.group(2)[len("family=") :], {})[cond.group(1)] = value
        return out

    def params_for_family(self, family: str | None) -> dict[str, str]:
        """Parameters with the overrides of ``family`` applied (conditional keys removed)."""
        plain = {k: v for k, v in self.params.items() if not CONDITIONAL_KEY.fullmatch(k)}
        if family:
            plain.update(self.family_params.get(family, {}))
        return plain


@dataclass
class PythonActionDefinition:
    """A Python action (``action.d/NAME.py``); only located, never loaded here."""

    name: str
    action: str
    jail: str
    file: str
    params: dict[str, str]

    @property
    def params_json(self) -> str:
        return json.dumps(self.params)


@dataclass
class NativeActionDefinition:
    """One of hyperban's own actions (``hyperban-nftables``...); no action.d file needed.

    ``params`` are the jail's ``[param=value]`` list (``port``, ``protocol``...), with
    ``name`` defaulting to the jail name as for file actions.
    """

    name: str
    action: str
    jail: str
    params: dict[str, str]

    def create(self, jail: Any) -> ActionBase:
        # Imported here: reading a config must not need the firewall code.
        from ..actions.native import create_native_action

        return create_native_action(self.action, jail, self.name, self.params)


def native_action(
    basedir: str, action: str, jail_name: str, params: Mapping[str, str]
) -> NativeActionDefinition | None:
    """The definition of ``action`` if it is one of hyperban's own, else None.

    A file ``action.d/<action>.conf`` (or ``.local``) under ``basedir`` wins: then the
    action is read like any other and this returns None.
    """
    from ..actions.native import is_native_action

    if not is_native_action(action):
        return None
    stem = os.path.join(basedir, "action.d", action)
    if os.path.exists(stem + ".conf") or os.path.exists(stem + ".local"):
        return None
    opts = dict(params)
    opts.setdefault("name", jail_name)
    actname = opts.pop("actname", action)
    return NativeActionDefinition(name=actname, action=action, jail=jail_name, params=opts)


class ActionReader(DefinitionReader):
    """Reads ``action.d/<name>`` for a jail (see :mod:`.definition`)."""

    subdir = "action.d"
    options_spec = ACTION_OPTIONS

    def __init__(
        self,
        loader: ConfigLoader,
        basedir: str,
        action: str,
        jail_name: str,
        init_opts: dict[str, str],
    ) -> None:
        given = dict(init_opts)
        # The jail name is the default "name" parameter; "actname" must be unique per jail.
        name = init_opts.get("name")
        if name is None:
            init_opts["name"] = name = jail_name
        actname = init_opts.get("actname")
        if actname is None:
            actname = action
            if name != jail_name:
                actname += name[len(jail_name) :] if name.startswith(jail_name) else "-" + name
            init_opts["actname"] = actname
        super().__init__(loader, basedir, action, jail_name, init_opts)
        self.action = action
        self.name = actname
        self.given_params = given

    def stream(self) -> tuple[dict[str, object], dict[str, str]]:
        """(definition options, parameters) as fail2ban sends them to the server."""
        opts = self.get_combined(ignore=RUNTIME_TAGS)
        definition = {
            k: v
            for k, v in opts.items()
            if k in _ACTION_OPTION_NAMES and not k.startswith("known/")
        }
        params = {
            k: v
            for k, v in self.init_opts.items()
            if k not in _ACTION_OPTION_NAMES and not k.startswith("known/")
        }
        return definition, params

    def definition(self) -> ActionDefinition:
        opts, params = self.stream()
        commands = {k: str(opts[k]) for k in COMMAND_NAMES if opts.get(k) is not None}

        def flag(name: str) -> bool | None:
            value = opts.get(name)
            return None if value is None else bool(value)

        return ActionDefinition(
            name=self.name,
            action=self.action,
            jail=self.jail_name,
            file=self.main_file,
            files=self.files,
            commands=commands,
            params=params,
            actionstart_on_demand=flag("actionstart_on_demand"),
            actionrepair_on_unban=flag("actionrepair_on_unban"),
            norestored=flag("norestored"),
            given_params=dict(self.given_params),
        )


def python_action(
    basedir: str, action: str, jail_name: str, params: Mapping[str, str]
) -> PythonActionDefinition:
    """Describe ``action.d/<action>`` (a ``.py`` file) for a jail."""
    opts = dict(params)
    actname = opts.pop("actname", os.path.splitext(action)[0])
    return PythonActionDefinition(
        name=actname,
        action=action,
        jail=jail_name,
        file=os.path.join(basedir, "action.d", action),
        params=opts,
    )


def read_action(
    spec: str,
    basedir: str = "/etc/fail2ban",
    *,
    jail_name: str = "jail",
    params: Mapping[str, str] | None = None,
    jail_options: Mapping[str, object] | None = None,
    loader: ConfigLoader | None = None,
) -> ActionDefinition | PythonActionDefinition:
    """Read one action, e.g. ``"iptables-multiport[port=ssh]"``, for a jail name.

    ``jail_options`` play the role of the jail's options (they are visible to
    ``%(...)s`` in the action's ``[Definition]``).  Raises :class:`ConfigError` when the
    action cannot be found or is malformed.
    """
    name, spec_params = extract_options(spec)
    init = dict(spec_params)
    if params:
        init.update(params)
    if name.endswith(".py"):
        return python_action(basedir, name, jail_name, init)
    reader = ActionReader(loader or ConfigLoader(), basedir, name, jail_name, init)
    if not reader.read():
        raise ConfigError(f"Unable to read action {name!r} under {basedir}")
    reader.get_options(dict(jail_options or {}))
    return reader.definition()
