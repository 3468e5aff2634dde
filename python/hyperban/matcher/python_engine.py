"""The ``python`` engine: each pattern in turn with ``re``, as fail2ban does.

It is the semantic reference for the Rust engines and the baseline of the
benchmarks, so it mirrors their line handling exactly: lines end at ``\\n``,
one trailing ``\\r`` is dropped, invalid UTF-8 becomes U+FFFD.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hyperban._core import PatternError

Match = tuple[int, int, int, dict[str, str | None]]


class PythonPatternSet:
    """Sequential ``re.search`` over every line for every pattern."""

    engine = "python"

    def __init__(self, patterns: Sequence[tuple[int, str]], multiline: bool = False) -> None:
        flags = re.MULTILINE if multiline else 0
        self._compiled: list[tuple[int, re.Pattern[str]]] = []
        for pattern_id, source in patterns:
            try:
                self._compiled.append((pattern_id, re.compile(source, flags)))
            except re.error as e:
                where = f" at position {e.pos}" if e.pos is not None else ""
                raise PatternError(f"invalid regex {source!r}: {e.msg}{where}") from None

    def __len__(self) -> int:
        return len(self._compiled)

    def scan(self, data: bytes) -> tuple[list[Match], int, int]:
        matches: list[Match] = []
        offset = 0
        number = -1
        for number, raw in enumerate(_lines(data)):
            line = raw[:-1] if raw.endswith(b"\r") else raw
            text = line.decode("utf-8", "replace")
            for pattern_id, regex in self._compiled:
                found = regex.search(text)
                if found is not None:
                    matches.append((number, offset, pattern_id, found.groupdict()))
            offset += len(raw) + 1
        return matches, number + 1, 0

    def match_line(self, record: str) -> tuple[list[Match], int, int]:
        matches: list[Match] = []
        for pattern_id, regex in self._compiled:
            found = regex.search(record)
            if found is not None:
                matches.append((0, 0, pattern_id, found.groupdict()))
        return matches, 1, 0


def _lines(data: bytes) -> list[bytes]:
    """Split at ``\\n`` only (``bytes.splitlines`` also splits at ``\\r``,
    ``\\x0b`` and others, which log lines may contain)."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts
