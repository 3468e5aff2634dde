"""Actions: what a jail does to ban and unban (firewall commands, mails, native nftables).

Data flows here from the jail: a ban becomes an ``aInfo`` mapping (:mod:`.info`), handed
to every action of the jail (see :mod:`hyperban.actions.base` for the interface).
:func:`build_actions` turns a jail's action definitions into actions: command actions
(:mod:`.command`, values quoted by :mod:`.shell_quote`), Python ``action.d/*.py`` actions
(:mod:`.python_action`) and native ones.
"""

from .base import ActionBase, ActionInfo
from .command import ActionError, CommandAction
from .info import ActionInfo as TicketActionInfo
from .info import CallingMap, JailInfo
from .loader import build_action, build_actions
from .python_action import PythonActionError, load_python_action
from .shell_quote import UnsafeTemplateError, UnsafeValueError

__all__ = [
    "ActionBase",
    "ActionError",
    "ActionInfo",
    "CallingMap",
    "CommandAction",
    "JailInfo",
    "PythonActionError",
    "TicketActionInfo",
    "UnsafeTemplateError",
    "UnsafeValueError",
    "build_action",
    "build_actions",
    "load_python_action",
]
