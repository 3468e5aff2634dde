"""The control commands on a jail's actions (fail2ban-client's ``get/set JAIL action``,
``actionproperties``, ``actionmethods``, ``addaction``, ``delaction``).

A mixin of :class:`~hyperban.daemon.server.Server`, beside
:class:`~hyperban.daemon.commands.ServerCommands`.  The action objects answer for
themselves (:meth:`hyperban.actions.base.ActionBase.property_names` and the rest); this
finds the action, turns their errors into the replies fail2ban gives and marks the jail
changed at run time (a reload then restarts it from its configuration).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from hyperban.actions.base import ActionBase, ForeignAction, inspectable
from hyperban.actions.command import CommandAction
from hyperban.actions.python_action import PythonActionError, load_python_action
from hyperban.config.actions import ActionDefinition, PythonActionDefinition
from hyperban.control.api import UnknownActionError

if TYPE_CHECKING:
    from .server import Server

__all__ = ["ActionCommands", "plain"]

log = logging.getLogger("hyperban.server")


class ActionCommands:
    """ControlTarget methods on actions; ``self`` is a :class:`Server`."""

    def add_action(
        self: Server,
        jail: str,
        name: str,
        python_file: str | None,
        kwargs: dict[str, Any],
    ) -> str:
        """fail2ban's ``addAction``: a command action with no command yet (they are set
        with ``set JAIL action NAME actionban ...``), or ``python_file``'s ``Action``
        built with ``kwargs``.  Not started, as in fail2ban."""
        j = self._jail(jail)
        if name in j.actions.actions:  # (before a Python action's constructor runs)
            raise ValueError(f"Action {name} already exists")
        if python_file is None:
            definition = ActionDefinition(
                name=name, action=name, jail=jail, file="", files=[], commands={},
                params={"name": jail, "actname": name},
            )  # fmt: skip
            action: Any = CommandAction(j, definition)
        else:
            params = {str(k): v for k, v in kwargs.items()}
            python = PythonActionDefinition(name, name, jail, python_file, params)
            try:
                action = load_python_action(python, j)
            except PythonActionError as exc:
                raise ValueError(str(exc)) from None
        j.actions.add(action)
        self.note_runtime_change(jail)
        log.info("[%s] action %r added", jail, name)
        return name

    def del_action(self: Server, jail: str, name: str) -> None:
        """fail2ban's ``delAction``: the action leaves the jail (not stopped)."""
        try:
            self._jail(jail).actions.remove(name)
        except KeyError as exc:
            raise UnknownActionError(exc.args[0]) from None
        self.note_runtime_change(jail)

    def _action(self: Server, jail: str, name: str) -> ActionBase | ForeignAction:
        action = self._jail(jail).actions.actions.get(name)
        if action is None:
            raise UnknownActionError(f"Invalid Action name: {name}")  # fail2ban's words
        return inspectable(action)

    def action_names(self: Server, jail: str, action: str, methods: bool) -> list[str]:
        found = self._action(jail, action)
        return found.method_names() if methods else found.property_names()

    def get_action_property(self: Server, jail: str, action: str, name: str) -> Any:
        try:
            return plain(self._action(jail, action).get_property(name))
        except AttributeError as exc:
            raise ValueError(str(exc)) from None

    def set_action_property(self: Server, jail: str, action: str, name: str, value: str) -> Any:
        found = self._action(jail, action)
        try:
            found.set_property(name, value)
            answer = plain(found.get_property(name))
        except AttributeError as exc:
            raise ValueError(str(exc)) from None
        self.note_runtime_change(jail)
        return answer

    def call_action_method(
        self: Server, jail: str, action: str, name: str, kwargs: dict[str, Any]
    ) -> Any:
        found = self._action(jail, action)
        try:
            return plain(found.call_method(name, kwargs))
        except Exception as exc:  # the action's failure (or bad arguments), not ours
            raise ValueError(str(exc) or type(exc).__name__) from None


def plain(value: Any) -> Any:
    """``value`` as a reply may carry it: plain data as is, anything else as its text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)
