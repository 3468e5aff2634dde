"""Candidate patterns: what the one-pass chunk scan looks for.

fail2ban does not match a failregex against the raw log line.  It first cuts
the date out of the line (``"a" + DATE + "b"`` becomes ``"ab"``), appends a
``"\\n"``, applies the prefregex and matches the failregex against the
prefregex's ``<F-CONTENT>`` only.  The chunk scan runs over raw lines, so each
filter regex is turned into a *candidate pattern* that matches (at least)
every raw line on which the real two-step check can succeed; the exact check
then runs on those candidate lines only.

The candidate of a failregex ``F`` under a prefregex ``A(?P<content>B)Z``
is ``relax(A) .*? relax(F)`` (``relax(A)`` is left out when it can match
nothing, ``A`` and ``F`` keep their own flags), and ``relax`` makes a pattern
strictly more permissive:

* every zero-width assertion (``^ $ \\A \\Z \\b \\B``, look-ahead and
  look-behind) is dropped — the date cut moves line starts and ends, and the
  content may start in the middle of the line — but for a failregex's final
  ``$``, which stays as the line's end where the text the failregex reads
  ends with the line (see :func:`candidate_pattern`);
* every atom that can match ``"\\n"`` gets a minimum repeat count of 0
  (``\\s+`` → ``\\s*``, ``\\s`` → ``\\s?``), since fail2ban's text ends with
  the ``"\\n"`` the scanned lines do not have;
* ``\\[\\]`` (the spot a date in brackets was cut from) becomes
  ``\\[[^\\]]*\\]``;
* when the filter's dates are not anchored at the line start (no
  ``datepattern``, or one without ``{^LN-BEG}``), a gap ``[^\\n]*?`` is
  allowed between any two adjacent punctuation characters, where a date
  may have been cut out (``audit(DATE:1)`` → ``audit(:1)``);
* capture groups that nothing refers back to become non-capturing, so the
  scan reports no groups.

Known limit (see the README): a match that exists only because the date was
cut out of the middle of the text at a place other than between two
punctuation characters (e.g. between a word and ``\\s+``) is not a candidate
and is missed on the fast path.  Every filter of the fail2ban corpus is checked for this by the test
suite, which compares the fast path with the exact per-line path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

try:  # Python >= 3.11
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

__all__ = ["candidate_pattern", "relaxed_pattern", "unparse"]

Node = tuple[Any, Any]
Seq = list[Node]

_FLAG_LETTERS = ((C.SRE_FLAG_IGNORECASE, "i"), (C.SRE_FLAG_DOTALL, "s"), (C.SRE_FLAG_ASCII, "a"))
_ATOMS = (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN)
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT) + (
    (C.POSSESSIVE_REPEAT,) if hasattr(C, "POSSESSIVE_REPEAT") else ()
)
_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ !\"%',/:;<=>@`~&#"
)
_CATEGORIES = {
    C.CATEGORY_DIGIT: r"\d",
    C.CATEGORY_NOT_DIGIT: r"\D",
    C.CATEGORY_SPACE: r"\s",
    C.CATEGORY_NOT_SPACE: r"\S",
    C.CATEGORY_WORD: r"\w",
    C.CATEGORY_NOT_WORD: r"\W",
}
_ATS = {
    C.AT_BEGINNING: "^",
    C.AT_BEGINNING_STRING: r"\A",
    C.AT_END: "$",
    C.AT_END_STRING: r"\Z",
    C.AT_BOUNDARY: r"\b",
    C.AT_NON_BOUNDARY: r"\B",
}


def _char(code: int, in_class: bool = False) -> str:
    ch = chr(code)
    if ch in _SAFE and not (in_class and ch in "^-"):
        return ch
    if code < 0x80 and ch.isprintable():
        return "\\" + ch
    if code < 0x80:
        return f"\\x{code:02x}"
    if ch.isprintable() and not ch.isspace():
        return ch
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _flags_prefix(flags: int) -> str:
    return "".join(letter for bit, letter in _FLAG_LETTERS if flags & bit)


class _Printer:
    """Turns a parsed pattern back into Python ``re`` syntax."""

    def __init__(self, keep_groups: bool, names: dict[int, str]) -> None:
        self.keep_groups = keep_groups
        self.names = names  # group number -> name used in output

    def group_ref(self, number: int) -> str:
        return self.names.get(number, str(number))

    def seq(self, items: Iterable[Node]) -> str:
        return "".join(self.node(op, av) for op, av in items)

    def atom_text(self, items: Seq) -> str:
        """Print ``items`` so that a quantifier may follow."""
        text = self.seq(items)
        if len(items) == 1 and items[0][0] not in _REPEATS and items[0][0] != C.AT:
            return text
        return f"(?:{text})"

    def node(self, op: Any, av: Any) -> str:
        if op == C.LITERAL:
            return _char(av)
        if op == C.NOT_LITERAL:
            return f"[^{_char(av, True)}]"
        if op == C.ANY:
            return "."
        if op == C.IN:
            return self.char_class(av)
        if op == C.AT:
            return _ATS[av]
        if op == C.BRANCH:
            return "(?:" + "|".join(self.seq(alt) for alt in av[1]) + ")"
        if op == C.SUBPATTERN:
            group, add_flags, del_flags, items = av
            body = self.seq(items)
            flags = _flags_prefix(add_flags)
            if del_flags:
                flags += "-" + _flags_prefix(del_flags)
            if group is not None and (self.keep_groups or group in self.names):
                name = self.names.get(group)
                inner = f"(?P<{name}>{body})" if name else f"({body})"
                return f"(?{flags}:{inner})" if flags else inner
            return f"(?{flags}:{body})"
        if op in _REPEATS:
            low, high, items = av
            if high == C.MAXREPEAT:
                quant = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
            elif low == 0 and high == 1:
                quant = "?"
            elif low == high:
                quant = f"{{{low}}}"
            else:
                quant = f"{{{low},{high}}}"
            if op == C.MIN_REPEAT:
                quant += "?"
            elif op != C.MAX_REPEAT:
                quant += "+"
            return self.atom_text(items) + quant
        if op == C.GROUPREF:
            name = self.names.get(av)
            return f"(?P={name})" if name else f"(?:\\{av})"
        if op == C.GROUPREF_EXISTS:
            group, yes, no = av
            text = f"(?({self.group_ref(group)}){self.seq(yes)}"
            if no is not None:
                text += "|" + self.seq(no)
            return text + ")"
        if op == C.ASSERT:
            return ("(?=" if av[0] == 1 else "(?<=") + self.seq(av[1]) + ")"
        if op == C.ASSERT_NOT:
            return ("(?!" if av[0] == 1 else "(?<!") + self.seq(av[1]) + ")"
        if op == getattr(C, "ATOMIC_GROUP", None):
            return "(?>" + self.seq(av) + ")"
        raise ValueError(f"cannot print regex node {op}")

    def char_class(self, items: Seq) -> str:
        if len(items) == 1 and items[0][0] == C.CATEGORY:
            return _CATEGORIES[items[0][1]]
        out = ["["]
        for op, av in items:
            if op == C.NEGATE:
                out.append("^")
            elif op == C.LITERAL:
                out.append(_char(av, True))
            elif op == C.RANGE:
                out.append(f"{_char(av[0], True)}-{_char(av[1], True)}")
            elif op == C.CATEGORY:
                out.append(_CATEGORIES[av])
            else:
                raise ValueError(f"cannot print class item {op}")
        out.append("]")
        return "".join(out)


def unparse(pattern: str, flags: int = 0) -> str:
    """Parse and print ``pattern`` again (round trip; for tests)."""
    parsed = P.parse(pattern, flags)
    names = {number: name for name, number in parsed.state.groupdict.items()}
    body = _Printer(True, names).seq(list(parsed))
    local = _flags_prefix(parsed.state.flags)
    return f"(?{local}:{body})" if local else body


def _is_punctuation(node: Node) -> bool:
    if node[0] != C.LITERAL:
        return False
    ch = chr(node[1])
    return not (ch.isalnum() or ch == "_")


def _junction(left: Node, right: Node) -> bool:
    """Could a date have been cut out between these two literals?  Dates sit
    between spaces or inside brackets: ``- DATE WARN``, ``audit(DATE:1)``."""
    if not (_is_punctuation(left) and _is_punctuation(right)):
        return False
    a, b = chr(left[1]), chr(right[1])
    return a.isspace() or b.isspace() or a in "([{<" or b in ")]}>"


def _has_unbounded_repeat(items: Seq) -> bool:
    for op, av in items:
        if op in _REPEATS:
            if av[1] == C.MAXREPEAT or _has_unbounded_repeat(av[2]):
                return True
        elif op == C.BRANCH:
            if any(_has_unbounded_repeat(alt) for alt in av[1]):
                return True
        elif op == C.SUBPATTERN:
            if _has_unbounded_repeat(av[3]):
                return True
        elif op == getattr(C, "ATOMIC_GROUP", None) and _has_unbounded_repeat(av):
            return True
    return False


# Any text on the line, lazily: the superset of whatever it replaces.
_ANY_TEXT: Node = (C.MIN_REPEAT, (0, C.MAXREPEAT, [(C.NOT_LITERAL, 10)]))


class _Relaxer:
    def __init__(self, flags: int, junctions: bool = False) -> None:
        self.flags = flags
        self.junctions = junctions
        self.referenced: set[int] = set()
        self._nl_cache: dict[str, bool] = {}

    def atom_matches_newline(self, node: Node, flags: int) -> bool:
        text = _Printer(False, {}).node(*node)
        key = f"{flags}:{text}"
        known = self._nl_cache.get(key)
        if known is None:
            known = re.fullmatch(text, "\n", flags & ~C.SRE_FLAG_VERBOSE) is not None
            self._nl_cache[key] = known
        return known

    def seq(self, items: Iterable[Node], flags: int) -> Seq:
        out: Seq = []
        items = list(items)
        i = 0
        while i < len(items):
            op, av = items[i]
            # "\[\]": a date in brackets was cut out here.
            if (
                op == C.LITERAL
                and av == ord("[")
                and i + 1 < len(items)
                and items[i + 1] == (C.LITERAL, ord("]"))
            ):
                out.append((C.LITERAL, ord("[")))
                out.append(
                    (
                        C.MAX_REPEAT,
                        (0, C.MAXREPEAT, [(C.IN, [(C.NEGATE, None), (C.LITERAL, ord("]"))])]),
                    )
                )
                out.append((C.LITERAL, ord("]")))
                i += 2
                continue
            out.extend(self.node(op, av, flags))
            # A date may have been cut out between two punctuation characters
            # ("audit(DATE:1)" -> "audit(:1)", "- DATE WARN" -> "-  WARN").
            if self.junctions and i + 1 < len(items) and _junction(items[i], items[i + 1]):
                out.append(_ANY_TEXT)
            i += 1
        return out

    def node(self, op: Any, av: Any, flags: int) -> Seq:
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            return []
        if op in _ATOMS:
            if self.atom_matches_newline((op, av), flags):
                return [(C.MAX_REPEAT, (0, 1, [(op, av)]))]
            return [(op, av)]
        if op == C.BRANCH:
            return [(C.BRANCH, (av[0], [self.seq(alt, flags) for alt in av[1]]))]
        if op == C.SUBPATTERN:
            group, add_flags, del_flags, items = av
            inner = (flags | add_flags) & ~del_flags
            return [(C.SUBPATTERN, (group, add_flags, del_flags, self.seq(items, inner)))]
        if op in _REPEATS:
            low, high, items = av
            if high == C.MAXREPEAT and _has_unbounded_repeat(items):
                # Nested unbounded repeats back-track exponentially on a
                # line that does not match (no anchor holds them any more).
                if any(ref in self.referenced for ref in _group_numbers(items)):
                    return [(op, (low, high, self.seq(items, flags)))]
                return [_ANY_TEXT]
            if len(items) == 1 and items[0][0] in _ATOMS:
                if self.atom_matches_newline(items[0], flags):
                    low = 0
                return [(op, (low, high, items))]
            return [(op, (low, high, self.seq(items, flags)))]
        if op == C.GROUPREF:
            self.referenced.add(av)
            return [(op, av)]
        if op == C.GROUPREF_EXISTS:
            group, yes, no = av
            self.referenced.add(group)
            return [
                (op, (group, self.seq(yes, flags), None if no is None else self.seq(no, flags)))
            ]
        if op == getattr(C, "ATOMIC_GROUP", None):
            return [(op, self.seq(av, flags))]
        return [(op, av)]


def _references(items: Seq) -> set[int]:
    """Group numbers that back-references or conditionals use."""
    found: set[int] = set()
    for op, av in items:
        if op == C.GROUPREF:
            found.add(av)
        elif op == C.GROUPREF_EXISTS:
            found.add(av[0])
            found |= _references(av[1])
            if av[2] is not None:
                found |= _references(av[2])
        elif op == C.SUBPATTERN:
            found |= _references(av[3])
        elif op in _REPEATS:
            found |= _references(av[2])
        elif op == C.BRANCH:
            for alt in av[1]:
                found |= _references(alt)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            found |= _references(av[1])
        elif op == getattr(C, "ATOMIC_GROUP", None):
            found |= _references(av)
    return found


def _group_numbers(items: Seq) -> set[int]:
    found: set[int] = set()
    for op, av in items:
        if op == C.SUBPATTERN:
            if av[0] is not None:
                found.add(av[0])
            found |= _group_numbers(av[3])
        elif op in _REPEATS:
            found |= _group_numbers(av[2])
        elif op == C.BRANCH:
            for alt in av[1]:
                found |= _group_numbers(alt)
        elif op == getattr(C, "ATOMIC_GROUP", None):
            found |= _group_numbers(av)
    return found


def _parse(pattern: str, multiline: bool) -> Any:
    return P.parse(pattern, re.MULTILINE if multiline else 0)


def _relaxed(parsed: Any, items: Seq, prefix: str, junctions: bool = False) -> tuple[str, bool]:
    """Relax ``items`` (part of ``parsed``) and print it with its flags; returns
    ``(text, can_be_empty)``."""
    flags = parsed.state.flags
    relaxer = _Relaxer(flags, junctions)
    relaxer.referenced = _references(list(parsed))
    relaxed = relaxer.seq(items, flags)
    names = {number: f"{prefix}{number}" for number in relaxer.referenced}
    body = _Printer(False, names).seq(relaxed)
    local = _flags_prefix(flags)
    text = f"(?{local}:{body})" if local else f"(?:{body})"
    try:
        empty = re.fullmatch(text, "") is not None
    except re.error:  # a reference into a part that was cut off
        return "", True
    return text, empty


def relaxed_pattern(pattern: str, multiline: bool = False, junctions: bool = False) -> str:
    """``relax(pattern)`` (see the module docs)."""
    parsed = _parse(pattern, multiline)
    return _relaxed(parsed, list(parsed), "a", junctions)[0]


def _top_level_group(parsed: Any, name: str) -> int | None:
    number = parsed.state.groupdict.get(name)
    if number is None:
        return None
    for index, (op, av) in enumerate(parsed):
        if op == C.SUBPATTERN and av[0] == number:
            return index
    return None


def _ends_at_text_end(items: Seq) -> bool:
    """Whether a top-level sequence ends with ``$`` or ``\\Z``: wherever it
    matches, the match ends at the end of the text (or before its final
    ``\\n``)."""
    return bool(items) and items[-1] in ((C.AT, C.AT_END), (C.AT, C.AT_END_STRING))


def candidate_pattern(
    failregex: str,
    prefregex: str | None = None,
    multiline: bool = False,
    junctions: bool = False,
) -> str:
    """The candidate pattern of a (tag-expanded) failregex under an optional
    (tag-expanded) prefregex; ``junctions``: the date may be cut from the
    middle of lines.

    A failregex ending with ``$`` keeps it, as the line's end, when nothing
    can have been cut from the line's end (single-line texts, dates only at
    the line start) and its text ends where the line does (no prefregex, or
    one whose ``F-CONTENT`` is followed by ``$`` alone).  Most of fail2ban's
    failregexes end so, and without the anchor a line holding a pattern's
    beginning is a candidate whatever follows: on the 5% sshd benchmark log
    71k ``Disconnected from user NAME ADDR port N`` lines were, for a
    failregex that wants the address right after ``from``, and the exact
    stage ran the prefregex and the failregex on each to reject it."""
    fail = _parse(failregex, multiline)
    fail_items = list(fail)
    fail_text, _ = _relaxed(fail, fail_items, "f", junctions)
    line_end = not junctions and not multiline and _ends_at_text_end(fail_items)
    if not prefregex:
        return fail_text + "$" if line_end else fail_text
    pref = _parse(prefregex, False)
    index = _top_level_group(pref, "content")
    if index is None:
        return fail_text
    pref_items = list(pref)
    after_content = pref_items[index + 1 :]
    line_end = line_end and len(after_content) == 1 and _ends_at_text_end(after_content)
    end = "$" if line_end else ""
    prefix_text, prefix_empty = _relaxed(pref, pref_items[:index], "p", junctions)
    if prefix_empty or not prefix_text:
        return fail_text + end
    return f"{prefix_text}.*?{fail_text}{end}"
