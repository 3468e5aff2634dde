"""The interface every action of a jail implements.

It has the shape of fail2ban's ``ActionBase`` (``fail2ban.server.action.ActionBase``), so
that Python actions written for fail2ban (``action.d/*.py`` defining ``Action``) load
unchanged: they are constructed as ``Action(jail, name, **params)`` and get ``start``,
``stop``, ``flush``, ``ban(aInfo)``, ``unban(aInfo)``, ``reban(aInfo)`` and
``prolong(aInfo)`` calls.  ``aInfo`` is a mapping of tag name to value (``ip``,
``failures``, ``F-USER``, ``matches``...), computed lazily.

hyperban adds batch entry points.  The jail's action thread hands every ban and unban that
fell due in one tick to :meth:`ActionBase.ban_many` / :meth:`ActionBase.unban_many`, and
the bans restored at start to :meth:`ActionBase.restore_many`.  Here they loop over the
single-ban methods; a native action (one ``nft -f -`` transaction for the whole batch)
overrides them.  A batch call returns one result per item, in order, so the caller knows
which bans to retry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ActionBase", "ActionInfo"]

# What an action gets for one ban: tag name -> value (see hyperban.actions.info).
ActionInfo = Mapping[str, Any]


class ActionBase:
    """Base of all actions; every method but ``__init__`` is optional to override.

    ``jail`` is the jail object the action belongs to (actions read ``jail.name``);
    ``name`` the action's name within the jail (``actname``).
    """

    #: fail2ban's ``banEpoch``.  An action raises it when it had to rebuild its firewall
    #: state (a failed ``actioncheck``, our sets gone): the bans it applied before are
    #: lost, and :class:`~hyperban.server.jailactions.JailActions` applies a ban again
    #: when its address fails anew.
    ban_epoch: int = 0

    def __init__(self, jail: Any, name: str) -> None:
        self._jail = jail
        self._name = name
        # fail2ban's actions log through self._logSys; keep that name for compatibility.
        self._logSys = logging.getLogger(f"hyperban.actions.{name}")

    @property
    def jail(self) -> Any:
        return self._jail

    @property
    def name(self) -> str:
        return self._name

    def start(self) -> None:
        """Called when the jail starts (before any ban)."""

    def stop(self) -> None:
        """Called when the jail stops (after the bans were flushed or unbanned)."""

    def flush(self) -> bool | None:
        """Remove every ban at once; return False to have the bans unbanned one by one."""
        return False

    def reload(self) -> None:
        """Called when the jail's configuration was reloaded."""

    def ban(self, aInfo: ActionInfo) -> bool | None:
        """Ban one address; return False (or raise) on failure."""
        return None

    def unban(self, aInfo: ActionInfo) -> bool | None:
        """Lift the ban of one address; return False (or raise) on failure."""
        return None

    def reban(self, aInfo: ActionInfo) -> bool | None:
        """Ban again an address whose ban is known (e.g. restored); defaults to ban()."""
        return self.ban(aInfo)

    def consistency_check(self) -> bool:
        """Whether the firewall still holds what this action set up; if not, restore it
        and raise :attr:`ban_epoch`.  fail2ban runs it (``consistencyCheck``) when an
        address banned more than 3 s ago fails again.  Defaults to nothing to check."""
        return True

    def prolong(self, aInfo: ActionInfo) -> bool | None:
        """The ban time of an active ban grew; defaults to nothing."""
        return None

    def extend(self, aInfo: ActionInfo) -> bool | None:
        """An active ban now ends later because its address failed again.

        fail2ban runs no command for this (the ban list keeps the later end and
        the unban waits for it), and neither does the default.  Actions whose
        firewall entries expire on their own (kernel set timeouts) re-time the
        entry here.  It is called when the original end is reached, not on every
        repeat failure, so a flood of lines from a banned address costs nothing.
        """
        return None

    # -- hyperban batch entry points -------------------------------------------------

    def ban_many(self, infos: Sequence[ActionInfo]) -> list[bool]:
        """Ban every item; one success flag per item."""
        return [_succeeded(self.ban, info, self._logSys) for info in infos]

    def unban_many(self, infos: Sequence[ActionInfo]) -> list[bool]:
        """Unban every item; one success flag per item."""
        return [_succeeded(self.unban, info, self._logSys) for info in infos]

    def reban_many(self, infos: Sequence[ActionInfo]) -> list[bool]:
        """Apply again bans this action lost (see :attr:`ban_epoch`); defaults to reban()."""
        return [_succeeded(self.reban, info, self._logSys) for info in infos]

    def restore_many(self, infos: Sequence[ActionInfo]) -> list[bool]:
        """Re-apply bans restored from the database at start; defaults to reban()."""
        return self.reban_many(infos)


def _succeeded(method: Any, info: ActionInfo, log: logging.Logger) -> bool:
    """Run one single-ban method; an exception or ``False`` is a failure (logged)."""
    try:
        return method(info) is not False
    except Exception as exc:  # an action's failure must not stop the others
        log.error("%s of %s failed: %s", method.__name__, info.get("ip"), exc)
        return False
