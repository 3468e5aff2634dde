"""Failure ids as fail2ban computes them: addresses, subnets, host names.

:class:`Address` is a parsed failure id.  Like fail2ban's address objects it
is either a valid IPv4/IPv6 address or subnet (printed in canonical form:
``2001:DB8::1`` → ``2001:db8::1``, ``::ffff:1.2.3.4`` → ``1.2.3.4``,
``10.1.2.3/8`` → ``10.0.0.0/8``), or a *raw* id kept as written (a host name,
a user name, an invalid address).

:class:`Resolver` implements ``usedns`` for a ``<HOST>`` that captured a host
name: ``yes``/``warn`` look the name up (cached), ``no`` keeps only literal
addresses, ``raw`` never gets here (the name itself is the id).
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import ClassVar

from hyperban.filter.tags import IP4_RE, IP6_RE

__all__ = [
    "CIDR_RAW",
    "CIDR_UNSPEC",
    "FAM_IPV4",
    "FAM_IPV6",
    "USEDNS_MODES",
    "Address",
    "ExpiringCache",
    "Resolver",
    "normalize_usedns",
]

log = logging.getLogger(__name__)

USEDNS_MODES = ("yes", "warn", "no", "raw")

#: Keep the text as the id, do not parse it.
CIDR_RAW = -2
#: Parse; a ``/N`` or ``/mask`` suffix gives the prefix length.
CIDR_UNSPEC = -1
#: Parse as IPv4 only / IPv6 only.
FAM_IPV4 = CIDR_RAW - socket.AF_INET
FAM_IPV6 = CIDR_RAW - socket.AF_INET6

_FULL = {socket.AF_INET: 32, socket.AF_INET6: 128}
_IP_TEXT = re.compile(rf"(?:(?P<v4>{IP4_RE})|\[?(?P<v6>{IP6_RE})\]?)")
_MAPPED_V4 = 0xFFFF << 32  # ::ffff:0:0/96


def normalize_usedns(value: str | bool) -> str:
    """``usedns`` as one of :data:`USEDNS_MODES` (unknown values become ``no``)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    mode = str(value).lower()
    if mode not in USEDNS_MODES:
        log.error("Incorrect value %r specified for usedns. Using safe 'no'", value)
        return "no"
    return mode


class Address:
    """A failure id: an address, a subnet, or a raw string.

    Instances are immutable; :meth:`of` returns a cached one.
    """

    # ``_text`` caches str() and ``_hash`` its hash: ids are hashed (by their text) in
    # every set and dict look-up of the ban path -- several per failure -- and printing
    # an address costs an inet_ntop.
    __slots__ = ("_hash", "_text", "addr", "family", "plen", "raw")

    _cache: ClassVar[dict[tuple[str, int], Address]] = {}

    @classmethod
    def of(cls, text: str, cidr: int = CIDR_UNSPEC) -> Address:
        """``Address(text, cidr)``, from a bounded cache."""
        key = (text, cidr)
        found = cls._cache.get(key)
        if found is None:
            if len(cls._cache) >= 10000:
                cls._cache.clear()
            found = cls._cache[key] = cls(text, cidr)
        return found

    def __init__(self, text: str, cidr: int = CIDR_UNSPEC) -> None:
        self._text: str | None = None
        self._hash: int | None = None
        self.raw = text
        self.family = socket.AF_UNSPEC
        self.addr = 0
        self.plen = 0
        if cidr == CIDR_RAW:
            self.family = CIDR_RAW
            return
        if cidr == CIDR_UNSPEC:
            text, cidr = _split_prefix(text)
        families = (CIDR_RAW - cidr,) if cidr < CIDR_RAW else (socket.AF_INET, socket.AF_INET6)
        for family in families:
            try:
                packed = socket.inet_pton(family, text)
            except (OSError, ValueError):
                continue
            self.family = family
            self.addr = int.from_bytes(packed, "big")
            self.plen = _FULL[family]
            break
        else:
            return
        if cidr >= 0:
            self.addr &= _prefix_mask(_FULL[self.family], cidr)
            self.plen = cidr
        elif self.family == socket.AF_INET6 and self.addr >> 32 == 0xFFFF:
            self.family = socket.AF_INET
            self.addr &= 0xFFFFFFFF
            self.plen = 32

    def is_in(self, net: Address) -> bool:
        """Whether this address lies in the subnet ``net`` (both parsed addresses; an
        IPv4-mapped IPv6 address is IPv4 already)."""
        if self.family != net.family or self.family not in _FULL:
            return False
        return (self.addr & _prefix_mask(_FULL[self.family], net.plen)) == net.addr

    @property
    def is_valid(self) -> bool:
        """True unless the text could not be parsed (a raw id counts as valid,
        as in fail2ban)."""
        return self.family != socket.AF_UNSPEC

    @property
    def is_single(self) -> bool:
        return self.family in _FULL and self.plen == _FULL[self.family]

    @property
    def is_raw(self) -> bool:
        return self.family == CIDR_RAW

    def __str__(self) -> str:
        text = self._text
        if text is None:
            text = self._text = self._format()
        return text

    def _format(self) -> str:
        if self.family not in _FULL:
            return self.raw
        size = _FULL[self.family] // 8
        text = socket.inet_ntop(self.family, self.addr.to_bytes(size, "big"))
        if self.plen and self.plen < _FULL[self.family]:
            text += f"/{self.plen}"
        return text

    def __repr__(self) -> str:
        return repr(str(self))

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(str(self))
        return h

    def __getstate__(self) -> dict[str, object]:
        # str hashes differ from process to process: a pickled address leaves its hash
        return {name: getattr(self, name) for name in ("_text", "addr", "family", "plen", "raw")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self._hash = None
        for name, value in state.items():
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        if self.is_raw and not isinstance(other, Address):
            return self.raw == other
        if other is None:
            return False
        if not isinstance(other, Address):
            other = Address(str(other))
        if self.family != other.family:
            return False
        if self.family == socket.AF_UNSPEC:
            return self.raw == other.raw
        return self.addr == other.addr and self.plen == other.plen

    def __ne__(self, other: object) -> bool:
        return not self == other


def _prefix_mask(bits: int, plen: int) -> int:
    """The netmask of a ``plen``-bit prefix of a ``bits``-bit address."""
    full = (1 << bits) - 1
    return full ^ (full >> plen)


def _split_prefix(text: str) -> tuple[str, int]:
    """``[v6]`` → ``v6``; ``a/24`` or ``a/255.255.255.0`` → ``(a, 24)``."""
    if len(text) > 2 and text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    if "/" not in text:
        return text, CIDR_UNSPEC
    address, _, suffix = text.partition("/")
    if "/" in suffix:
        raise ValueError(f"invalid ipstr {text!r}, too many plen representation")
    if "." in suffix or ":" in suffix:
        return address, _mask_length(suffix)
    return address, int(suffix)


def _mask_length(mask: str) -> int:
    parsed = Address(mask)
    if parsed.family not in _FULL:
        raise ValueError(f"invalid mask {mask!r}, no plen representation")
    bits = _FULL[parsed.family]
    inverted = ~parsed.addr & ((1 << bits) - 1)
    if inverted & (inverted + 1):
        raise ValueError(f"invalid mask {mask!r}, no plen representation")
    return bits - inverted.bit_length()


def search_ip(text: str) -> str | None:
    """The text as an address literal, if it is one (fail2ban's quirk kept: a
    bare IPv6 literal is not recognised here and goes to DNS)."""
    found = _IP_TEXT.fullmatch(text)
    if found is None:
        return None
    v4 = found.group("v4")
    if v4 != "":
        return v4
    return found.group("v6")  # pragma: no cover - unreachable, as in fail2ban


class ExpiringCache:
    """A bounded dict whose entries expire after ``max_time`` seconds (FIFO
    eviction when full; expired entries go first)."""

    def __init__(
        self, max_count: int = 1000, max_time: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.max_count = max_count
        self.max_time = max_time
        self.clock = clock
        self._data: OrderedDict[object, tuple[object, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: object, default: object = None) -> object:
        entry = self._data.get(key)
        if entry:
            if entry[1] > self.clock():
                return entry[0]
            self._data.pop(key, None)
        return default

    def set(self, key: object, value: object) -> None:
        now = self.clock()
        data = self._data
        if len(data) >= self.max_count:
            while data:
                _, (_, expires) = data.popitem(last=False)
                if expires > now and len(data) < self.max_count:
                    break
        data[key] = (value, now + self.max_time)

    def unset(self, key: object) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()


Lookup = Callable[[str], Iterable[str]]


def _system_lookup(name: str) -> Iterable[str]:
    found: list[str] = []
    error: Exception | None = None
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            for info in socket.getaddrinfo(name, None, family, 0, socket.IPPROTO_TCP):
                if len(info) >= 5 and info[4]:
                    found.append(str(info[4][0]))
        except (OSError, UnicodeError) as e:
            error = e
    if not found and error is not None:
        log.warning("Unable to find a corresponding IP address for %s: %s", name, error)
    return found


class Resolver:
    """Host name → addresses for ``usedns`` (cached 5 minutes, 1000 names).

    ``lookup`` replaces the system resolver (tests, or a process that must
    not touch DNS).
    """

    def __init__(self, lookup: Lookup | None = None) -> None:
        self._lookup = lookup or _system_lookup
        self._cache = ExpiringCache(max_count=1000, max_time=300.0)

    def name_to_ips(self, name: str) -> list[Address]:
        cached = self._cache.get(name)
        if cached is not None:
            return list(cached)  # type: ignore[call-overload]
        result: list[Address] = []
        seen: set[str] = set()
        for text in self._lookup(name):
            family = FAM_IPV6 if ":" in text else FAM_IPV4
            ip = Address(text, family)
            if ip.family in _FULL and str(ip) not in seen:
                seen.add(str(ip))
                result.append(ip)
        self._cache.set(name, tuple(result))
        return result

    def text_to_ips(self, text: str, usedns: str) -> list[Address]:
        """The ids a captured host text stands for under ``usedns``."""
        plain = search_ip(text)
        if plain is not None:
            ip = Address(plain)
            if ip.family in _FULL:
                return [ip]
        if usedns in ("yes", "warn"):
            ips = self.name_to_ips(text)
            if ips and usedns == "warn":
                log.warning("Determined IP using DNS Lookup: %s = %s", text, [str(i) for i in ips])
            return ips
        return []


#: The process-wide resolver (shared cache).
DEFAULT_RESOLVER = Resolver()
