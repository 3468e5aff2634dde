"""The single clock of the hyperban server.

Every part of the server reads "now" through a :class:`Clock` (by default the shared
:data:`clock`), never through :func:`time.time` directly.  The Rust core receives explicit
``now`` values taken from it.  Tests freeze and step the clock instead of sleeping::

    clk = Clock()
    clk.frozen(1000.0)       # time() is now 1000.0
    clk.step(30)             # ... and now 1030.0
    with clk.frozen(5.0):    # temporarily 5.0, restored afterwards
        ...
    clk.unfreeze()           # back to real time
"""

from __future__ import annotations

import datetime
import math
import threading
import time as _time
from types import TracebackType

__all__ = ["Clock", "FrozenClock", "clock", "seconds_text"]

_ISO = "%Y-%m-%d %H:%M:%S"
# fromtimestamp() rounds to the microsecond: a time this close to the next second may
# print as that second, so it is not served from the per-second cache
_ROUNDS_UP = 0.9999995
# (epoch second, its ISO text) of the last time2str call, swapped whole (thread-safe)
_last_second: tuple[int, str] = (0, datetime.datetime.fromtimestamp(0).strftime(_ISO))


class FrozenClock:
    """Returned by :meth:`Clock.frozen`; as a context manager it restores the previous state."""

    __slots__ = ("_clock", "_previous")

    def __init__(self, clock: Clock, previous: float | None) -> None:
        self._clock = clock
        self._previous = previous

    def __enter__(self) -> Clock:
        return self._clock

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._clock._set(self._previous)


class Clock:
    """Wall clock of the server; real time unless frozen (tests)."""

    __slots__ = ("_frozen", "_lock")

    def __init__(self, frozen_at: float | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen: float | None = None if frozen_at is None else float(frozen_at)

    # -- control (tests) ---------------------------------------------------------------

    def _set(self, value: float | None) -> None:
        with self._lock:
            self._frozen = value

    def frozen(self, t: float) -> FrozenClock:
        """Freeze the clock at ``t`` (seconds since the epoch).

        Takes effect immediately; usable as a context manager that restores the previous
        state (frozen value or real time) on exit.
        """
        with self._lock:
            previous = self._frozen
            self._frozen = float(t)
        return FrozenClock(self, previous)

    def step(self, dt: float) -> float:
        """Advance a frozen clock by ``dt`` seconds and return the new time."""
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("Clock.step() needs a frozen clock (call frozen(t) first)")
            self._frozen += float(dt)
            return self._frozen

    def unfreeze(self) -> None:
        """Return to real time."""
        self._set(None)

    @property
    def is_frozen(self) -> bool:
        return self._frozen is not None

    # -- reading ---------------------------------------------------------------------

    def time(self) -> float:
        """Seconds since the epoch (like :func:`time.time`)."""
        t = self._frozen
        return _time.time() if t is None else t

    __call__ = time

    def gmtime(self) -> _time.struct_time:
        return _time.gmtime(self.time())

    def localtime(self, t: float | None = None) -> _time.struct_time:
        return _time.localtime(self.time() if t is None else t)

    def now(self) -> datetime.datetime:
        """Naive local datetime of the current time (like :meth:`datetime.datetime.now`)."""
        return datetime.datetime.fromtimestamp(self.time())

    @staticmethod
    def time2str(t: float, fmt: str = _ISO) -> str:
        """Local date/time of ``t`` formatted with ``fmt`` (ISO 8601 without microseconds).

        The default format's text is cached for the last second asked for: every
        ``Found`` line prints its failure's time, and a log's failures share seconds.
        """
        global _last_second
        if fmt != _ISO:
            return datetime.datetime.fromtimestamp(t).strftime(fmt)
        second = math.floor(t)
        cached = _last_second
        if cached[0] == second and t - second < _ROUNDS_UP:
            return cached[1]
        text = datetime.datetime.fromtimestamp(t).strftime(fmt)
        if t - second < _ROUNDS_UP:
            _last_second = (second, text)
        return text


def seconds_text(seconds: float) -> str:
    """A duration as fail2ban's log lines print it (``MyTime.seconds2str``): at most three
    units, rounded to suit the size -- ``1y 3w 4d``, ``2d 7h 15m``, ``59m 50s``, ``59s``,
    ``0``."""
    s = seconds
    if s >= 365 * 86400:  # years, weeks and days, rounded to the day
        days = round(s / 86400)
        return _units((days // 365, "y"), ((days % 365) // 7, "w"), (days % 365 % 7, "d"))
    if s >= 7 * 86400:  # weeks, days and hours, rounded to the hour
        hours = round(s / 3600)
        return _units((hours // 168, "w"), ((hours % 168) // 24, "d"), (hours % 24, "h"))
    if s >= 86400:  # days, hours and minutes, rounded to the minute
        minutes = round(s / 60)
        return _units((minutes // 1440, "d"), ((minutes % 1440) // 60, "h"), (minutes % 60, "m"))
    if s >= 3595:  # hours and minutes, rounded to 10 s (59m 55s is 1h)
        tens = round(s / 10)
        return _units((tens // 360, "h"), ((tens % 360) // 6, "m"))
    # minutes and seconds, as given (a fractional time keeps its fraction, as there)
    parts = []
    if s >= 60:
        parts.append(f"{s // 60}m")
        s %= 60
    if s:
        parts.append(f"{s}s")
    return " ".join(parts) or "0"


def _units(*parts: tuple[int, str]) -> str:
    """``"2d 7h"`` from ``(2, "d"), (7, "h"), (0, "m")``: zero parts left out."""
    return " ".join(f"{n}{unit}" for n, unit in parts if n)


#: The clock shared by the whole server unless another one is injected.
clock = Clock()
