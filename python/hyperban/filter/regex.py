"""A fail2ban-style compiled regex: tags expanded, groups post-processed.

:class:`Regex` is a prefregex or ignoreregex, :class:`FailRegex` a failregex
(which must be able to name a failure: it, or the filter's prefregex, has one
of the groups ``fid``, ``ip4``, ``ip6``, ``dns`` or ``mlfid``).

Group post-processing (:meth:`Regex.groups`):

* ``alt_NAME`` / ``alt_NAME_N`` groups fill ``NAME`` when that is empty
  (e.g. ``<F-ALT_USER>`` supplies ``user``);
* ``tuple_NAME`` / ``tuple_NAME_N`` groups are appended to ``NAME``, which
  becomes a tuple.

Every regex is matched against the text of its buffer followed by ``"\\n"``
(see :func:`buffer_text`), exactly like fail2ban does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hyperban.filter.tags import expand_tags, group_name, localize_global_flags

__all__ = [
    "FAILURE_ID_PRESENT",
    "FailRegex",
    "Regex",
    "RegexError",
    "TupleLine",
    "buffer_text",
]

#: ``(text before the date, date text, text after the date)``.
TupleLine = tuple[str, str, str]

#: A failregex must produce one of these (itself or through the prefregex).
FAILURE_ID_PRESENT = ("fid", "ip4", "ip6", "dns", "mlfid")

_COMPLEX_NAME = re.compile(r"(alt_|tuple_)(.*?)(?:_\d+)?")


class RegexError(ValueError):
    """A regex that cannot be used (empty, invalid, or without failure id)."""


def buffer_text(lines: Sequence[TupleLine]) -> str:
    """The text a regex sees: each line without its date, joined, plus ``\\n``."""
    return "\n".join(before + after for before, _, after in lines) + "\n"


class Regex:
    """One tagged regex compiled with Python's ``re``.

    ``expanded`` is the tag-free Python pattern (what the matcher engines
    compile); ``compiled`` is used where spans are needed (multi-line buffers)
    and by the ``python`` engine.
    """

    __slots__ = ("_alt", "_tuple", "compiled", "expanded", "multiline", "source")

    def __init__(self, source: str, *, usedns: str = "yes", multiline: bool = False) -> None:
        self.source = source
        expanded = expand_tags(source, usedns)
        if expanded.strip() == "":
            raise RegexError("Cannot add empty regex")
        expanded = localize_global_flags(expanded)
        try:
            self.compiled = re.compile(expanded, re.MULTILINE if multiline else 0)
        except re.error as e:
            raise RegexError(f"Unable to compile regular expression {expanded!r}:\n{e}") from None
        self.expanded = expanded
        self.multiline = multiline
        alt: list[tuple[str, str]] = []
        tup: list[tuple[str, str]] = []
        for name in self.compiled.groupindex:
            if len(name) <= len("alt_"):
                continue
            found = _COMPLEX_NAME.fullmatch(name)
            if found is None:
                continue
            target = group_name(found.group(2))
            (alt if found.group(1) == "alt_" else tup).append((name, target))
        self._alt = sorted(alt) or None
        self._tuple = sorted(tup) or None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expanded!r})"

    @property
    def group_names(self) -> frozenset[str]:
        return frozenset(self.compiled.groupindex)

    @property
    def skiplines(self) -> int:
        """How many ``<SKIPLINES>`` groups the regex has."""
        count = 0
        while f"skiplines{count}" in self.compiled.groupindex:
            count += 1
        return count

    def groups(self, raw: dict[str, str | None]) -> dict[str, object]:
        """Post-process a match's group dict (``alt_``/``tuple_`` groups); may
        modify and returns ``raw``."""
        fail: dict[str, object] = raw  # type: ignore[assignment]
        if self._alt:
            for name, target in self._alt:
                value = fail.get(name)
                if value and not fail.get(target):
                    fail[target] = value
        if self._tuple:
            for name, target in self._tuple:
                value = fail.get(name)
                current = fail.get(target)
                if isinstance(current, tuple):
                    current = (*current, value)
                else:
                    current = (current, value)
                fail[target] = current
        return fail


class FailRegex(Regex):
    """A failregex; ``prefregex`` is the filter's (for the failure-id check)."""

    __slots__ = ()

    def __init__(
        self,
        source: str,
        *,
        prefregex: Regex | None = None,
        usedns: str = "yes",
        multiline: bool = False,
    ) -> None:
        super().__init__(source, usedns=usedns, multiline=multiline)
        names = self.compiled.groupindex
        if not any(g in names for g in FAILURE_ID_PRESENT) and (
            prefregex is None
            or not any(g in prefregex.compiled.groupindex for g in FAILURE_ID_PRESENT)
        ):
            raise RegexError(f"No failure-id group in '{self.expanded}'")
