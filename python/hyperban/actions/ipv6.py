"""Whether actions treat IPv6 as available: fail2ban's ``allowipv6`` (``fail2ban.conf``,
``set allowipv6``).

``auto`` asks the system (an IPv6 stack with at least one interface address); ``yes``
or ``no`` force the answer.  A command action with family sections runs its
``actionstart``/``actionstop`` for ``inet6`` only when IPv6 is available (see
:attr:`hyperban.actions.command.CommandAction.families`).  One setting per process, as in
fail2ban (``DNSUtils.setIPv6IsAllowed``).
"""

from __future__ import annotations

import os
import socket

from ..config.server import parse_allowipv6

__all__ = ["ipv6_allowed", "set_allowipv6"]

# None: ``auto``
_forced: bool | None = None


def set_allowipv6(value: str) -> None:
    """``ValueError`` (nothing changed) for a value that is not auto, yes or no."""
    global _forced
    _forced = parse_allowipv6(value)


def ipv6_allowed() -> bool:
    if _forced is not None:
        return _forced
    return socket.has_ipv6 and os.path.exists("/proc/net/if_inet6")
