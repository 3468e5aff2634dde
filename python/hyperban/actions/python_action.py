"""Python actions: ``action.d/NAME.py`` files defining ``Action``, fail2ban's convention.

The module is loaded from its file and built as ``Action(jail, name, **params)``.  Stock
Python actions import ``ActionBase`` (and ``CallingMap``) from ``fail2ban.server.actions``.
When fail2ban itself is importable, that import is left alone.  Otherwise, for the time of
loading only, a narrow shim makes ``fail2ban.server.actions`` (and nothing else of
fail2ban) resolve to hyperban's :class:`~hyperban.actions.base.ActionBase` and
:class:`~hyperban.actions.info.CallingMap`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from collections.abc import Iterator
from itertools import count
from typing import Any

from ..config.actions import PythonActionDefinition
from .base import ActionBase
from .info import CallingMap

__all__ = ["PythonActionError", "load_python_action", "load_python_module"]

_SHIM_NAMES = ("fail2ban", "fail2ban.server", "fail2ban.server.actions")
_serial = count()


class PythonActionError(RuntimeError):
    """A Python action file could not be loaded or its ``Action`` built."""


def _fail2ban_importable() -> bool:
    try:
        return importlib.util.find_spec("fail2ban.server.actions") is not None
    except (ImportError, ValueError):
        return False


@contextlib.contextmanager
def _fail2ban_shim() -> Iterator[None]:
    """Map ``fail2ban.server.actions`` to hyperban's classes while the body runs."""
    if _fail2ban_importable():
        yield
        return
    saved = {name: sys.modules.get(name) for name in _SHIM_NAMES}
    package = types.ModuleType("fail2ban")
    package.__path__ = []
    server = types.ModuleType("fail2ban.server")
    server.__path__ = []
    actions = types.ModuleType("fail2ban.server.actions")
    actions.ActionBase = ActionBase  # type: ignore[attr-defined]
    actions.CallingMap = CallingMap  # type: ignore[attr-defined]
    package.server = server  # type: ignore[attr-defined]
    server.actions = actions  # type: ignore[attr-defined]
    sys.modules.update(zip(_SHIM_NAMES, (package, server, actions), strict=True))
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def load_python_module(path: str) -> types.ModuleType:
    """Load ``path`` as a fresh module (never cached in ``sys.modules``)."""
    name = f"hyperban_action_{next(_serial)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PythonActionError(f"Python action {path}: not a loadable Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        with _fail2ban_shim():
            spec.loader.exec_module(module)
    except FileNotFoundError as exc:
        raise PythonActionError(f"Python action {path}: file not found") from exc
    except Exception as exc:
        raise PythonActionError(
            f"Python action {path}: loading failed: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def load_python_action(definition: PythonActionDefinition, jail: Any) -> Any:
    """Build the action of ``definition``: ``Action(jail, name, **params)``."""
    module = load_python_module(definition.file)
    cls = getattr(module, "Action", None)
    if cls is None:
        raise PythonActionError(f"Python action {definition.file}: no 'Action' class")
    missing = [m for m in ("start", "stop", "ban", "unban") if not callable(getattr(cls, m, None))]
    if missing:
        raise PythonActionError(
            f"Python action {definition.file}: {cls.__name__} lacks {', '.join(missing)}"
        )
    try:
        return cls(jail, definition.name, **definition.params)
    except Exception as exc:
        raise PythonActionError(
            f"Python action {definition.file}: {cls.__name__}(...) failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
