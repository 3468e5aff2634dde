"""Injection-safe substitution of untrusted values into ``/bin/sh`` command templates.

fail2ban backslash-escapes (or, since 0.10, moves into shell variables) the values it
takes from logs.  Backslashes do not work inside ``'...'`` and variables do not expand
there, so a template such as ``grep -i 'from <ip>'`` either breaks or mangles the value.
hyperban instead works out, for every run-time tag, the shell quoting context the tag
stands in, and writes the value so that the shell reads exactly that value as data there:

============================  ==========================================================
context of the tag            the value is written as
============================  ==========================================================
unquoted word                 one single-quoted word ``'...'`` (``'`` as ``'\\''``);
                              addresses and numbers (only ``0-9a-fA-F.:/``) stay bare
inside ``'...'``              closed, escaped and reopened: ``'`` becomes ``'\\''``
inside ``"..."``              ``\\``, ``"``, ``$`` and backquote get a backslash
here-document (unquoted)      ``\\``, ``$`` and backquote get a backslash, and every line
                              of the value starts with ``${u+}`` (always empty), so no
                              line of the value can end the here-document
inside backquotes             the value is first written for its context inside the
                              backquotes, then ``\\``, ``$``, backquote (and ``"`` when the
                              backquotes are inside ``"..."``) get one more backslash
comment                       newlines become spaces (a newline would end the comment)
``$((...))`` / ``((...))``    decimal integers only; anything else is refused
============================  ==========================================================

Inside a here-document body, even within ``$(...)`` or backquotes there, an empty quote
pair (``''``/``""``) also starts every line of the value: bash looks for the delimiter on
every raw line.  ``$(...)`` is a new unquoted level, handled like the top.  A tag
preceded by a backslash (``\\<ip>``) gets one more backslash, so the template's backslash
stays a literal backslash and cannot take away the meaning of the first character of the
value.

Refused (:class:`UnsafeTemplateError`, raised before anything runs): a tag inside
``${...}`` (dash and bash parse quotes there differently), inside bash's ``$'...'`` (dash
has no such quote), inside a quoted here-document (``<<'EOF'``: nothing can be escaped
there, and a line of the value could end it), in a here-document delimiter, or right
after ``$`` (``$<ip>`` would let the value pick a variable).  Values that are not integers
in arithmetic context raise :class:`UnsafeValueError`.

Characters that cannot pass: the script reaches ``sh`` through ``execve``, where a NUL
byte ends the string, so **NUL characters are removed** from values (the only change
made to a value, besides comments).  Text is passed as UTF-8; characters decoded with
``surrogateescape`` (undecodable log bytes) are written back as the original bytes, other
lone surrogates become U+FFFD.  Every other character, including newlines, control
characters, ``*`` and non-ASCII text, reaches the command unchanged.

Known limit: when ``/bin/sh`` is bash, a value inside backquotes that are themselves inside
``"..."`` may be brace-expanded (``{a,b}``) by a bash parsing quirk, which can split that
argument; it cannot run a command.  dash (Debian's ``/bin/sh``) reads it exactly.

What this cannot do: a value is data for *this* shell.  If the configuration hands it to
another interpreter (``eval``, ``sh -c``, ``ssh host cmd``, a sed or awk program), quoting
for that interpreter is the configuration's job, as it is with fail2ban.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "TAG_RE",
    "Site",
    "UnsafeTemplateError",
    "UnsafeValueError",
    "clean_value",
    "encode_value",
    "find_sites",
    "substitute",
]

# A tag as fail2ban finds it: '<', no blanks or angle brackets, '>'.
TAG_RE = re.compile(r"<([^ <>]+)>")

# Contexts a tag can stand in (the innermost one; backquote layers are kept apart).
CMD = "unquoted"
SQ = "single-quoted"
DQ = "double-quoted"
HEREDOC = "here-document"
COMMENT = "comment"
ARITH = "arithmetic"

# Bare (unquoted) values: addresses and numbers.  None of these characters is special to
# sh outside IFS, and no shell keyword is made of them alone.
_BARE_RE = re.compile(r"[0-9A-Fa-f.:/]*[0-9A-Fa-f][0-9A-Fa-f.:/]*")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
# Blanks and operators end an unquoted word (what follows starts a new one).
_WORD_BREAK = frozenset(" \t\n;&|()<>")
_NAME_START = re.compile(r"[A-Za-z_]")


class UnsafeTemplateError(ValueError):
    """A run-time tag stands where no value can be written safely."""


class UnsafeValueError(ValueError):
    """A value cannot be written safely in its context (e.g. text in arithmetic)."""


@dataclass(frozen=True)
class Site:
    """One run-time tag in a template and how a value must be written there.

    ``backquotes`` lists the enclosing backquote levels, innermost first, as
    ``(inside_double_quotes, backslash_before)`` pairs.
    """

    start: int
    end: int
    name: str
    context: str
    backslash_before: bool = False
    tilde_before: bool = False
    backquotes: tuple[tuple[bool, bool], ...] = ()
    in_heredoc: bool = False
    error: str | None = None


@dataclass
class _Heredoc:
    delimiter: str
    strip_tabs: bool
    quoted: bool


class _Lexer:
    """Walks one level of shell text (the template, or the body of a backquote).

    It follows sh's quoting just far enough to know the context of every tag named in
    ``tags`` (start -> (end, name)); other text is skipped as sh would read it.
    """

    def __init__(
        self,
        text: str,
        is_tag: Callable[[str], bool],
    ) -> None:
        self.t = text
        self.is_tag = is_tag
        self.tags = {
            m.start(): (m.end(), m.group(1)) for m in TAG_RE.finditer(text) if is_tag(m.group(1))
        }
        self.sites: list[Site] = []
        self.heredocs: list[_Heredoc] = []
        # Set while inside a construct where tags are refused.
        self.forbid: str | None = None
        self.last_dollar = -2
        # Inside a here-document body, at any depth: bash looks for the delimiter on
        # every raw line, even inside $(...) or backquotes there.
        self.in_heredoc = False

    # -- helpers ---------------------------------------------------------------------

    def _tag(self, i: int, context: str, backslash: bool = False) -> int:
        end, name = self.tags[i]
        error = self.forbid
        if error is None and context in (CMD, DQ, HEREDOC) and self.last_dollar == i - 1:
            error = "right after '$' (the value would name a variable)"
        self.sites.append(
            Site(
                start=i,
                end=end,
                name=name,
                context=context,
                backslash_before=backslash,
                tilde_before=i > 0 and self.t[i - 1] == "~",
                in_heredoc=self.in_heredoc,
                error=error,
            )
        )
        return end

    def _forbidden(self, reason: str, scan: Callable[[], int]) -> int:
        saved, self.forbid = self.forbid, self.forbid or reason
        try:
            return scan()
        finally:
            self.forbid = saved

    # -- unquoted command text -------------------------------------------------------

    def cmd(self, i: int, closer: str | None = None) -> int:
        """Unquoted text from ``i``; returns the index after ``closer`` (or the end)."""
        t, n = self.t, len(self.t)
        depth = 0
        open_case = 0
        word_start = True
        word = ""
        while i < n:
            c = t[i]
            if i in self.tags:
                i = self._tag(i, CMD)
                word_start, word = False, "<tag>"
                continue
            if c in _WORD_BREAK:
                if word == "case":
                    open_case += 1
                elif word == "esac" and open_case:
                    open_case -= 1
                word = ""
            if c == "\\":
                if i + 1 in self.tags:
                    i = self._tag(i + 1, CMD, backslash=True)
                else:
                    i += 2
                word_start = False
                continue
            if c == "'":
                i = self.sq(i + 1)
            elif c == '"':
                i = self.dq(i + 1)
            elif c == "`":
                i = self.backquote(i, in_dq=False)
            elif c == "$":
                i = self.dollar(i, in_dq=False)
            elif c == "#" and word_start:
                i = self.comment(i)
                continue
            elif c == "(" and word_start and t.startswith("((", i):
                i = self.arith(i + 2)
            elif c == "<" and t.startswith("<<", i) and not t.startswith("<<<", i):
                i = self.heredoc_start(i + 2)
                word_start = True
                continue
            elif c == "\n":
                i += 1
                while self.heredocs:
                    i = self.heredoc_body(i, self.heredocs.pop(0))
                word_start = True
                continue
            elif c == "(":
                depth += 1
                i += 1
            elif c == ")":
                if depth == 0 and open_case:
                    i += 1  # a case pattern, not the end of $( )
                elif depth == 0 and closer == ")":
                    return i + 1
                else:
                    depth = max(depth - 1, 0)
                    i += 1
            else:
                if c not in _WORD_BREAK:
                    word += c
                i += 1
            word_start = c in _WORD_BREAK
        return n

    def comment(self, i: int) -> int:
        t, n = self.t, len(self.t)
        while i < n and t[i] != "\n":
            if i in self.tags:
                i = self._tag(i, COMMENT)
            else:
                i += 1
        return i

    # -- quotes --------------------------------------------------------------------

    def sq(self, i: int, context: str = SQ) -> int:
        """Inside '...' from ``i``; returns the index after the closing quote."""
        t, n = self.t, len(self.t)
        while i < n and t[i] != "'":
            i = self._tag(i, context) if i in self.tags else i + 1
        return i + 1

    def dq(self, i: int) -> int:
        """Inside "..." from ``i``; returns the index after the closing quote."""
        t, n = self.t, len(self.t)
        while i < n:
            c = t[i]
            if i in self.tags:
                i = self._tag(i, DQ)
            elif c == '"':
                return i + 1
            elif c == "\\":
                if i + 1 in self.tags:
                    i = self._tag(i + 1, DQ, backslash=True)
                else:
                    i += 2 if i + 1 < n and t[i + 1] in '$`"\\\n' else 1
            elif c == "`":
                i = self.backquote(i, in_dq=True)
            elif c == "$":
                i = self.dollar(i, in_dq=True)
            else:
                i += 1
        return n

    def ansi_c(self, i: int) -> int:
        """bash's $'...' from ``i`` (after the quote); backslash escapes the quote."""
        t, n = self.t, len(self.t)
        while i < n and t[i] != "'":
            if i in self.tags:
                i = self._tag(i, SQ)
            else:
                i += 2 if t[i] == "\\" else 1
        return i + 1

    # -- $ forms ---------------------------------------------------------------------

    def dollar(self, i: int, in_dq: bool) -> int:
        """At ``$``; returns the index after the construct it starts."""
        t = self.t
        nxt = t[i + 1 : i + 2]
        if t.startswith("$((", i):
            return self.arith(i + 3)
        if nxt == "(":
            return self.cmd(i + 2, closer=")")
        if nxt == "{":
            return self._forbidden("inside ${...}", lambda: self.param(i + 2))
        if nxt == "'" and not in_dq:
            return self._forbidden("inside $'...'", lambda: self.ansi_c(i + 2))
        self.last_dollar = i
        return i + 1

    def param(self, i: int) -> int:
        """Inside ${...}; returns the index after the closing brace."""
        t, n = self.t, len(self.t)
        while i < n:
            c = t[i]
            if i in self.tags:
                i = self._tag(i, CMD)
            elif c == "}":
                return i + 1
            elif c == "\\":
                i += 2
            elif c == "'":
                i = self.sq(i + 1)
            elif c == '"':
                i = self.dq(i + 1)
            elif c == "`":
                i = self.backquote(i, in_dq=False)
            elif c == "$":
                i = self.dollar(i, in_dq=False)
            else:
                i += 1
        return n

    def arith(self, i: int) -> int:
        """Inside $((...)) or ((...)); returns the index after the closing ``))``."""
        t, n = self.t, len(self.t)
        depth = 0
        while i < n:
            c = t[i]
            if i in self.tags:
                i = self._tag(i, ARITH)
            elif c == "(":
                depth += 1
                i += 1
            elif c == ")":
                if depth == 0:
                    return i + 2 if t.startswith("))", i) else i + 1
                depth -= 1
                i += 1
            elif c == "\\":
                i += 2
            elif c == "'":
                i = self.sq(i + 1, ARITH)
            elif c == '"':
                i = self.dq(i + 1)
            elif c == "`":
                i = self.backquote(i, in_dq=False)
            elif c == "$":
                i = self.dollar(i, in_dq=False)
            else:
                i += 1
        return n

    # -- backquotes ------------------------------------------------------------------

    def backquote(self, i: int, in_dq: bool) -> int:
        """At an opening backquote; lexes the body as its own level of shell text."""
        t, n = self.t, len(self.t)
        j = i + 1
        while j < n and t[j] != "`":
            j += 2 if t[j] == "\\" else 1
        end = min(j, n)
        # The body as the inner shell reads it: a backslash before $ ` \ (and " inside
        # double quotes) is removed.  Keep where each inner character came from.
        special = '$`\\"' if in_dq else "$`\\"
        inner: list[str] = []
        origin: list[int] = []
        k = i + 1
        while k < end:
            if t[k] == "\\" and k + 1 < end and t[k + 1] in special:
                k += 1
            inner.append(t[k])
            origin.append(k)
            k += 1
        sub = _Lexer("".join(inner), self.is_tag)
        sub.forbid = self.forbid
        sub.in_heredoc = self.in_heredoc
        sub.cmd(0)
        for site in sub.sites:
            # A tag's text holds no backslash, so it is contiguous in the raw body too.
            start = origin[site.start]
            # Whether a backslash of this level is left open right before the tag.
            run = 0
            while start - 1 - run > i and t[start - 1 - run] == "\\":
                run += 1
            self.sites.append(
                Site(
                    start=start,
                    end=start + (site.end - site.start),
                    name=site.name,
                    context=site.context,
                    backslash_before=site.backslash_before,
                    tilde_before=site.tilde_before,
                    backquotes=(*site.backquotes, (in_dq, run % 2 == 1)),
                    in_heredoc=site.in_heredoc,
                    error=site.error,
                )
            )
        return j + 1

    # -- here-documents -------------------------------------------------------------

    def heredoc_start(self, i: int) -> int:
        """After ``<<``: reads the delimiter word; the body starts at the next newline."""
        t, n = self.t, len(self.t)
        strip = t.startswith("-", i)
        if strip:
            i += 1
        while i < n and t[i] in " \t":
            i += 1
        word: list[str] = []
        quoted = False
        while i < n and t[i] not in " \t\n;&|<>()":
            if i in self.tags:
                i = self._forbidden("in a here-document delimiter", lambda i=i: self._tag(i, CMD))
                continue
            c = t[i]
            if c == "\\":
                quoted = True
                word.append(t[i + 1 : i + 2])
                i += 2
            elif c in "'\"":
                quoted = True
                j = t.find(c, i + 1)
                j = n if j < 0 else j
                word.append(t[i + 1 : j])
                i = j + 1
            else:
                word.append(c)
                i += 1
        self.heredocs.append(_Heredoc("".join(word), strip, quoted))
        return i

    def heredoc_body(self, i: int, doc: _Heredoc) -> int:
        """The body from line start ``i``; returns the index after the delimiter line."""
        saved, self.in_heredoc = self.in_heredoc, True
        try:
            return self._heredoc_body(i, doc)
        finally:
            self.in_heredoc = saved

    def _heredoc_body(self, i: int, doc: _Heredoc) -> int:
        t, n = self.t, len(self.t)
        while i < n:
            eol = t.find("\n", i)
            eol = n if eol < 0 else eol
            line = t[i:eol]
            if (line.lstrip("\t") if doc.strip_tabs else line) == doc.delimiter:
                return min(eol + 1, n)
            if doc.quoted:
                for k in range(i, eol):
                    if k in self.tags:
                        self._forbidden(
                            "inside a quoted here-document", lambda k=k: self._tag(k, HEREDOC)
                        )
                i = eol + 1
                continue
            # Scan to the newline that ends this line at this level ($(...) and
            # backquotes may span lines).
            while i < n and t[i] != "\n":
                c = t[i]
                if i in self.tags:
                    i = self._tag(i, HEREDOC)
                elif c == "\\":
                    if i + 1 in self.tags:
                        i = self._tag(i + 1, HEREDOC, backslash=True)
                    else:
                        i += 2 if t[i + 1 : i + 2] in ("$", "`", "\\", "\n") else 1
                elif c == "`":
                    i = self.backquote(i, in_dq=False)
                elif c == "$":
                    i = self.dollar(i, in_dq=True)
                else:
                    i += 1
            i += 1
        return n


@lru_cache(maxsize=512)
def _find_sites_cached(template: str, names: frozenset[str]) -> tuple[Site, ...]:
    lexer = _Lexer(template, names.__contains__)
    lexer.cmd(0)
    return tuple(sorted(lexer.sites, key=lambda s: s.start))


def find_sites(template: str, is_tag: Callable[[str], bool] | Container[str]) -> list[Site]:
    """Every run-time tag of ``template`` (those ``is_tag`` accepts) with its context."""
    check: Callable[[str], bool] = is_tag if callable(is_tag) else is_tag.__contains__
    names = frozenset(m.group(1) for m in TAG_RE.finditer(template) if check(m.group(1)))
    if not names:
        return []
    return list(_find_sites_cached(template, names))


def clean_value(value: str) -> str:
    """Apply the two rules no quoting can avoid: drop NUL, repair lone surrogates."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        value = "".join(
            ch if not ("\ud800" <= ch <= "\udfff") or "\udc80" <= ch <= "\udcff" else "\ufffd"
            for ch in value
        )
    return value


def _backslashed(value: str, special: str) -> str:
    return "".join("\\" + ch if ch in special else ch for ch in value)


def _quote_line_starts(value: str) -> str:
    # ${u+} is empty whether or not u is set (also under set -u), and a line holding it
    # can never equal a here-document delimiter.
    return "${u+}" + value.replace("\n", "\n${u+}")


def encode_value(site: Site, value: str) -> str:
    """``value`` written for the context of ``site`` (see the module documentation)."""
    if site.error:
        raise UnsafeTemplateError(f"tag <{site.name}> {site.error}")
    value = clean_value(value)
    ctx = site.context
    # An empty quote pair after each newline keeps any line of the value from reading as
    # the delimiter of an enclosing here-document.
    fence = site.in_heredoc and ctx in (SQ, CMD, DQ)
    if ctx == SQ:
        out = value.replace("'", "'\\''")
        if fence:
            out = "''" + out.replace("\n", "\n''")
    elif ctx == CMD:
        if _BARE_RE.fullmatch(value) and not site.tilde_before:
            out = value
        else:
            out = "'" + value.replace("'", "'\\''") + "'"
            if fence:
                out = out.replace("\n", "\n''")
    elif ctx == DQ:
        out = _backslashed(value, '\\"$`')
        if fence:
            out = '""' + out.replace("\n", '\n""')
    elif ctx == HEREDOC:
        out = _quote_line_starts(_backslashed(value, "\\$`"))
    elif ctx == COMMENT:
        out = value.replace("\n", " ")
    elif ctx == ARITH:
        if not _INTEGER_RE.fullmatch(value):
            raise UnsafeValueError(f"tag <{site.name}>: {value!r} is not an integer")
        out = value
    else:  # pragma: no cover - all contexts are listed above
        raise AssertionError(ctx)
    if site.backslash_before and ctx != SQ:
        out = "\\" + out
    for in_dq, backslash in site.backquotes:
        out = _backslashed(out, '\\$`"' if in_dq else "\\$`")
        if backslash:
            out = "\\" + out
    return out


def substitute(
    template: str,
    values: Callable[[str], str | None],
    is_tag: Callable[[str], bool],
) -> str:
    """Replace every run-time tag of ``template`` by its encoded value.

    ``is_tag(name)`` says which ``<name>`` are run-time tags; ``values(name)`` gives the
    text for one (None leaves the tag as written).  Raises :class:`UnsafeTemplateError` /
    :class:`UnsafeValueError` when a value cannot be written safely.
    """
    sites = find_sites(template, is_tag)
    if not sites:
        return template
    parts: list[str] = []
    pos = 0
    for site in sites:
        value = values(site.name)
        parts.append(template[pos : site.start])
        if value is None:
            parts.append(template[site.start : site.end])
        else:
            parts.append(encode_value(site, value))
        pos = site.end
    parts.append(template[pos:])
    return "".join(parts)
