"""hyperban's own ban actions, batched: ``banaction = hyperban-nftables`` and friends.

=============================  =========================================================
``hyperban-nftables``          nft sets + a rule on the jail's ``port``/``protocol``
``hyperban-nftables-allports`` nft sets + a rule on every port of ``protocol``
``hyperban-ipset``             ipset + iptables rule (multiport)
``hyperban-ipset-allports``    ipset + iptables rule (every port)
=============================  =========================================================

The nftables variants fall back to the ipset ones when ``nft`` is not installed.  No
``action.d`` file is needed (see :class:`hyperban.config.actions.NativeActionDefinition`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..base import ActionBase
from .errors import NativeActionError
from .ipset import IpsetAction
from .nftables import NftablesAction
from .runner import command_available

__all__ = [
    "NATIVE_ACTIONS",
    "IpsetAction",
    "NativeActionError",
    "NftablesAction",
    "create_native_action",
    "is_native_action",
]

log = logging.getLogger(__name__)

NATIVE_ACTIONS = frozenset(
    {
        "hyperban-nftables",
        "hyperban-nftables-allports",
        "hyperban-ipset",
        "hyperban-ipset-allports",
    }
)


def is_native_action(action: str) -> bool:
    """Whether ``action`` (an action.d name) is one of ours."""
    return action in NATIVE_ACTIONS


def create_native_action(
    action: str, jail: Any, name: str, params: Mapping[str, str]
) -> ActionBase:
    """The action object for ``action`` (one of :data:`NATIVE_ACTIONS`) in ``jail``."""
    if action not in NATIVE_ACTIONS:
        raise NativeActionError(f"{action!r} is not a hyperban native action")
    allports = action.endswith("-allports")
    if action.startswith("hyperban-nftables"):
        if command_available(params.get("nftables", "nft")):
            return NftablesAction(jail, name, params, allports=allports)
        if command_available(params.get("ipset", "ipset")) and command_available(
            params.get("iptables", "iptables")
        ):
            log.warning("%s: nft not found; using ipset + iptables instead", name)
            return IpsetAction(jail, name, params, allports=allports)
        raise NativeActionError(
            f"{action}: neither nft (Debian package nftables) nor ipset + iptables is installed"
        )
    return IpsetAction(jail, name, params, allports=allports)
