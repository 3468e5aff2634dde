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

__all__ = [
    "ActionBase",
    "ActionInfo",
    "ForeignAction",
    "call_listed",
    "inspectable",
    "no_attribute",
    "public_names",
]

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

    # -- run-time inspection: fail2ban-client's ``get/set JAIL action...`` --------------
    # As fail2ban's transmitter does with any action object: the properties are its
    # public attributes that are not methods, set with ``setattr``; the methods are its
    # public callables.  Command and native actions override these with their options.

    def property_names(self) -> list[str]:
        """``get JAIL actionproperties ACT``."""
        return public_names(self, methods=False)

    def method_names(self) -> list[str]:
        """``get JAIL actionmethods ACT``."""
        return public_names(self, methods=True)

    def get_property(self, name: str) -> Any:
        """``get JAIL action ACT NAME``; :class:`AttributeError` for an unknown name."""
        return get_attribute(self, name)

    def set_property(self, name: str, value: str) -> None:
        """``set JAIL action ACT NAME VALUE`` (a new name adds a property, as in
        fail2ban)."""
        set_attribute(self, name, value)

    def call_method(self, name: str, kwargs: Mapping[str, Any]) -> Any:
        """``set JAIL action ACT METHOD [JSON-KWARGS]``."""
        return call_public(self, name, kwargs)

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


def public_names(obj: object, *, methods: bool) -> list[str]:
    """The public attribute names of ``obj`` that are (or are not) callable, sorted."""
    return [
        key
        for key in dir(obj)
        if not key.startswith("_") and callable(getattr(obj, key, None)) == methods
    ]


def no_attribute(obj: object, name: str) -> AttributeError:
    """The error fail2ban's server answers for an unknown action property or method."""
    return AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")


def get_attribute(obj: object, name: str) -> Any:
    if name not in public_names(obj, methods=False):
        raise no_attribute(obj, name)
    return getattr(obj, name)


def set_attribute(obj: object, name: str, value: str) -> None:
    if name.startswith("_") or name in public_names(obj, methods=True):
        raise no_attribute(obj, name)
    setattr(obj, name, value)


def call_public(obj: object, name: str, kwargs: Mapping[str, Any]) -> Any:
    if name not in public_names(obj, methods=True):
        raise no_attribute(obj, name)
    return getattr(obj, name)(**kwargs)


def call_listed(
    action: ActionBase, name: str, allowed: Sequence[str], kwargs: Mapping[str, Any]
) -> Any:
    """Call method ``name`` of ``action`` if ``allowed`` lists it, by fail2ban's name
    (``consistencyCheck`` is :meth:`ActionBase.consistency_check`)."""
    if name not in allowed:
        raise no_attribute(action, name)
    method = action.consistency_check if name == "consistencyCheck" else getattr(action, name)
    return method(**kwargs)


class ForeignAction:
    """The inspection methods of :class:`ActionBase` for an action built on another
    base (fail2ban's own ``ActionBase``, when fail2ban is importable)."""

    def __init__(self, action: object) -> None:
        self.action = action

    def property_names(self) -> list[str]:
        return public_names(self.action, methods=False)

    def method_names(self) -> list[str]:
        return public_names(self.action, methods=True)

    def get_property(self, name: str) -> Any:
        return get_attribute(self.action, name)

    def set_property(self, name: str, value: str) -> None:
        set_attribute(self.action, name, value)

    def call_method(self, name: str, kwargs: Mapping[str, Any]) -> Any:
        return call_public(self.action, name, kwargs)


def inspectable(action: object) -> ActionBase | ForeignAction:
    """``action`` with the inspection methods (itself when it is an :class:`ActionBase`)."""
    return action if isinstance(action, ActionBase) else ForeignAction(action)


def _succeeded(method: Any, info: ActionInfo, log: logging.Logger) -> bool:
    """Run one single-ban method; an exception or ``False`` is a failure (logged)."""
    try:
        return method(info) is not False
    except Exception as exc:  # an action's failure must not stop the others
        log.error("%s of %s failed: %s", method.__name__, info.get("ip"), exc)
        return False
