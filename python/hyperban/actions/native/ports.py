"""The jail's ``port`` and ``protocol`` parameters, as the firewall tools spell them.

fail2ban writes ports as ``ssh,http,8000:8100`` (names from /etc/services, ranges with a
colon) and protocols as ``tcp`` or ``tcp,udp``.  They are checked here because they end up
in firewall scripts: only names, numbers and ranges pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import NativeActionError

__all__ = ["Match", "parse_match"]

_PORT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*(:[A-Za-z0-9][A-Za-z0-9_.+-]*)?")
_PROTOCOL = re.compile(r"[a-z][a-z0-9-]*")
# Protocols values that mean "every protocol" for the allports variants.
_ALL = frozenset({"all", "any", "ip", ""})


class Match:
    """Which packets of a banned address a jail's rule catches."""

    def __init__(self, protocols: list[str], ports: list[str] | None) -> None:
        self.protocols = protocols  # empty = every protocol
        self.ports = ports  # None = every port; entries "22" or "8000:8100"

    def nft_rules(self) -> list[str]:
        """The match part of one nft rule per protocol (may be one empty match)."""
        if self.ports is None:
            if not self.protocols:
                return [""]
            return [f"meta l4proto {{ {', '.join(self.protocols)} }}"]
        ports = ", ".join(p.replace(":", "-") for p in self.ports)
        return [f"{proto} dport {{ {ports} }}" for proto in self.protocols]

    def iptables_rules(self) -> list[list[str]]:
        """The match arguments of one iptables rule per protocol."""
        if self.ports is None:
            return [["-p", p] for p in self.protocols] or [[]]
        return [
            ["-p", p, "-m", "multiport", "--dports", ",".join(self.ports)] for p in self.protocols
        ]


def parse_match(params: Mapping[str, str], *, allports: bool) -> Match:
    """The :class:`Match` of an action's parameters; bad values raise NativeActionError."""
    raw_protocols = [p.strip().lower() for p in params.get("protocol", "tcp").split(",")]
    if allports and all(p in _ALL for p in raw_protocols):
        return Match([], None)
    protocols = [p for p in raw_protocols if p]
    for proto in protocols:
        if not _PROTOCOL.fullmatch(proto) or proto in _ALL:
            raise NativeActionError(f"unsupported protocol {proto!r}")
    if allports:
        return Match(protocols, None)
    if not protocols:
        raise NativeActionError("a port rule needs a protocol (tcp, udp...)")
    ports = [p.strip() for p in params.get("port", "ssh").split(",") if p.strip()]
    for port in ports:
        if not _PORT.fullmatch(port):
            raise NativeActionError(f"bad port {port!r}")
    if not ports:
        raise NativeActionError("empty port list")
    return Match(protocols, ports)
