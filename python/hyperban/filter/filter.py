"""The filter: fail2ban's line semantics over a one-pass chunk scan.

Data flow for a single-line filter (``maxlines = 1``)::

    chunk of lines ──scan (every candidate pattern, one pass)──▶ candidate lines
    candidate line ──date cut (DateDetector)──▶ "before+after\\n"
                   ──exact check (prefregex, failregex, ignoreregex)──▶ failures

For single-line filters on a Rust engine (``hyperscan``/``regex``) the
scan, the date cut and every exact check run in Rust, in one call per chunk
(:class:`hyperban._core.FilterProgram`, ``rust/src/filter``); only the lines
on which a failregex or ignoreregex matched (or whose date fail2ban cannot
convert) are finished there too (``rust/src/filter/finish.rs``: ignoreregexes,
``F-MLFID`` sessions, failure ids); Python only makes their addresses (and
resolves host names) and the result objects (``_finish_program_run``).
Candidate lines on which only the prefregex matched are counted
(``ChunkResult.prefregex_only``).  The server's ``check_find_time`` rules
(dates far from now count as now while in operation; failures older than
``findtime`` are dropped while a backlog is read) are applied there as well;
one difference remains: a line dated far from now does not make "now" the
date carried to the following date-less lines.  When a chunk's candidate
scan hits PCRE2's match limit, the Rust stage checks every line of that chunk
(what the per-line path would do), so the ``F-MLFID`` sessions never leave it.
The ``python`` engine and journal dates take the Python candidate path below.

Only candidate lines reach Python.  The exact check is fail2ban's
``Filter.processLine``/``findFailure``: the date is cut out of the line, the
prefregex must match and its ``<F-CONTENT>`` replaces the text, every
failregex is tried in turn (or until the first match, unless ``check_all``),
ignoreregexes veto a match, ``F-MLFID`` merges the failures of one
connection over several lines, ``F-NOFAIL``/``F-MLFGAINED``/``F-MLFFORGET``
mark non-failures, and the failure id is the ``fid``, address or host name
(resolved per ``usedns``).  The exact regex matching runs on the matcher
engine (PCRE2 with match limits for ``hyperscan``/``regex``, ``re`` for
``python``).

Multi-line filters (``maxlines > 1``) keep a buffer of the last lines, so
every line goes through the exact path (in Python's ``re``, which gives the
match spans the buffer logic needs).

Differences of the fast path from processing every line (documented in the
README): the date of a line is only looked up when the line is a candidate,
so the *previous date* used for a line without date, and the date detector's
template order, only follow candidate lines; and a match that only exists
because of the way the date was cut from the middle of a line (other than
``[]``) is not a candidate (see :mod:`hyperban.filter.candidate`).
"""

from __future__ import annotations

import functools
import gc
import logging
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

from hyperban._core import (
    ChunkScan,
    DateDetector,
    FilterProgram,
    PatternSet,
    ToolTally,
    count_skipped,
)
from hyperban.filter.candidate import candidate_pattern, relaxed_pattern
from hyperban.filter.dns import (
    CIDR_RAW,
    CIDR_UNSPEC,
    DEFAULT_RESOLVER,
    FAM_IPV4,
    FAM_IPV6,
    Address,
    ExpiringCache,
    Resolver,
    normalize_usedns,
)
from hyperban.filter.failure import Failure, LineResult
from hyperban.filter.multiline import RegexMatch, split_match
from hyperban.filter.regex import FailRegex, Regex, RegexError, TupleLine, buffer_text
from hyperban.filter.source import DEFAULT_CHUNK_SIZE, normalize_encoding, read_chunks
from hyperban.matcher import Matcher, compile_patterns

if TYPE_CHECKING:
    from hyperban.config import FilterDefinition

__all__ = ["ChunkResult", "Filter", "FilterError", "QuietLines"]

log = logging.getLogger(__name__)

# Ids in the scan set: failregex i is i, ignoreregex j is _IGNORE_BASE + j.
_IGNORE_BASE = 1 << 20
# Ids in the exact sets: prefregex, then failregexes, then ignoreregexes.
_PREF_ID = 0
# How ``FilterProgram`` outcomes give a failure's id (``rust/src/py/outcome.rs``):
# ``Address.of(text, cidr)``, or a host name to resolve (else: pending, no id).
_ID_RAW = 1
_ID_DNS = 2


class FilterError(ValueError):
    """A filter that cannot be built (bad regex, bad option); ``source`` is
    the offending regex as written, when one is to blame."""

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


# An array type code for the native unsigned 32-bit line numbers of a summary.
_U32 = "I" if array("I").itemsize == 4 else "L"


class QuietLines:
    """The quiet lines of a chunk that the Rust stage counted instead of
    reporting them (``Filter.summarize_quiet``): lines with no failure proper
    (``nofail`` matches, ignoreregex vetoes, prefregex-only session lines) and
    nothing to log.  ``ignored`` of them count as ignored, ``prefregex`` were
    matched by the prefregex; ``fail_hits``/``ignore_hits`` are their
    matches per failregex/ignoreregex."""

    __slots__ = ("_lines", "fail_hits", "first", "ignore_hits", "ignored", "prefregex")

    def __init__(self, summary: tuple, first: int) -> None:  # type: ignore[type-arg]
        self.ignored, self.prefregex, self.fail_hits, self.ignore_hits, self._lines = summary
        self.first: int = first

    def ignored_numbers(self) -> list[int]:
        """The line numbers of the ignored ones, in line order."""
        numbers = array(_U32)
        numbers.frombytes(self._lines)
        first = self.first
        return [first + n for n in numbers]


class ChunkResult:
    """What :meth:`Filter.process_chunk` found in a chunk.

    ``results`` has one :class:`LineResult` per line that went through the
    exact check (the candidates, in line order); ``lines`` counts the
    chunk's lines, ``skipped`` those left out as comments or empty lines
    (``skip_comments``), ``limit_hits`` the regex checks abandoned at the
    match limit (their lines count as not matching that regex).

    On the Rust fast path (:class:`hyperban._core.FilterProgram`, single-line
    filters), ``results`` only holds the lines with an outcome: a failregex
    or ignoreregex matched, or the date could not be converted.  Candidate
    lines that only matched the prefregex are counted in
    ``prefregex_only``; the others are dropped (they would be *missed*).
    With ``Filter.summarize_quiet`` set, ``quiet`` counts the quiet lines
    left out of ``results`` (:class:`QuietLines`).
    """

    __slots__ = ("limit_hits", "lines", "prefregex_only", "quiet", "results", "skipped")

    def __init__(
        self,
        results: list[LineResult],
        lines: int,
        skipped: int,
        limit_hits: int,
        prefregex_only: int = 0,
    ):
        self.results = results
        self.lines = lines
        self.skipped = skipped
        self.limit_hits = limit_hits
        #: Lines left out of ``results`` by the Rust fast path although the
        #: prefregex matched them (nothing else did): they only count as
        #: prefregex hits.
        self.prefregex_only = prefregex_only
        #: Quiet lines counted rather than reported (``summarize_quiet``).
        self.quiet: QuietLines | None = None

    def __repr__(self) -> str:
        return (
            f"ChunkResult(lines={self.lines}, processed={len(self.results)}, "
            f"skipped={self.skipped}, limit_hits={self.limit_hits})"
        )


def _skippable(line: str) -> bool:
    return not line or line[0] == "#"


class Filter:
    """One fail2ban filter, ready to process log lines.

    Parameters mirror fail2ban's filter settings: ``failregex``,
    ``ignoreregex``, ``prefregex``, ``maxlines``, ``datepattern`` (``None``:
    the default date templates), ``logtimezone``, ``usedns``
    (``yes``/``warn``/``no``/``raw``), ``logencoding``.  Processing modes:

    * ``check_all`` — try every failregex on a line and report each match
      (fail2ban-regex's statistics mode); otherwise stop at the first;
    * ``ignore_pending`` — with ``check_all`` off, a multi-line failure
      without id yet ends the line's processing (fail2ban's server);
    * ``raw_host`` — never resolve host names (the name is the id);
    * ``check_find_time``/``in_operation``/``find_time`` — the server's
      handling of dates far from now;
    * ``skip_comments`` — lines starting with ``#`` and empty lines are
      neither processed nor counted (fail2ban-regex);
    * ``engine`` — ``hyperscan``, ``regex`` or ``python`` (see
      :mod:`hyperban.matcher`);
    * ``one_pass`` — use the one-pass chunk scan (single-line filters); when
      false every line takes the exact path;
    * ``clock`` — the current time (``time.time``), ``resolver`` — host
      name look-ups for ``usedns``.
    """

    def __init__(
        self,
        failregex: Sequence[str],
        ignoreregex: Sequence[str] = (),
        *,
        prefregex: str | None = None,
        maxlines: int = 1,
        datepattern: str | None = None,
        logtimezone: str | None = None,
        usedns: str = "warn",
        logencoding: str = "utf-8",
        engine: str = "hyperscan",
        check_all: bool = False,
        ignore_pending: bool = True,
        raw_host: bool = False,
        check_find_time: bool = False,
        in_operation: bool = True,
        find_time: float = 600.0,
        skip_comments: bool = False,
        one_pass: bool = True,
        clock: Callable[[], float] = time.time,
        resolver: Resolver | None = None,
        created_at: float | None = None,
    ) -> None:
        maxlines = int(maxlines)
        if maxlines <= 0:
            raise FilterError("maxlines must be integer greater than zero")
        self.maxlines = maxlines
        self.usedns = normalize_usedns(usedns)
        try:
            self.logencoding = normalize_encoding(logencoding)
        except LookupError as e:
            raise FilterError(f"unknown logencoding {logencoding!r}: {e}") from None
        self.engine = engine
        self.check_all = check_all
        #: Lines that gave no failure (session events, vetoed matches) are in
        #: ``ChunkResult.results`` on the Rust fast path; a jail, which only
        #: takes failures, turns this off (they are still processed).
        self.report_quiet_lines = True
        #: On the Rust fast path, ``keep``: count the quiet lines (see
        #: :class:`QuietLines`) in ``ChunkResult.quiet`` instead of reporting
        #: them, except the first ``keep`` ignored ones; ``None``: report them.
        #: For callers that only count such lines (``regex``).
        self.summarize_quiet: int | None = None
        #: On the Rust fast path, a :class:`hyperban._core.ToolTally` that
        #: accounts the lines it can for ``regex``'s statistics: those lines
        #: are then left out of ``ChunkResult.results``.
        self.tally: ToolTally | None = None
        self.ignore_pending = ignore_pending
        self.raw_host = raw_host
        self.check_find_time = check_find_time
        self.in_operation = in_operation
        self.find_time = find_time
        self.skip_comments = skip_comments
        self.one_pass = one_pass
        self.clock = clock
        self.resolver = resolver or DEFAULT_RESOLVER
        self.datepattern = datepattern
        self.logtimezone = logtimezone

        multiline = self._multi = maxlines > 1
        source = prefregex
        try:
            self.prefregex = Regex(prefregex, usedns=self.usedns) if prefregex else None
            self.failregex = []
            for source in failregex:
                self.failregex.append(
                    FailRegex(
                        source, prefregex=self.prefregex, usedns=self.usedns, multiline=multiline
                    )
                )
            self.ignoreregex = []
            for source in ignoreregex:
                self.ignoreregex.append(Regex(source, usedns=self.usedns))
        except RegexError as e:
            raise FilterError(str(e), source) from None
        if not self.failregex:
            raise FilterError("the filter has no failregex")
        try:
            self.date_detector = DateDetector(datepattern, logtimezone, created_at)
        except ValueError as e:
            raise FilterError(str(e)) from None

        # fail2ban checks the ignoreregexes first only when there are clearly
        # fewer of them than failregexes.
        self._ignore_first = bool(self.ignoreregex) and (
            len(self.ignoreregex) < len(self.failregex) - 2
        )
        self._build_matchers()

        # State carried from line to line.
        self._buffer: list[TupleLine] = []
        self._buffer_numbers: list[int] = []
        self._last_date: float | None = None
        self._last_time_text = ""
        self._mlfid_cache = ExpiringCache(max_count=100, max_time=300.0)
        self._warned_no_date = False
        self._warned_time = False
        self._search_cache: dict[tuple[int, str], dict[int, dict[str, str | None]]] = {}
        #: Exact regex checks abandoned at the match limit so far (counted as
        #: not matching); the chunk scan's own are in ``ChunkResult.limit_hits``.
        self.limit_hits = 0

    # -- construction -----------------------------------------------------

    @classmethod
    def from_definition(cls, definition: FilterDefinition, **kwargs: object) -> Filter:
        """A filter from a :class:`hyperban.config.FilterDefinition`; keyword
        arguments override the definition's settings."""
        settings: dict[str, object] = {
            "prefregex": definition.prefregex,
            "maxlines": definition.maxlines or 1,
            "datepattern": definition.datepattern,
        }
        if definition.usedns is not None:
            settings["usedns"] = definition.usedns
        options = definition.options
        if options.get("logtimezone"):
            settings["logtimezone"] = str(options["logtimezone"])
        if options.get("logencoding"):
            settings["logencoding"] = str(options["logencoding"])
        settings.update(kwargs)
        return cls(definition.failregex, definition.ignoreregex, **settings)  # type: ignore[arg-type]

    def with_changes(self, **changes: object) -> Filter:
        """A filter like this one with some settings changed (``failregex`` and
        ``ignoreregex`` as lists of sources, ``prefregex``, ``maxlines``,
        ``datepattern``): the runtime ``set JAIL addfailregex``/``maxlines``/... of
        a running jail.  Settings made at run time and the last date carry over; the
        multi-line buffer and the ``F-MLFID`` sessions start empty."""
        settings: dict[str, object] = {
            "prefregex": None if self.prefregex is None else self.prefregex.source,
            "maxlines": self.maxlines,
            "datepattern": self.datepattern,
            "logtimezone": self.logtimezone,
            "usedns": self.usedns,
            "logencoding": self.logencoding,
            "engine": self.engine,
            "check_all": self.check_all,
            "ignore_pending": self.ignore_pending,
            "raw_host": self.raw_host,
            "check_find_time": self.check_find_time,
            "in_operation": self.in_operation,
            "find_time": self.find_time,
            "skip_comments": self.skip_comments,
            "one_pass": self.one_pass,
            "clock": self.clock,
            "resolver": self.resolver,
        }
        failregex = changes.pop("failregex", [r.source for r in self.failregex])
        ignoreregex = changes.pop("ignoreregex", [r.source for r in self.ignoreregex])
        settings.update(changes)
        new = type(self)(failregex, ignoreregex, **settings)  # type: ignore[arg-type]
        new.report_quiet_lines = self.report_quiet_lines
        new.summarize_quiet = self.summarize_quiet
        new._last_date, new._last_time_text = self._last_date, self._last_time_text
        return new

    def _build_matchers(self) -> None:
        engine = self.engine
        fail_count = len(self.failregex)
        self._exact_pre = self._exact_fail = None
        self.per_line = self._multi
        self._scan = None
        self._program: FilterProgram | None = None
        self.candidate_patterns: list[tuple[int, str]] = []
        if self._multi:
            return  # multi-line buffers match with ``re`` (spans needed)
        # The exact sets match one buffer text at a time: the ``regex`` engine
        # (PCRE2 with match limits, cheap to build) unless ``python`` is asked.
        exact_engine = "python" if engine == "python" else "regex"
        try:
            # Exact sets for single-line checks (one call per buffer text).
            pre: list[tuple[int, str]] = []
            if self.prefregex is not None:
                pre.append((_PREF_ID, self.prefregex.expanded))
            ignore = [(1 + fail_count + j, r.expanded) for j, r in enumerate(self.ignoreregex)]
            self._exact_pre = (
                compile_patterns(pre + ignore, exact_engine) if pre or ignore else None
            )
            fail = [(1 + i, r.expanded) for i, r in enumerate(self.failregex)]
            self._exact_fail = compile_patterns(fail + ignore, exact_engine)
        except ValueError as e:
            raise FilterError(str(e)) from None

        if not self.one_pass:
            self.per_line = True
            return
        pref = self.prefregex.expanded if self.prefregex is not None else None
        junctions = dates_mid_line(self.datepattern)
        try:
            patterns = [
                (i, candidate_pattern(r.expanded, pref, junctions=junctions))
                for i, r in enumerate(self.failregex)
            ]
            if self._ignore_first:
                patterns += [
                    (_IGNORE_BASE + j, relaxed_pattern(r.expanded, junctions=junctions))
                    for j, r in enumerate(self.ignoreregex)
                ]
            self._scan = _compiled_scan_set(tuple(patterns), engine)
            self.candidate_patterns = patterns
        except Exception as e:
            log.warning("no one-pass scan for this filter (%s); processing every line", e)
            self.per_line = True
            return
        self._program = self._build_program()

    def _build_program(self) -> FilterProgram | None:
        """The Rust exact stage for this single-line filter, when its sets
        are Rust ``PatternSet``s (not the ``python`` engine) and the
        prefregex's groups need no post-processing."""
        pref = self.prefregex
        if (
            not isinstance(self._scan, PatternSet)
            or not isinstance(self._exact_fail, PatternSet)
            or not (self._exact_pre is None or isinstance(self._exact_pre, PatternSet))
            or (pref is not None and (pref._alt or pref._tuple))
        ):
            return None
        try:
            return FilterProgram(
                self._scan,
                self._exact_pre,
                self._exact_fail,
                self.date_detector,
                fail_count=len(self.failregex),
                ignore_count=len(self.ignoreregex),
                has_prefregex=pref is not None,
                ignore_first=self._ignore_first,
                skip_comments=self.skip_comments,
                folds=[(r._alt or [], r._tuple or []) for r in self.failregex],
                address_of=Address.of,
            )
        except ValueError as e:  # pragma: no cover - sets built above
            log.warning("no Rust exact stage for this filter (%s)", e)
            return None

    # -- public API -------------------------------------------------------

    def reset(self) -> None:
        """Forget everything carried from line to line."""
        self._buffer = []
        self._buffer_numbers = []
        self._last_date = None
        self._last_time_text = ""
        self._mlfid_cache.clear()
        if self._program is not None:
            self._program.reset()

    def process_line(
        self, line: str, number: int = 0, date: tuple[float, str] | None = None
    ) -> LineResult:
        """Process one line (no trailing newline) on the exact path.

        ``date`` is ``(epoch, text)`` when the date is known already (journal
        entries): no date is looked for in the line then.
        """
        result = LineResult(number, line)
        try:
            tuple_line, when, no_date = self._cut_date(line, date)
        except ValueError as e:
            result.error = str(e)
            return result
        result.tuple_line = tuple_line
        if self.check_find_time and when is not None:
            now = self.clock()
            if self.in_operation:
                if self._far_from_now(when, now, line):
                    when = now
                    self._last_date = when
            elif when < now - self.find_time:
                return result
        self._find_failures(result, tuple_line, when, no_date, number)
        return result

    def process_lines(
        self, lines: Iterable[str], first: int = 0, date: tuple[float, str] | None = None
    ) -> Iterator[LineResult]:
        """The exact path over many lines (every line is processed)."""
        for number, line in enumerate(lines, first):
            if self.skip_comments and _skippable(line):
                continue
            yield self.process_line(line, number, date)

    def process_chunk(
        self, data: bytes, first: int = 0, date: tuple[float, str] | None = None
    ) -> ChunkResult:
        """Process a chunk of ``\\n``-terminated UTF-8 lines (line numbers
        start at ``first``).  Single-line filters take the one-pass scan;
        only candidate lines are processed."""
        # Many small acyclic objects are made per line; the cyclic garbage
        # collector's frequent passes over them cost a third of the time.
        collecting = gc.isenabled()
        gc.disable()
        exact_hits = self.limit_hits
        try:
            result = self._process_chunk(data, first, date)
            result.limit_hits += self.limit_hits - exact_hits
            return result
        finally:
            if collecting:
                gc.enable()

    def _process_chunk(
        self, data: bytes, first: int, date: tuple[float, str] | None
    ) -> ChunkResult:
        if self.per_line or self._scan is None:
            return self._process_chunk_per_line(data, first, date)
        if self._program is not None and date is None:
            return self._process_chunk_program(data, first)
        # (a Rust set's candidates go unconfirmed, as in the Rust stage: every
        # candidate line is checked exactly below anyway)
        if isinstance(self._scan, PatternSet):
            matches, lines, limit_hits = self._scan.candidate_lines(data)
        else:
            matches, lines, limit_hits = self._scan.scan(data)
        if limit_hits:
            # Some candidate check gave up at the match limit: which lines is
            # not known, so take the exact path for the whole chunk.
            result = self._process_chunk_per_line(data, first, date)
            result.limit_hits = limit_hits
            return result
        skipped = self._count_skipped(data) if self.skip_comments else 0
        results: list[LineResult] = []
        previous = -1
        for number, offset, *_ in matches:
            if number == previous:
                continue
            previous = number
            end = data.find(b"\n", offset)
            raw = data[offset:] if end < 0 else data[offset:end]
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if self.skip_comments and _skippable(line):
                continue
            results.append(self.process_line(line, first + number, date))
        return ChunkResult(results, lines, skipped, limit_hits)

    def _process_chunk_program(self, data: bytes, first: int) -> ChunkResult:
        """The Rust fast path: scan, date cut, every exact check and the failure
        building in one call; Python only makes the result objects."""
        return self._finish_program_run(self.run_stage(data), data, first)

    def scan_stage(self, data: bytes, *, dates: bool = False, evaluate: float = 0.0) -> ChunkScan:
        """The candidate scan of ``data`` for :meth:`run_stage`, made ahead;
        the GIL is released meanwhile.  The scan alone is stateless: any
        thread, any time.

        With ``dates``, the date of every line the stage will process is found
        here too, and the last date carried on: chunks must then be scanned in
        order, each once, and every :meth:`run_stage` must take its chunk's
        scan.  The stage of the previous chunk may run meanwhile on another
        thread; it has that much less to do.  ``evaluate`` (with ``dates``):
        that share of the lines also has its regexes evaluated here, for a
        run with :attr:`check_all` (see ``FilterProgram.scan_dates``)."""
        assert self._program is not None
        if not dates:
            return self._program.scan(data)
        scan, self._last_date, self._last_time_text = self._program.scan_dates(
            data, self.clock(), self._last_date, self._last_time_text, evaluate=evaluate
        )
        return scan

    def evaluate_meanwhile(self, data: bytes, scan: ChunkScan) -> int:
        """Evaluates the regexes of the lines of ``scan`` (a
        :meth:`scan_stage` of ``data`` with ``dates``) until the
        :meth:`run_stage` taking ``scan`` starts on another thread, or every
        line is done; returns how many this call evaluated.  Only a run with
        :attr:`check_all` takes them (see ``FilterProgram.evaluate_meanwhile``)."""
        assert self._program is not None
        return self._program.evaluate_meanwhile(data, scan)

    def run_stage(self, data: bytes, scan: ChunkScan | None = None) -> tuple:  # type: ignore[type-arg]
        """The Rust stage of :meth:`process_chunk` alone (fast path only, see
        :attr:`program`), for a pipeline: it may run on another thread (the
        GIL is released while the chunk runs) while this thread finishes the
        previous chunk with :meth:`finish_stage`.  Stages must run one at a
        time, in chunk order; each carries the last date on to the next one
        itself (unless :meth:`scan_stage` found the dates: then the scan
        did).  ``scan`` is :meth:`scan_stage` of ``data``, when made."""
        assert self._program is not None
        run = self._program.run(
            data,
            self.clock(),
            self._last_date,
            self._last_time_text,
            self.finish_settings(),
            summarize=self.summarize_quiet,
            scan=scan,
            tally=self.tally,
        )
        if scan is None or not scan.has_dates:
            # (a scan with dates carried the date on when it was made: the
            # next chunk's may have moved it further already)
            self._last_date = run[6]
            self._last_time_text = run[7]
        return run

    def finish_stage(self, run: tuple, data: bytes, first: int) -> ChunkResult:  # type: ignore[type-arg]
        """What :meth:`process_chunk` gives, from the :meth:`run_stage` of
        ``data`` (line numbers starting at ``first``)."""
        before = self.limit_hits
        result = self._finish_program_run(run, data, first)
        result.limit_hits += self.limit_hits - before
        return result

    def finish_settings(self) -> tuple[bool, bool, bool, bool, bool, float, float, bool]:
        """The settings the Rust finishing stage reads at each chunk (they can
        change at run time: ``set <jail> usedns``, findtime, going live)."""
        return (
            self.check_all,
            self.ignore_pending,
            self.usedns == "raw" or self.raw_host,
            self.check_find_time,
            self.in_operation,
            float(self.find_time),
            time.time(),  # F-MLFID sessions expire by the wall clock, as in fail2ban
            self.report_quiet_lines,
        )

    @property
    def program(self) -> FilterProgram | None:
        """The Rust exact stage (single-line filters on a Rust engine), for
        :class:`hyperban.filter.multi.MultiFilter`; ``None`` when chunks take
        a Python path."""
        if self.per_line or self._scan is None:
            return None
        return self._program

    def _finish_program_run(
        self,
        run: tuple,  # type: ignore[type-arg]
        data: bytes,
        first: int,
        skipped: int | None = None,
    ) -> ChunkResult:
        """A :class:`ChunkResult` from what ``FilterProgram.run`` returned
        for ``data``: the failures of the reported lines are built here.
        ``skipped`` is ``_count_skipped(data)`` when known already.  The run's
        stage (:meth:`run_stage`) has carried the last date on already."""
        (
            _scan_limit_hit,  # then the Rust stage checked every line of the chunk
            lines,
            _processed,
            prefregex_only,
            limit_hits,
            outcomes,
            _last_date,  # carried on by the stage
            _last_time_text,
            quiet,
        ) = run
        self.limit_hits += limit_hits
        if not self.skip_comments:
            skipped = 0
        elif skipped is None:
            skipped = self._count_skipped(data)
        results = [self._outcome(outcome, first) for outcome in outcomes]
        result = ChunkResult(results, lines, skipped, 0, prefregex_only)
        if quiet is not None:
            result.quiet = QuietLines(quiet, first)
        return result

    def _outcome(self, outcome: tuple, first: int) -> LineResult:  # type: ignore[type-arg]
        """A :class:`LineResult` from a line the Rust stage finished: its
        failure ids become addresses here (host names resolved per ``usedns``)."""
        (
            number,
            line,
            tuple_line,
            failures,
            ignored_by,
            prefregex_matched,
            error,
            invalid_date,
            far_from_now,
            no_date_match,
            no_id_group,
        ) = outcome
        result = LineResult(first + number, line)
        if error is not None:
            result.error = error
            return result
        result.tuple_line = tuple_line
        if invalid_date:
            log.error("findFailure failed to parse timeText: %s", tuple_line[1])
        if far_from_now:
            self._warn_far_from_now(line)
        if no_date_match and not self._warned_no_date:
            self._warned_no_date = True
            log.warning(
                "Found a match but no valid date/time found for %r. Please try "
                "setting a custom date pattern (see man page jail.conf(5)).",
                line,
            )
        for index in no_id_group:
            log.error("No group found in %r using %r", line, self.failregex[index].expanded)
        result.prefregex_matched = prefregex_matched
        result.ignored_by = ignored_by
        out = result.failures
        for regex, when, data, kind, text, cidr in failures:
            if kind == _ID_RAW:
                out.append(Failure(regex, Address.of(text, cidr), when, data))
            elif kind == _ID_DNS:
                for address in self.resolver.text_to_ips(text, self.usedns):
                    out.append(Failure(regex, address, when, data))
            else:
                out.append(Failure(regex, None, when, data))
        return result

    def _far_from_now(self, when: float, now: float, line: str) -> bool:
        """The server's test for a date to be replaced by now (more than 60 s away),
        warning once about such lines."""
        if abs(int(when - now)) <= 60:
            return False
        self._warn_far_from_now(line)
        return True

    def _warn_far_from_now(self, line: str) -> None:
        if not self._warned_time:
            self._warned_time = True
            log.warning(
                "log entry time is far from now; treating such entries "
                "as if they just happened. Line: %s",
                line,
            )

    def process_file(
        self,
        stream: BinaryIO,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        incomplete: bool = False,
        date: tuple[float, str] | None = None,
    ) -> Iterator[tuple[ChunkResult, int]]:
        """Process a binary stream chunk by chunk; yields
        ``(chunk_result, bytes_read_so_far)``."""
        first = 0
        consumed = 0
        for chunk in read_chunks(stream, self.logencoding, chunk_size, incomplete):
            consumed += len(chunk)
            result = self.process_chunk(chunk, first, date)
            first += result.lines
            yield result, consumed

    # -- internals --------------------------------------------------------

    @staticmethod
    def _count_skipped(data: bytes) -> int:
        """Comment (``#``) and empty lines of a chunk of whole lines (one pass
        in Rust: the byte searches it replaces were a tenth of a 1M-line run)."""
        return count_skipped(data)

    def _process_chunk_per_line(
        self, data: bytes, first: int, date: tuple[float, str] | None
    ) -> ChunkResult:
        parts = data.split(b"\n")
        if parts and parts[-1] == b"":
            parts.pop()
        results: list[LineResult] = []
        skipped = 0
        for number, raw in enumerate(parts, first):
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if self.skip_comments and _skippable(line):
                skipped += 1
                continue
            results.append(self.process_line(line, number, date))
        return ChunkResult(results, len(parts), skipped, 0)

    def _cut_date(
        self, line: str, date: tuple[float, str] | None
    ) -> tuple[TupleLine, float | None, bool]:
        """fail2ban's ``processLine`` date handling: ``(tuple_line, date, no_date)``."""
        if date is not None:
            when, text = date
            self._last_time_text = text
            self._last_date = when
            return ("", text, line), when, False
        now = self.clock()
        found = self.date_detector.find(line, now)
        when: float | None = None
        if found is None:
            tuple_line: TupleLine = ("", "", line)
        else:
            epoch, start, end = found
            tuple_line = (line[:start], line[start:end], line[end:])
            if start < end:
                if epoch is not None:
                    when = epoch
                    self._last_time_text = tuple_line[1]
                    self._last_date = epoch
                else:
                    log.error("findFailure failed to parse timeText: %s", tuple_line[1])
            elif self._last_date is not None and self._last_date > now - 60:
                tuple_line = ("", self._last_time_text, line)
                when = self._last_date
            else:
                when = now
        no_date = False
        if when is None:
            no_date = True
            if self._last_date is not None and self._last_date > now - 60:
                tuple_line = ("", self._last_time_text, line)
                when = self._last_date
            elif self.check_find_time and self.in_operation:
                when = now
        return tuple_line, when, no_date

    def _search(
        self, kind: str, index: int, regex: Regex, text: str, lines: list[TupleLine]
    ) -> RegexMatch | None:
        """Match one regex (``kind`` ``pre``/``fail``/``ignore``) against a
        buffer text."""
        if self._multi:
            found = regex.compiled.search(text)
            if found is None:
                return None
            matched, unmatched = split_match(found, lines)
            return RegexMatch(regex.groups(found.groupdict()), matched, unmatched)
        if kind == "pre":
            set_id, pattern_id = 0, _PREF_ID
        elif kind == "fail":
            set_id, pattern_id = 1, 1 + index
        else:
            # The ignoreregexes are in both exact sets; use the one already run.
            set_id = 1 if (1, text) in self._search_cache else 0
            pattern_id = 1 + len(self.failregex) + index
        found_groups = self._exact(set_id, text).get(pattern_id)
        if found_groups is None:
            return None
        if kind == "ignore":  # only tested; the groups dict is not handed out
            return RegexMatch(found_groups, lines, [])  # type: ignore[arg-type]
        # Each failregex/prefregex match is used once per line: no copy needed.
        return RegexMatch(regex.groups(found_groups), lines, [])

    def _exact(self, set_id: int, text: str) -> dict[int, dict[str, str | None]]:
        """Every pattern of exact set ``set_id`` (0: prefregex + ignoreregex,
        1: failregex + ignoreregex) that matches ``text`` (cached per line)."""
        key = (set_id, text)
        cached = self._search_cache.get(key)
        if cached is not None:
            return cached
        matcher = self._exact_fail if set_id == 1 else self._exact_pre
        found: dict[int, dict[str, str | None]] = {}
        if matcher is not None:
            matches, _, limit_hits = matcher.match_line(text)
            if limit_hits:
                self.limit_hits += limit_hits
            for match in matches:
                if match[2] not in found:
                    found[match[2]] = match[3]
        self._search_cache[key] = found
        return found

    def _ignore_line(
        self,
        text: str,
        lines: list[TupleLine],
        fail_match: RegexMatch | None,
        result: LineResult,
    ) -> int | None:
        if fail_match is not None and self._multi:
            lines = fail_match.matched
            text = buffer_text(lines)
        first: int | None = None
        for j, regex in enumerate(self.ignoreregex):
            if self._search("ignore", j, regex, text, lines) is None:
                continue
            if first is None:
                first = j
            result.ignored_by.append(j)
            if (not self.check_all or self._multi) and fail_match is not None:
                self._set_buffer(fail_match.unmatched)
            if not self.check_all:
                break
        return first

    def _set_buffer(self, lines: list[TupleLine]) -> None:
        self._buffer = lines

    def _find_failures(
        self,
        result: LineResult,
        tuple_line: TupleLine,
        when: float | None,
        no_date: bool,
        number: int,
    ) -> None:
        self._search_cache.clear()
        default_cidr = CIDR_RAW if (self.usedns == "raw" or self.raw_host) else CIDR_UNSPEC
        if self.maxlines == 1:
            self._buffer = [tuple_line]
            self._find_in_buffer(result, self._buffer, when, no_date, default_cidr)
            return
        previous = self._buffer
        previous_numbers = self._buffer_numbers
        lines = [*previous, tuple_line][-self.maxlines :]
        numbers = [*previous_numbers, number][-self.maxlines :]
        self._buffer = lines
        try:
            self._find_in_buffer(result, lines, when, no_date, default_cidr)
        finally:
            # Earlier lines that a match of this line used (fail2ban-regex
            # counts them as matched instead of missed).
            full = len(previous) >= self.maxlines
            remaining = self._buffer
            for line, line_number in zip(
                previous[int(full) :], previous_numbers[int(full) :], strict=True
            ):
                if line not in remaining:
                    result.absorbed.append(line_number)
            pool = list(zip(lines, numbers, strict=True))
            kept: list[int] = []
            for line in remaining:
                for k, (candidate, line_number) in enumerate(pool):
                    if candidate == line:
                        kept.append(line_number)
                        del pool[k]
                        break
                else:
                    kept.append(-1)
            self._buffer_numbers = kept

    def _find_in_buffer(
        self,
        result: LineResult,
        original: list[TupleLine],
        when: float | None,
        no_date: bool,
        default_cidr: int,
    ) -> None:
        failures = result.failures
        multi = self._multi
        if multi:
            text: str | None = buffer_text(original)
        else:
            only = original[0]
            text = only[0] + only[2] + "\n"
        if self._ignore_first and self._ignore_line(text, original, None, result) is not None:
            return

        pre_groups: dict[str, object] = {}
        if self.prefregex is not None:
            found = self._search("pre", 0, self.prefregex, text, original)
            if found is None:
                return
            result.prefregex_matched = True
            pre_groups = found.groups
            content = pre_groups.pop("content", None)
            if content:
                self._set_buffer([("", "", str(content))])
                text = None if multi else str(content) + "\n"

        if multi:
            indexes: Iterable[int] = range(len(self.failregex))
        else:
            # One exact call matches every failregex against the (constant)
            # single-line text; only the ones that matched need a look.
            assert text is not None
            count = len(self.failregex)
            indexes = sorted(p - 1 for p in self._exact(1, text) if 1 <= p <= count)
        failregex = self.failregex
        for index in indexes:
            regex = failregex[index]
            if text is None:
                text = buffer_text(self._buffer)
            match = self._search("fail", index, regex, text, original)
            if match is None:
                continue
            fail = match.groups
            if self.ignoreregex and self._ignore_line(text, original, match, result) is not None:
                text = None
                if not self.check_all:
                    break
                continue
            if no_date:
                if not self._warned_no_date:
                    self._warned_no_date = True
                    log.warning(
                        "Found a match but no valid date/time found for %r. Please try "
                        "setting a custom date pattern (see man page jail.conf(5)).",
                        result.line,
                    )
                if when is None and self.check_find_time:
                    continue
            if not self.check_all or self._multi:
                self._set_buffer(match.unmatched)
                text = None
            cidr = default_cidr
            raw = default_cidr == CIDR_RAW
            if pre_groups:
                merged = dict(pre_groups)
                merged.update(fail)
                fail = merged
            mlfid = fail.get("mlfid")
            if mlfid is not None:
                fail = self._merge_failure(mlfid, fail, match)
                if fail.get("nofail") and not self.check_all:
                    return
            else:
                fail["matches"] = list(fail.get("matches", [])) + match.matched  # type: ignore[call-overload]
            fid = fail.get("fid")
            host = fail.get("ip4")
            if host is not None:
                cidr = int(fail.get("cidr") or FAM_IPV4)  # type: ignore[call-overload]
                raw = True
            else:
                host = fail.get("ip6")
                if host is not None:
                    cidr = int(fail.get("cidr") or FAM_IPV6)  # type: ignore[call-overload]
                    raw = True
                else:
                    host = fail.get("dns")
                    if host is None:
                        if fid is None and mlfid is None:
                            log.error("No group found in %r using %r", result.line, regex.expanded)
                            continue
                        host = fid
                        raw = True
            fids: list[Address | None]
            if host is None:
                fail["mlfpending"] = 1
                if not self.check_all and self.ignore_pending:
                    return
                fids = [None]
            elif raw:
                if fid is None or fid == host:
                    fids = [Address.of(str(host), cidr)]
                else:
                    fail["ip"] = Address.of(str(host), cidr)
                    fids = [Address.of(str(fid), default_cidr)]
            else:
                fids = list(self.resolver.text_to_ips(str(host), self.usedns))
            data = fail
            if mlfid is not None:
                # The session's data keeps changing with later lines: report
                # a snapshot (fail2ban copies it in check-all mode too).
                # (The lists in it are replaced, never modified in place; the
                # users set is modified, so it is copied.)
                data = dict(fail)
                users = data.get("users")
                if users:
                    data["users"] = set(users)  # type: ignore[call-overload]
                if self.check_all:
                    fail = data
            for one in fids:
                failures.append(Failure(index, one, when, data))
            if not self.check_all:
                break

    def _merge_failure(
        self, mlfid: object, fail: dict[str, object], match: RegexMatch
    ) -> dict[str, object]:
        """Merge a failure into the pending data of its multi-line id
        (fail2ban's ``_mergeFailure``)."""
        cached = self._mlfid_cache.get(mlfid)
        users: set[object] | None = None
        flags = 0
        nofail, forget, previous_state, gained = 1, 2, 4, 8
        if fail.get("mlfgained"):
            flags |= gained | nofail
            if not fail.get("nofail"):
                fail["nofail"] = fail["mlfgained"]
        elif fail.get("nofail"):
            flags |= nofail
        if fail.pop("mlfforget", None):
            flags |= forget
        if cached:
            known: dict[str, object] = cached[1]  # type: ignore[index]
            users = _add_user(known, fail.get("user"))
            if known.pop("nofail", None):
                flags |= previous_state
            if known.pop("mlfgained", None):
                flags |= previous_state
            if flags & gained:
                known.pop("mlfpending", None)
            if not flags & previous_state and not known.get("mlfpending", 0):
                known.pop("matches", None)
            known.update((k, v) for k, v in fail.items() if v is not None)
            fail = known
            if flags & forget:
                self._mlfid_cache.unset(mlfid)
        elif not flags & forget:
            users = _add_user(fail, fail.get("user"))
            self._mlfid_cache.set(mlfid, [self._last_date, fail])
        if fail.pop("mlfpending", 0) or (users and len(users) > 1):
            fail.pop("nofail", None)
            fail.pop("mlfgained", None)
            flags &= ~(gained | nofail)
        if not flags & nofail:
            merged = list(fail.pop("nofail-matches", []))  # type: ignore[call-overload]
            merged += fail.get("matches", [])  # type: ignore[arg-type]
            if not flags & gained:
                merged += match.matched
            fail["matches"] = merged
        elif flags & (nofail | forget) == nofail:
            fail["nofail-matches"] = list(fail.get("nofail-matches", [])) + match.matched  # type: ignore[call-overload]
        return fail


@functools.lru_cache(maxsize=64)
def _compiled_scan_set(patterns: tuple[tuple[int, str], ...], engine: str) -> Matcher:
    """Scan sets are stateless and some engines compile slowly: filters with
    the same candidate patterns share one."""
    return compile_patterns(patterns, engine)


def dates_mid_line(datepattern: str | None) -> bool:
    """Whether a date may be cut from the middle of a line: true unless every
    date template is anchored at the line start (``{^LN-BEG}``)."""
    if datepattern is None:
        return True
    lines = [line.strip() for line in datepattern.split("\n") if line.strip()]
    return not lines or not all(
        line.startswith("{^LN-BEG}") or line.upper() == "{NONE}" for line in lines
    )


def _add_user(fail: dict[str, object], user: object) -> set[object] | None:
    users = fail.get("users")
    if user:
        if not users:
            users = set()
            fail["users"] = users
        users.add(user)  # type: ignore[union-attr]
    return users  # type: ignore[return-value]
