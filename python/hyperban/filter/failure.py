"""What the filter reports: one :class:`Failure` per failure found, one
:class:`LineResult` per processed line."""

from __future__ import annotations

from dataclasses import dataclass, field

from hyperban.filter.dns import Address
from hyperban.filter.regex import TupleLine

__all__ = ["Failure", "LineResult", "fields_for_output"]

# Keys of the failure data that are bookkeeping, not captured fields.
_INTERNAL = frozenset({"matches", "nofail-matches", "mlfpending"})


@dataclass(slots=True)
class Failure:
    """A failure found by failregex number ``regex`` (0-based).

    ``fid`` is the failure id (an :class:`Address`, raw or parsed) or ``None``
    for a pending multi-line failure that has no id yet; ``time`` the epoch
    seconds of the log line (``None`` when the line has no usable date);
    ``data`` fail2ban's failure dict: the regex groups (post-processed), plus
    ``matches`` (the matched lines as ``(before, date, after)`` tuples),
    ``ip`` when the id is not the address, ``users`` for multi-line failures,
    ``nofail``/``mlfforget``/… flags.
    """

    regex: int
    fid: Address | None
    time: float | None
    data: dict[str, object]

    @property
    def nofail(self) -> bool:
        """True for a match that is not a failure (``<F-NOFAIL>``, gained
        multi-line session, …): counted as *ignored* by ``regex``."""
        return bool(self.data.get("nofail"))

    @property
    def id(self) -> str | None:
        return None if self.fid is None else str(self.fid)

    @property
    def ip(self) -> str | None:
        value = self.data.get("ip", self.fid)
        return None if value is None else str(value)

    @property
    def matches(self) -> list[str]:
        return [
            m if isinstance(m, str) else "".join(m)  # type: ignore[arg-type]
            for m in self.data.get("matches", ())  # type: ignore[union-attr]
        ]

    def fields(self) -> dict[str, object]:
        return fields_for_output(self.data)


def fields_for_output(data: dict[str, object]) -> dict[str, object]:
    """The failure data as JSON-friendly values (no ``None``, no bookkeeping)."""
    # (one pass in key order; most values are strings, taken as they are)
    return {
        key: value if type(value) is str else _output_value(value)
        for key, value in data.items()
        if value is not None and key not in _INTERNAL
    }


def _output_value(value: object) -> object:
    if isinstance(value, Address):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if isinstance(value, tuple):
        return [None if v is None else str(v) for v in value]
    return value


@dataclass(slots=True)
class LineResult:
    """The outcome of one processed line.

    ``number`` is the 0-based line number in the input; ``failures`` every
    failure found (with ``check_all``, one per matching failregex, ``nofail``
    ones included); ``ignored_by`` the ignoreregex numbers that matched;
    ``prefregex_matched`` whether the prefregex matched; ``date_text`` the
    removed date; ``skipped_lines`` for multi-line buffers, the earlier
    buffered lines that became part of this match (fail2ban-regex moves them
    from *missed* to *matched*).
    """

    number: int
    line: str
    failures: list[Failure] = field(default_factory=list)
    ignored_by: list[int] = field(default_factory=list)
    prefregex_matched: bool = False
    tuple_line: TupleLine | None = None
    absorbed: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def is_ignored(self) -> bool:
        return bool(self.ignored_by) or any(f.nofail for f in self.failures)

    @property
    def found(self) -> list[Failure]:
        """The failures proper (``nofail`` matches left out)."""
        return [f for f in self.failures if not f.nofail]

    @property
    def status(self) -> str:
        """``"ignored"``, ``"matched"`` or ``"missed"`` as fail2ban-regex counts it."""
        if self.is_ignored:
            return "ignored"
        if self.found:
            return "matched"
        return "missed"
