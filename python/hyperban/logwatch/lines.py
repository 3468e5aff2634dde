"""Line framing of raw log bytes for one ``logencoding``.

The tailer must know byte offsets of line ends (positions are stored in the database
as byte offsets), so it cuts lines on the *raw* bytes and only then converts whole
lines to UTF-8.  :func:`hyperban.filter.source.read_chunks` cannot be used for that: it
hides the raw offsets of transcoded input.

For ASCII-compatible encodings (UTF-8, Latin-*, Shift-JIS, GB18030, ...) a line ends at
the byte ``\\n``, which never occurs inside a multi-byte character.  UTF-16/32 end a
line with a wider code unit (``\\n\\0`` in UTF-16-LE), which only counts at an offset
aligned to the unit size.  A BOM keeps that alignment (it is one unit long).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ..filter.source import is_utf8, normalize_encoding

__all__ = ["LineFormat"]


@dataclass(frozen=True)
class LineFormat:
    """How lines end in raw bytes of ``encoding``, and how to make them UTF-8."""

    encoding: str
    newline: bytes
    unit: int
    passthrough: bool

    @classmethod
    def for_encoding(cls, encoding: str | None = "utf-8") -> LineFormat:
        """``auto``/``None`` = the locale's encoding; raises ``LookupError`` if unknown."""
        enc = normalize_encoding(encoding)
        one = "\n".encode(enc)
        two = "\n\n".encode(enc)
        unit = len(two) - len(one)  # the difference drops a BOM the codec may prepend
        newline = two[-unit:]
        return cls(enc, newline, unit, is_utf8(enc))

    @property
    def key(self) -> tuple[bytes, int]:
        """Formats with the same key cut a file into the same lines (may share a tail)."""
        return (self.newline, self.unit)

    # -- finding line ends -----------------------------------------------------------

    def find(self, data: bytes, start: int = 0) -> int:
        """Offset of the first newline at or after ``start`` (aligned), or -1."""
        nl, unit = self.newline, self.unit
        if unit == 1:
            return data.find(nl, start)
        start += -start % unit
        while True:
            i = data.find(nl, start)
            if i < 0 or i % unit == 0:
                return i
            start = i + unit - i % unit

    def whole_lines_end(self, data: bytes) -> int:
        """Length of the longest prefix of ``data`` made of whole lines (0 if none)."""
        nl, unit = self.newline, self.unit
        if unit == 1:
            return data.rfind(nl) + 1
        end = len(data)
        while True:
            i = data.rfind(nl, 0, end)
            if i < 0:
                return 0
            if i % unit == 0:
                return i + unit
            end = i + unit - 1  # retry left of this misaligned hit

    def first_line_start_at_or_after(self, data: bytes, rel: int) -> int:
        """Offset of the first line of ``data`` that starts at or after ``rel``.

        ``data`` starts at a line start.  Used to skip, for a subscriber that starts
        mid-file, the lines it must not see (a line cut by its start is skipped whole).
        """
        if rel <= 0:
            return 0
        if rel >= len(data):
            return len(data)
        n = len(self.newline)
        if data[rel - n : rel] == self.newline and (rel - n) % self.unit == 0:
            return rel
        i = self.find(data, rel)
        return len(data) if i < 0 else i + n

    # -- conversion ------------------------------------------------------------------

    def to_utf8(self, lines: bytes) -> bytes:
        """Whole lines as UTF-8 (invalid input replaced, as fail2ban does).

        Each chunk is decoded on its own: chunks are cut at line ends, and log lines do
        not carry decoder state across lines in practice.
        """
        if self.passthrough or not lines:
            return lines
        return codecs.decode(lines, self.encoding, "replace").encode("utf-8", "surrogatepass")
