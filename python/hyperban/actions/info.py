"""``aInfo``: what an action learns about one ban, computed only when asked for.

A command action substitutes only the tags its templates name, and a mail action may
want ``ipmatches`` (a database query): :class:`ActionInfo` computes each value the first
time it is read and keeps it.  Keys (fail2ban's names):

``ip``, ``family`` (``inet4``/``inet6``, None for ids that are no address), ``ip-rev``
(reversed address for DNS lists, e.g. ``4.3.2.1.``), ``ip-host`` (reverse DNS name, or
None), ``fid``, ``failures``, ``time``, ``bantime``, ``bancount``, ``matches`` (lines
joined by newlines), ``restored`` (1/0), ``ipmatches``/``ipfailures`` (merged over all
jails from the database), ``ipjailmatches``/``ipjailfailures`` (this jail only),
``raw-ticket``, ``F-*`` (the ticket's data dict) and one ``F-NAME`` key per data field
the filter captured (``F-USER`` for ``user``; ``F-ID``/``F-PORT`` for ``fid``/``fport``).

Like fail2ban's ``CallingMap`` it is mutable (stock ``smtp.py`` calls ``aInfo.update``),
but writes go to an overlay that :meth:`CallingMap.reset` drops, so one ``ActionInfo``
can be handed to each action of a jail in turn.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

from ..server.ticket import BanTicket, Ticket

if TYPE_CHECKING:
    from ..server.database import Database

__all__ = ["ActionInfo", "CallingMap", "JailInfo", "data_key_of_tag", "family_of"]

log = logging.getLogger(__name__)

# fail2ban maps these capture names (<F-ID>, <F-PORT>) to other data keys.
_TAG_ALIASES = {"id": "fid", "port": "fport"}
_KEY_ALIASES = {v: k for k, v in _TAG_ALIASES.items()}
# Data fields that have their own keys rather than an F-* one.
_NOT_CAPTURES = frozenset({"matches", "failures"})
# Ban time used when neither the ticket nor the jail has one (fail2ban's default).
DEFAULT_BANTIME = 600


class JailInfo(Protocol):
    """What :class:`ActionInfo` (and command actions) need from a jail.

    ``name`` names the jail; ``database`` (may be None) answers ``ipmatches`` & co.  An
    optional ``bantime`` attribute (seconds) is the ban time of tickets without their own.
    """

    name: str
    database: Database | None


def data_key_of_tag(tag: str) -> str:
    """Ticket data key of a capture tag name: ``USER`` -> ``user``, ``ID`` -> ``fid``."""
    key = tag.lower()
    return _TAG_ALIASES.get(key, key)


def family_of(ip: Any) -> str | None:
    """``inet4``/``inet6`` for an address, None for any other id."""
    try:
        addr = ipaddress.ip_address(str(ip))
    except ValueError:
        try:  # a network (CIDR) ban
            addr = ipaddress.ip_network(str(ip), strict=False).network_address
        except ValueError:
            return None
    return "inet4" if addr.version == 4 else "inet6"


class CallingMap(MutableMapping[str, Any]):
    """A dict whose callable values are called (with no argument) when read, once.

    Writes and deletions go to an overlay that :meth:`reset` drops.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._base: dict[str, Any] = dict(*args, **kwargs)
        self._computed: dict[str, Any] = {}
        self._overlay: dict[str, Any] = {}
        self._deleted: set[str] = set()

    def reset(self) -> None:
        """Forget what callers wrote or deleted (computed values stay)."""
        self._overlay.clear()
        self._deleted.clear()

    def __getitem__(self, key: str) -> Any:
        if key in self._overlay:
            return self._overlay[key]
        if key in self._deleted:
            raise KeyError(key)
        if key in self._computed:
            return self._computed[key]
        value = self._base[key]
        if callable(value):
            value = value()
            self._computed[key] = value
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._deleted.discard(key)
        self._overlay[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._overlay.pop(key, None)
        self._deleted.add(key)

    def __contains__(self, key: object) -> bool:
        # Without computing the value.
        if key in self._overlay:
            return True
        return key in self._base and key not in self._deleted

    def __iter__(self) -> Iterator[str]:
        for key in self._base:
            if key not in self._deleted and key not in self._overlay:
                yield key
        yield from self._overlay

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> CallingMap:
        return CallingMap({k: self[k] for k in self})

    def __repr__(self) -> str:
        shown = {k: v for k, v in {**self._base, **self._computed}.items() if not callable(v)}
        return f"{type(self).__name__}({shown!r})"


class ActionInfo(CallingMap):
    """``aInfo`` of one ticket in one jail (see the module documentation).

    ``ticket`` None stands for "no ban" (start/stop commands): an empty id at the
    current time.  ``overrides`` replaces computed values (e.g. ``family`` for the
    start of one address family).
    """

    def __init__(
        self,
        ticket: Ticket | None,
        jail: JailInfo | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.ticket = ticket if ticket is not None else BanTicket("")
        self.jail = jail
        self._merged: dict[bool, Ticket] = {}
        entries: dict[str, Callable[[], Any]] = {
            "ip": self.ticket.getIP,
            "family": lambda: family_of(self["ip"]),
            "ip-rev": self._ip_rev,
            "ip-host": self._ip_host,
            "fid": self.ticket.getID,
            "failures": self.ticket.getAttempt,
            "time": self.ticket.getTime,
            "bantime": self._bantime,
            "bancount": self.ticket.getBanCount,
            "matches": lambda: "\n".join(self.ticket.getMatches()),
            "restored": lambda: 1 if self.ticket.restored else 0,
            "F-*": lambda: self.ticket.getData(),
            "ipmatches": lambda: "\n".join(self._merged_ticket(True).getMatches()),
            "ipjailmatches": lambda: "\n".join(self._merged_ticket(False).getMatches()),
            "ipfailures": lambda: self._merged_ticket(True).getAttempt(),
            "ipjailfailures": lambda: self._merged_ticket(False).getAttempt(),
            "raw-ticket": lambda: repr(self.ticket),
        }
        data = self.ticket.getData()
        if isinstance(data, dict):
            for key in data:
                if isinstance(key, str) and key not in _NOT_CAPTURES:
                    tag = "F-" + _KEY_ALIASES.get(key, key).upper()
                    entries[tag] = lambda key=key: self.ticket.getData(key)
        super().__init__(entries)
        if overrides:
            self._computed.update(overrides)
            for key in overrides:
                self._base.setdefault(key, None)

    # -- computed values --------------------------------------------------------------

    def _bantime(self) -> int:
        bantime = self.ticket.getBanTime()
        if bantime is None:
            bantime = getattr(self.jail, "bantime", None)
        return int(bantime if bantime is not None else DEFAULT_BANTIME)

    def _ip_rev(self) -> str:
        try:
            addr = ipaddress.ip_address(str(self["ip"]))
        except ValueError:
            return ""
        # "4.3.2.1.in-addr.arpa" -> "4.3.2.1." as fail2ban's getPTR('').
        return addr.reverse_pointer.rsplit(".", 2)[0] + "."

    def _ip_host(self) -> str | None:
        try:
            return socket.gethostbyaddr(str(self["ip"]))[0]
        except (OSError, UnicodeError, ValueError):
            return None

    def _merged_ticket(self, overalljails: bool) -> Ticket:
        """Bans of this address from the database merged into one ticket (fail2ban's
        ``getBansMerged``); the ticket itself when there is no database or no row."""
        if overalljails in self._merged:
            return self._merged[overalljails]
        merged: Ticket = self.ticket
        database = getattr(self.jail, "database", None)
        if database is not None:
            try:
                jail_name = None if overalljails else getattr(self.jail, "name", None)
                bans = database.getBans(jail=jail_name, ip=self["ip"])
                if bans:
                    merged = _merge(bans, getattr(database, "maxMatches", 0) or 0)
            except Exception as exc:  # a failed lookup must not stop the ban itself
                log.error("Failed to merge the bans of %s from the database: %s", self["ip"], exc)
        self._merged[overalljails] = merged
        return merged


def _merge(bans: list[Any], max_matches: int) -> Ticket:
    """One ticket from ban rows of one address, newest first, as fail2ban merges them:
    matches oldest first (at most ``max_matches``, the newest kept), failures summed,
    other data fields and the time from the oldest row."""
    matches: list[Any] = []
    failures = 0
    data: dict[str, Any] = {}
    for ban in bans:  # newest first
        row_matches = list(ban.getData("matches") or [])
        room = max_matches - len(matches)
        if room > 0:
            matches = row_matches[-room:] + matches
        failures += ban.getData("failures", 1) or 0
        data.update(ban.getData())
    data["matches"] = matches
    data["failures"] = failures
    oldest = bans[-1]
    return BanTicket(oldest.getID(), oldest.getTime(), data=data)
