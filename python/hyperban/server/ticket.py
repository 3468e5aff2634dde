"""Tickets: one failure record or ban of an id (normally an IP address).

Same fields, method names and behaviour as fail2ban's tickets, so fail2ban Python actions
that receive tickets keep working:

* ``getID()``/``getIP()``, ``getTime()``, ``getMatches()``, ``getAttempt()`` (failures),
  ``getRetry()`` (retry count, possibly estimated by :meth:`FailTicket.adjustTime`);
* ``getBanTime(default)`` (``-1`` = permanent), ``getBanCount()``;
* ``restored``/``banned`` flags;
* data fields (``getData``/``setData``), e.g. ``F-USER`` values captured by a filter;
* ``getEndOfBanTime(default)`` and ``isTimedOut(now, default)``.

The id is kept as given (a ``str`` for addresses); hyperban does not wrap it in an
address object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .clock import clock

__all__ = ["BanTicket", "FailTicket", "Ticket"]

_SCALAR = (str, int, float, bool, complex, type(None))


def _without_none(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in items if v is not None}


class Ticket:
    """A record about one id: time, matched lines, failures and ban information."""

    __slots__ = (
        "_banCount",
        "_banEpoch",
        "_banTime",
        "_data",
        "_firstTime",
        "_flags",
        "_id",
        "_retry",
        "_time",
    )

    #: End of ban used for permanent bans (far future, as fail2ban).
    MAX_TIME = 0x7FFFFFFFFFFF

    RESTORED = 0x01
    BANNED = 0x08

    def __init__(
        self,
        ip: Any = None,
        time: float | None = None,
        matches: Sequence[Any] | None = None,
        data: dict[str, Any] | None = None,
        ticket: Ticket | None = None,
    ) -> None:
        self._id: Any = ip
        self._flags = 0
        self._banCount = 0
        self._banEpoch = 0
        self._banTime: int | float | None = None
        self._time: float = time if time is not None else clock.time()
        self._data: dict[str, Any] = {"matches": list(matches or []), "failures": 0}
        if data:
            self._data.update(_without_none(data.items()))
        self._retry: int = self._data["failures"]
        self._firstTime: float = self._time
        if ticket is not None:
            self.update(ticket)

    # -- generic ---------------------------------------------------------------------

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}: ip={self._id} time={self._time} bantime={self._banTime} "
            f"bancount={self._banCount} #attempts={self._data['failures']} "
            f"matches={self._data.get('matches', [])!r}"
        )

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ticket):
            return False
        return (
            self._id == other._id
            and round(self._time, 2) == round(other._time, 2)
            and self._data == other._data
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def update(self, ticket: Ticket) -> None:
        """Copy every field set in ``ticket`` into this ticket (data is copied, not shared)."""
        for name in Ticket.__slots__:
            value = getattr(ticket, name, None)
            if value is not None:
                if name == "_data":
                    value = dict(value)
                setattr(self, name, value)

    # -- id / time ------------------------------------------------------------------------

    def setID(self, value: Any) -> None:
        self._id = value

    def getID(self) -> Any:
        return self._id

    def getIP(self) -> Any:
        """The address: the ``ip`` data field if the filter captured one, else the id."""
        return self._data.get("ip", self._id)

    def setTime(self, value: float) -> None:
        self._time = value

    def getTime(self) -> float:
        return self._time

    # -- ban time / count -----------------------------------------------------------

    def setBanTime(self, value: int | float | None) -> None:
        self._banTime = value

    def getBanTime(self, defaultBT: int | float | None = None) -> int | float | None:
        return self._banTime if self._banTime is not None else defaultBT

    def setBanCount(self, value: int, always: bool = False) -> None:
        """Set the ban count; only increases it unless ``always``."""
        if always or value > self._banCount:
            self._banCount = value

    def incrBanCount(self, value: int = 1) -> None:
        self._banCount += value

    def getBanCount(self) -> int:
        return self._banCount

    def _effectiveBanTime(self, defaultBT: int | float | None) -> int | float:
        bantime = self._banTime if self._banTime is not None else defaultBT
        if bantime is None:
            raise ValueError(f"ticket {self._id!r} has no ban time and no default was given")
        return bantime

    def getEndOfBanTime(self, defaultBT: int | float | None = None) -> float:
        """Time at which the ban ends (:attr:`MAX_TIME` when permanent)."""
        bantime = self._effectiveBanTime(defaultBT)
        if bantime == -1:
            return Ticket.MAX_TIME
        return self._time + bantime

    def isTimedOut(self, time: float, defaultBT: int | float | None = None) -> bool:
        """True once ``time`` is strictly after the end of the ban; never if permanent."""
        bantime = self._effectiveBanTime(defaultBT)
        if bantime == -1:
            return False
        return time > self._time + bantime

    # -- failures / matches ---------------------------------------------------------

    def setAttempt(self, value: int) -> None:
        self._data["failures"] = value

    def getAttempt(self) -> int:
        return int(self._data["failures"])

    def setMatches(self, matches: Sequence[Any] | None) -> None:
        if matches:
            self._data["matches"] = list(matches)
        else:
            self._data.pop("matches", None)

    def getMatches(self) -> list[str]:
        """Matched lines; lines stored as tuples/lists of parts are joined."""
        return [
            "".join(line) if isinstance(line, (list, tuple)) else line
            for line in self._data.get("matches", ())
        ]

    # -- flags ----------------------------------------------------------------------

    @property
    def restored(self) -> bool:
        """Ticket restored from the database (ban re-applied after a restart)."""
        return bool(self._flags & Ticket.RESTORED)

    @restored.setter
    def restored(self, value: bool) -> None:
        if value:
            self._flags |= Ticket.RESTORED
        else:
            self._flags &= ~Ticket.RESTORED

    @property
    def banned(self) -> bool:
        return bool(self._flags & Ticket.BANNED)

    @banned.setter
    def banned(self, value: bool) -> None:
        if value:
            self._flags |= Ticket.BANNED
        else:
            self._flags &= ~Ticket.BANNED

    @property
    def banEpoch(self) -> int:
        return self._banEpoch

    @banEpoch.setter
    def banEpoch(self, value: int) -> None:
        self._banEpoch = value

    # -- data fields ----------------------------------------------------------------

    def setData(self, *args: Any, **kwargs: Any) -> None:
        """Set data fields; ``None`` values delete a field.

        * ``setData(mapping)`` replaces all data;
        * ``setData(key, value)`` / ``setData(k1, v1, k2, v2, ...)`` merge pairs;
        * keyword arguments are merged as well.
        """
        if len(args) == 1:
            self._data = _without_none(dict(args[0]).items())
        elif len(args) >= 2:
            if len(args) % 2:
                raise TypeError("setData() needs key/value pairs")
            self._data.update(zip(args[0::2], args[1::2], strict=True))
        if kwargs:
            self._data.update(kwargs)
        self._data = _without_none(self._data.items())

    def getData(
        self,
        key: str | Callable[[str], bool] | Iterable[str] | None = None,
        default: Any = None,
    ) -> Any:
        """All data (no key), one value, or a dict filtered by a predicate or by keys."""
        if key is None:
            return self._data
        if not self._data:
            return default
        if isinstance(key, str):
            return self._data.get(key, default)
        if callable(key):
            return {k: v for k, v in self._data.items() if key(k)}
        if isinstance(key, _SCALAR):  # other scalar keys (int, ...)
            data: dict[Any, Any] = self._data
            return data.get(key, default)
        keys = set(key)
        return {k: v for k, v in self._data.items() if k in keys}


class FailTicket(Ticket):
    """Failures of one id collected by the fail manager."""

    __slots__ = ()

    def __init__(
        self,
        ip: Any = None,
        time: float | None = None,
        matches: Sequence[Any] | None = None,
        data: dict[str, Any] | None = None,
        ticket: Ticket | None = None,
    ) -> None:
        super().__init__(ip, time, matches, data, ticket)
        if not isinstance(ticket, FailTicket):
            self._firstTime = time if time is not None else self._time
            self._retry = self._data.get("failures", 1)

    @classmethod
    def of_failure(
        cls, fid: Any, time: float, data: Mapping[str, Any], matches: list[str]
    ) -> FailTicket:
        """``FailTicket(fid, time, data={**data, "matches": matches})``, the same ticket
        without the generic constructor's work: one is made per failure found."""
        fields: dict[str, Any] = {"matches": matches, "failures": 0}
        for key, value in data.items():
            if value is not None and key != "matches":
                fields[key] = value
        ticket = cls.__new__(cls)
        ticket._id = fid
        ticket._flags = ticket._banCount = ticket._banEpoch = 0
        ticket._banTime = None
        ticket._time = ticket._firstTime = time
        ticket._data = fields
        ticket._retry = fields["failures"]
        return ticket

    def setRetry(self, value: int) -> None:
        """Set the retry count (may exceed the real failures, e.g. for known bad ids)."""
        self._retry = value
        if not self._data["failures"]:
            self._data["failures"] = 1
        if not value:
            self._data["failures"] = 0
            self._data["matches"] = []

    def getRetry(self) -> int:
        return self._retry

    def adjustTime(self, time: float, maxTime: float) -> None:
        """Move the last failure time to ``time``.

        When the first known failure is older than ``maxTime`` (findtime) the retry count is
        re-estimated from the failure rate over the window ``maxTime``.
        """
        if time > self._time:
            if self._firstTime < time - maxTime:
                self._retry = round(self._retry / float(time - self._firstTime) * maxTime)
                self._firstTime = time - maxTime
            self._time = time

    def inc(self, matches: Sequence[Any] | None = None, attempt: int = 1, count: int = 1) -> None:
        self._retry += count
        self._data["failures"] += attempt
        if matches:
            current = self._data.get("matches")
            self._data["matches"] = [*current, *matches] if current else list(matches)

    @staticmethod
    def wrap(o: Ticket) -> FailTicket:
        """Turn ``o`` itself into a :class:`FailTicket` (keeps identity)."""
        o.__class__ = FailTicket
        return o  # type: ignore[return-value]


class BanTicket(FailTicket):
    """A ban (held by the ban manager)."""

    __slots__ = ()

    @staticmethod
    def wrap(o: Ticket) -> BanTicket:
        """Turn ``o`` itself into a :class:`BanTicket` (keeps identity)."""
        o.__class__ = BanTicket
        return o  # type: ignore[return-value]
