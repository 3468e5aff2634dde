"""Actions: what a jail does to ban and unban (firewall commands, mails, native nftables).

Data flows here from the jail: a ban becomes an ``aInfo`` mapping, handed to every action
of the jail (see :mod:`hyperban.actions.base` for the interface).
"""

from .base import ActionBase, ActionInfo

__all__ = ["ActionBase", "ActionInfo"]
