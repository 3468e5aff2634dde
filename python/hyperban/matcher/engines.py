"""The engine registry and the common matcher protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hyperban._core import PatternError, PatternSet
from hyperban.matcher.python_engine import PythonPatternSet

ENGINES = ("hyperscan", "regex", "python")

#: ``(line_number, byte_offset, pattern_id, {group: value or None})``
Match = tuple[int, int, int, dict[str, str | None]]
#: ``(matches, lines, limit_hits)``; the Rust engines return their matches as
#: a lazy :class:`hyperban._core.Matches` sequence, the python engine a list.
ScanResult = tuple[Sequence[Match], int, int]


class Matcher(Protocol):
    """What every engine provides."""

    @property
    def engine(self) -> str: ...

    def scan(self, data: bytes) -> ScanResult: ...

    def match_line(self, record: str) -> ScanResult: ...

    def __len__(self) -> int: ...


def compile_patterns(
    patterns: Sequence[tuple[int, str]],
    engine: str = "hyperscan",
    multiline: bool = False,
) -> Matcher:
    """Compile ``(id, python_regex)`` pairs for ``engine``.

    Raises :class:`PatternError` (a ``ValueError``) naming the pattern and the
    position when a pattern is invalid, and ``ValueError`` for an unknown
    engine.
    """
    if engine == "python":
        return PythonPatternSet(patterns, multiline=multiline)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    return PatternSet(list(patterns), engine=engine, multiline=multiline)


__all__ = ["ENGINES", "Match", "Matcher", "PatternError", "ScanResult", "compile_patterns"]
