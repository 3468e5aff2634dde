"""Multi-line buffers (``maxlines > 1``): which buffered lines a match used.

With ``maxlines = N`` fail2ban keeps the last N lines in a buffer and matches
each failregex (compiled with ``re.MULTILINE``) against the buffer joined by
``"\\n"``.  A match *uses* the lines its span touches, except those captured
by ``<SKIPLINES>``; the other lines stay in the buffer for later matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hyperban.filter.regex import TupleLine

__all__ = ["RegexMatch", "skipped_lines", "split_match"]


@dataclass(slots=True)
class RegexMatch:
    """A regex that matched a buffer: its (post-processed) groups and the
    buffered lines it used / left."""

    groups: dict[str, object]
    matched: list[TupleLine]
    unmatched: list[TupleLine]


def skipped_lines(found: re.Match[str]) -> list[str]:
    """The lines captured by the ``skiplines0``, ``skiplines1``, … groups."""
    text = ""
    index = 0
    names = found.re.groupindex
    while f"skiplines{index}" in names:
        value = found.group(f"skiplines{index}")
        if value is not None:
            text += value
        index += 1
    return text.splitlines(False)


def split_match(
    found: re.Match[str], lines: list[TupleLine]
) -> tuple[list[TupleLine], list[TupleLine]]:
    """``(matched, unmatched)`` lines of ``lines`` for a match in their
    joined text."""
    if len(lines) <= 1:
        return list(lines), []
    text = found.string
    first = text.rfind("\n", 0, found.start() + 1) + 1
    try:
        last = text.index("\n", found.end() - 1) + 1
    except ValueError:
        last = len(text)
    first_line = text.count("\n", 0, first)
    last_line = text.count("\n", 0, last)
    matched = lines[first_line:last_line]
    unmatched = lines[:first_line]
    position = 0
    for skipped in skipped_lines(found):
        for offset, line in enumerate(matched[position:]):
            if line[0] + line[2] == skipped:
                unmatched.append(matched.pop(position + offset))
                position += offset
                break
    unmatched.extend(lines[last_line:])
    return matched, unmatched
