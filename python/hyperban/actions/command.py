"""Command actions: ``action.d/NAME.conf`` run as shell commands, as fail2ban runs them.

Behaviour follows fail2ban's ``CommandAction``:

* ``start`` runs ``actionstart`` once per address family the action has (``inet4`` and
  ``inet6`` when it has ``[Init?family=...]`` parameters, else one family-less run); an
  identical command is not run twice.  With ``actionstart_on_demand`` (the default for
  actions with family sections) nothing runs at start: a family's ``actionstart`` runs
  right before its first ban.
* ``ban``/``reban``/``unban``/``prolong`` run their command for the ticket's family.  When
  it fails and there is an ``actioncheck``, the check runs; if it fails, ``actionrepair``
  runs (or, without one, ``actionstop`` + ``actionstart``), the check runs again, and the
  command is retried once.  For unban the repair only happens with
  ``actionrepair_on_unban``.  ``unban`` runs only for a family that holds bans.
* ``flush`` runs ``actionflush`` for the families holding bans; without ``actionflush`` it
  returns False so the caller unbans one by one.  ``stop`` runs ``actionstop`` for the
  started families.
* ``norestored``: bans restored from the database at start are not re-applied (mails).

hyperban differences: values from the ban are quoted for their shell context (see
:mod:`.shell_quote`), and a ban, unban, reban or prolong never raises -- a failure is
logged and reported as False.  ``start``, ``stop`` and ``reload`` raise
:class:`ActionError`, as fail2ban's do, for the jail to log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..config.actions import ActionDefinition
from ..config.definition import CONDITIONAL_KEY
from ..config.options import as_bool, parse_time
from ..server.clock import clock
from ..server.ticket import BanTicket
from .base import ActionBase, ActionInfo, call_listed, no_attribute
from .info import ActionInfo as TicketInfo
from .ipv6 import ipv6_allowed
from .runner import DEFAULT_SHELL, DEFAULT_TIMEOUT, CommandResult, run_command
from .shell_quote import UnsafeTemplateError, UnsafeValueError
from .tags import render, resolve_config_tags

__all__ = ["ActionError", "CommandAction"]

# _started flags per family, as fail2ban: started, and holds bans.
_STARTED = 1
_HAS_BANS = 2


class ActionError(RuntimeError):
    """A start, stop, flush or reload command of an action failed."""


class CommandAction(ActionBase):
    """An action of a jail built from an :class:`ActionDefinition` (see module doc)."""

    def __init__(
        self,
        jail: Any,
        definition: ActionDefinition,
        *,
        shell: str = DEFAULT_SHELL,
        runner: Callable[..., CommandResult] = run_command,
    ) -> None:
        super().__init__(jail, definition.name)
        self._logSys = logging.getLogger(f"hyperban.actions.{jail_name(jail)}.{definition.name}")
        self.definition = definition
        self.shell = shell
        self._runner = runner
        self.timeout = _timeout_of(definition.params.get("timeout"), self._logSys)
        # the command templates (``set JAIL action ACT actionban ...`` changes them)
        self._commands: dict[str, str] = dict(definition.commands)
        # The properties fail2ban substitutes into commands: parameters and commands.
        self._properties: dict[str, str] = {
            **definition.params,
            **definition.commands,
            "timeout": _seconds_text(self.timeout),
        }
        self._has_family_sections = any(
            (m := CONDITIONAL_KEY.fullmatch(k)) and m.group(2).startswith("family=")
            for k in definition.params
        )
        on_demand = definition.actionstart_on_demand
        self.start_on_demand = self._has_family_sections if on_demand is None else on_demand
        self.norestored = bool(definition.norestored)
        self.repair_on_unban = bool(definition.actionrepair_on_unban)
        self._started: dict[str, int] = {}
        # Last successful command of start/stop per family (fail2ban runs a command shared
        # by both families only once).
        self._executed: dict[str, dict[str, str]] = {}
        self._resolved: dict[tuple[str, str], str] = {}

    # -- templates -------------------------------------------------------------------

    @property
    def families(self) -> list[str]:
        """Families whose start/stop run at jail start/stop (``""``: no family)."""
        if not self._has_family_sections:
            return [""]
        return ["inet4", "inet6"] if ipv6_allowed() else ["inet4"]

    def command(self, name: str, family: str = "") -> str:
        """The template of command ``name`` (``actionban``...) with the configuration's
        tags resolved for ``family`` (cached)."""
        key = (name, family)
        cached = self._resolved.get(key)
        if cached is None:
            template = self._commands.get(name) or ""
            cached = resolve_config_tags(template, self._properties, family)
            self._resolved[key] = cached
        return cached

    def _script(self, name: str, info: ActionInfo) -> str:
        family = info.get("family") or ""
        return render(self.command(name, family), info)

    def _empty_info(self, family: str) -> TicketInfo:
        """What start/stop commands see of ``aInfo``: no address, the time now."""
        return TicketInfo(BanTicket("", clock.time()), self._jail, {"family": family or None})

    # -- running ---------------------------------------------------------------------

    def _run(self, script: str) -> bool:
        return self._runner(script, self.timeout, shell=self.shell, logger=self._logSys).ok

    def _run_operation(
        self,
        name: str,
        families: Iterable[str],
        after: Callable[[str, bool], None] | None = None,
    ) -> bool:
        """Run a start/stop/flush/reload command for each family; True if all succeeded."""
        ok = True
        for family in families:
            try:
                script = self._script(name, self._empty_info(family))
            except ValueError as exc:
                self._logSys.error("%s of %s: %s", name, self._name, exc)
                ok = False
                continue
            done = True
            shared = self._executed.get(name, {})
            if script.strip() and script not in (v for f, v in shared.items() if f != family):
                done = self._run(script)
                ok &= done
            if after:
                after(family, done)
            record = self._executed.setdefault(name, {})
            if done:
                record[family] = script
            else:
                record.pop(family, None)
        return ok

    def _forget(self, name: str, family: str) -> None:
        """Forget that ``name`` ran for ``family`` (and for families sharing its command)."""
        record = self._executed.get(name, {})
        script = record.pop(family, None)
        for other in [f for f, v in record.items() if v == script]:
            del record[other]

    def _family(self, info: ActionInfo) -> str:
        """The family whose start/ban state a ban belongs to: the ticket's family for
        actions with family sections, the single family-less state otherwise."""
        return (info.get("family") or "") if self._has_family_sections else ""

    # -- start / stop ----------------------------------------------------------------

    def start(self) -> None:
        if self.start_on_demand:
            return
        if not self._start(None):
            raise ActionError(f"Error starting action {jail_name(self._jail)}/{self._name}")

    def _start(self, family: str | None) -> bool:
        families = self.families if family is None else [family]

        def started(fam: str, ok: bool) -> None:
            if ok:
                self._forget("actionstop", fam)
                self._started[fam] = self._started.get(fam, 0) | _STARTED

        return self._run_operation("actionstart", families, started)

    def stop(self) -> None:
        if not self._stop(None):
            raise ActionError(f"Error stopping action {jail_name(self._jail)}/{self._name}")

    def _stop(self, family: str | None) -> bool:
        if family is None:
            families = [f for f, v in self._started.items() if v]
            self._started = {}
        else:
            if family not in self._started:
                return True
            self._started[family] = 0
            families = [family]
        if not families:
            return True

        def stopped(fam: str, ok: bool) -> None:
            if ok:
                self._forget("actionstart", fam)

        return self._run_operation("actionstop", families, stopped)

    def reload(self) -> None:
        families = [f for f, v in self._started.items() if v]
        if not self._run_operation("actionreload", families):
            raise ActionError(f"Error reloading action {jail_name(self._jail)}/{self._name}")

    def flush(self) -> bool | None:
        if not (self._commands.get("actionflush") or "").strip():
            return False
        families = [f for f, v in self._started.items() if v & 3 == 3]
        if not families:
            return True

        def flushed(fam: str, ok: bool) -> None:
            if ok and self._started.get(fam):
                self._started[fam] &= ~_HAS_BANS

        return self._run_operation("actionflush", families, flushed)

    # -- bans ------------------------------------------------------------------------

    def ban(self, aInfo: ActionInfo) -> bool:
        return self._ban(aInfo, "actionban")

    def reban(self, aInfo: ActionInfo) -> bool:
        has_reban = (self._commands.get("actionreban") or "").strip()
        return self._ban(aInfo, "actionreban" if has_reban else "actionban")

    def _ban(self, info: ActionInfo, name: str) -> bool:
        if self.norestored and info.get("restored"):
            self._logSys.debug("%s: restored ban of %s not re-applied", self._name, info["ip"])
            return True
        family = self._family(info)
        if self.start_on_demand and not self._started.get(family):
            if not self._start(family):
                self._logSys.error(
                    "%s: cannot ban %s, starting the action (family %s) failed",
                    self._name,
                    info.get("ip"),
                    family or "-",
                )
                return False
        if not self._process(name, info):
            self._logSys.error("%s: error banning %s", self._name, info.get("ip"))
            return False
        self._started[family] = self._started.get(family, 0) | _STARTED | _HAS_BANS
        return True

    def unban(self, aInfo: ActionInfo) -> bool:
        family = self._family(aInfo)
        if not self._started.get(family, 0) & _HAS_BANS:
            return True
        if not self._process("actionunban", aInfo):
            self._logSys.error("%s: error unbanning %s", self._name, aInfo.get("ip"))
            return False
        return True

    def prolong(self, aInfo: ActionInfo) -> bool:
        if not (self._commands.get("actionprolong") or "").strip():
            return True
        if not self._process("actionprolong", aInfo):
            self._logSys.error("%s: error prolonging %s", self._name, aInfo.get("ip"))
            return False
        return True

    def _process(self, name: str, info: ActionInfo) -> bool:
        """Run a ban-path command; on failure check, repair and retry once."""
        family = self._family(info)
        has_check = bool((self._commands.get("actioncheck") or "").strip())
        for attempt in range(2):
            if attempt and not has_check:
                return False
            if attempt and self._invariant_check(family, name) != 1:
                return False
            try:
                script = self._script(name, info)
            except (UnsafeTemplateError, UnsafeValueError) as exc:
                # Nothing ran; retrying cannot help.
                self._logSys.error("%s: refused to run %s: %s", self._name, name, exc)
                return False
            except ValueError as exc:
                self._logSys.error("%s: cannot build %s: %s", self._name, name, exc)
                return False
            if not script.strip():
                return True
            if self._run(script):
                return True
        return False

    def _invariant_check(self, family: str, name: str) -> int:
        """fail2ban's ``_invariantCheck``: 1 sane (maybe after repair), 0 broken, -1
        broken but left alone (unban without ``actionrepair_on_unban``)."""
        try:
            check = self._script("actioncheck", self._empty_info(family))
        except ValueError as exc:
            self._logSys.error("%s: cannot build actioncheck: %s", self._name, exc)
            return 0
        if not check.strip() or self._run(check):
            return 1
        if name == "actionunban" and not self.repair_on_unban:
            self._logSys.error("Invariant check failed. Unban is impossible.")
            return -1
        self._logSys.error("Invariant check failed. Trying to restore a sane environment")
        # whatever the repair does, the bans applied before may be gone (see ban_epoch)
        self.ban_epoch += 1
        repair = self._script("actionrepair", self._empty_info(family))
        if repair.strip():
            if not self._run(repair):
                self._started[family] = 0
                self._logSys.critical("Unable to restore environment")
                return 0
            self._started[family] = _STARTED
        else:
            self._stop(family)
            self._start(family)
        if self._started.get(family) and not self._run(check):
            self._logSys.critical("Unable to restore environment")
            return 0
        return 1

    def consistency_check(self) -> bool:
        """fail2ban's ``consistencyCheck``: ``actioncheck`` for every started family,
        repaired as after a failed ban; a family that cannot be repaired counts as not
        started (its next ban starts it again)."""
        if not (self._commands.get("actioncheck") or "").strip():
            return True
        sane = True
        for family, started in list(self._started.items()):
            if started and self._invariant_check(family, "consistency") == 0:
                self._started[family] = 0
                self._forget("actionstart", family)
                sane = False
        return sane

    def __repr__(self) -> str:
        return f"CommandAction({jail_name(self._jail)}/{self._name})"

    # -- run-time inspection (get/set JAIL action...) ---------------------------------

    def property_names(self) -> list[str]:
        """As fail2ban's ``CommandAction`` lists them: the commands it always has, those
        configured, the parameters, ``actname``, ``banEpoch`` and ``timeout``."""
        names = {*COMMAND_NAMES, *self._commands, *self._properties}
        return sorted(names | {"actname", "banEpoch", "timeout"})

    def method_names(self) -> list[str]:
        return list(COMMAND_METHODS)

    def get_property(self, name: str) -> Any:
        """A command or parameter with the configuration's tags resolved (``<ip>``,
        ``<family>`` and the other ban tags stay), as fail2ban holds it."""
        if name == "actname":
            return self.name
        if name == "banEpoch":
            return self.ban_epoch
        if name == "timeout":
            return int(self.timeout) if self.timeout == int(self.timeout) else self.timeout
        if name in COMMAND_NAMES or name in self._commands:
            return self.command(name)
        if name in self._properties:
            return resolve_config_tags(self._properties[name], self._properties)
        raise no_attribute(self, name)

    def set_property(self, name: str, value: str) -> None:
        """A new command template, parameter or timeout, used from the next command on.
        ``bantime`` is ignored, as fail2ban ignores it here (the jail's counts)."""
        if name.startswith("_") or name in COMMAND_METHODS:
            raise no_attribute(self, name)
        if name == "bantime":
            return
        if name == "banEpoch":
            self.ban_epoch = int(value)
            return
        flag = _FLAGS.get(name)
        if flag is not None:  # a switch of the action, not a tag
            setattr(self, flag, as_bool(value))
        elif name == "timeout":
            try:
                seconds = float(parse_time(value))
            except ValueError:
                raise ValueError(f"invalid action timeout {value!r}") from None
            if seconds <= 0:
                raise ValueError(f"invalid action timeout {value!r}: not positive")
            self.timeout = seconds
            value = _seconds_text(seconds)
        elif name in COMMAND_NAMES or name in self._commands or name == "actionprolong":
            self._commands[name] = value
        self._properties[name] = value
        self._resolved.clear()

    def call_method(self, name: str, kwargs: Mapping[str, Any]) -> Any:
        return call_listed(self, name, COMMAND_METHODS, kwargs)


# The commands fail2ban's CommandAction always has (empty unless configured).
COMMAND_NAMES = (
    "actionban", "actioncheck", "actionflush", "actionreban", "actionreload",
    "actionrepair", "actionstart", "actionstop", "actionunban",
)  # fmt: skip
# The action's switches (fail2ban's option -> our attribute).
_FLAGS = {
    "actionstart_on_demand": "start_on_demand",
    "actionrepair_on_unban": "repair_on_unban",
    "norestored": "norestored",
}
# What ``set JAIL action ACT METHOD`` may call (fail2ban's names).
COMMAND_METHODS = (
    "ban", "consistencyCheck", "flush", "prolong", "reban", "reload", "start", "stop", "unban",
)  # fmt: skip


def jail_name(jail: Any) -> str:
    return str(getattr(jail, "name", jail))


def _timeout_of(raw: str | None, log: logging.Logger) -> float:
    if raw is None or not str(raw).strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(parse_time(str(raw)))
    except (TypeError, ValueError):
        log.warning("Invalid action timeout %r, using %s seconds", raw, DEFAULT_TIMEOUT)
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def _seconds_text(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
