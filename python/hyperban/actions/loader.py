"""Turning a jail's action definitions into action objects."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..config.actions import ActionDefinition, PythonActionDefinition
from .base import ActionBase
from .command import CommandAction
from .python_action import load_python_action

__all__ = ["build_action", "build_actions"]


def build_action(jail: Any, definition: Any) -> ActionBase:
    """One action: a command action, a Python action, or any definition that builds
    itself with ``create(jail)`` (hyperban's native actions)."""
    if isinstance(definition, ActionDefinition):
        return CommandAction(jail, definition)
    if isinstance(definition, PythonActionDefinition):
        action: ActionBase = load_python_action(definition, jail)
        return action
    create = getattr(definition, "create", None)
    if callable(create):
        created: ActionBase = create(jail)
        return created
    raise TypeError(f"not an action definition: {definition!r}")


def build_actions(jail: Any, definitions: Iterable[Any]) -> list[ActionBase]:
    """The actions of a jail, in the order of its ``action`` option.

    Raises :class:`~hyperban.actions.python_action.PythonActionError` naming the file
    when a Python action cannot be loaded.
    """
    return [build_action(jail, definition) for definition in definitions]
