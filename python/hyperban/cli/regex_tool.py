"""``python -m hyperban regex [OPTIONS] LOG FILTER [IGNOREREGEX]``.

A drop-in for ``fail2ban-regex``: same arguments, same report, same counts,
much faster (one scan per chunk of the log; see :mod:`hyperban.filter`).

LOG is a log file, or a log line (several lines separated by ``\\n``).
FILTER is a filter name with options (``sshd[mode=aggressive]``), a path to a
filter file, or a failregex.  IGNOREREGEX is an ignoreregex.

Extras: ``--json`` (one JSON object instead of the report), ``--engine``
(``hyperscan``, ``regex``, ``python``), ``--bench`` (run every engine on the
input and report lines/s), ``--exact`` (process every line on the exact path:
also counts prefregex matches on non-candidate lines), a progress bar on a
terminal.

Exit status: 0 on success, 255 on errors (like fail2ban-regex).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import io
import json
import locale
import logging
import os
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TextIO, TypeVar

from hyperban._core import ChunkScan, ToolTally
from hyperban.cli.heap import keep_heap_top
from hyperban.filter import ChunkResult, Filter, FilterError, LineResult
from hyperban.filter.failure import fields_for_output
from hyperban.filter.filter import QuietLines
from hyperban.matcher import ENGINES

__all__ = ["RegexTool", "build_parser", "main"]

log = logging.getLogger("hyperban.regex")

_FILTER_SPEC = re.compile(r"(?ms)^/{0,3}[\w/_\-.]+(?:\[.*\])?$")
_PROGRESS_MIN_BYTES = 64 << 20
# The tool reads its log in chunks of this size (the daemon reads up to
# DEFAULT_CHUNK_SIZE, 8 MB, at once).  The stage of one chunk runs on a
# worker while this thread scans the next, so the first scan and the last
# stage overlap nothing: with 8 MB chunks of a 100 MB log that was a sixth
# of the work.  Smaller chunks also keep a chunk's records in cache.
# Medians of 5 interleaved runs, 1M lines (auth 5%, auth 50%, 30 filters in
# one pass): 8 MB 0.59/2.43/0.30 s, 2 MB 0.51/2.31/0.26 s, 1 MB 0.47/1.92/
# 0.25 s, 512 KB 0.46/1.83/0.26 s, 256 KB 0.48/2.05/0.30 s (per-chunk costs).
_CHUNK_SIZE = 512 << 10


class ToolError(Exception):
    """An error reported as ``ERROR: ...`` with exit status 255."""


def _preferred_encoding() -> str:
    return locale.getpreferredencoding(False) or "UTF-8"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m hyperban regex",
        description=(
            "Test fail2ban filters on a log: a faster fail2ban-regex. "
            "LOG: a log file or a log line; FILTER: a filter name with options "
            "(sshd[mode=aggressive]), a filter file, or a failregex; "
            "IGNOREREGEX: an ignoreregex."
        ),
    )
    p.add_argument("log", metavar="LOG")
    p.add_argument("regex", metavar="FILTER")
    p.add_argument("ignoreregex", metavar="IGNOREREGEX", nargs="?")
    p.add_argument(
        "-c",
        "--config",
        default="/etc/fail2ban",
        help="configuration directory (default: /etc/fail2ban)",
    )
    p.add_argument("-d", "--datepattern", help="date pattern (overrides the filter's)")
    p.add_argument(
        "--timezone", "--TZ", dest="timezone", help="time zone of dates without one (logtimezone)"
    )
    p.add_argument(
        "-e",
        "--encoding",
        default=_preferred_encoding(),
        help="log encoding (default: the locale's)",
    )
    p.add_argument("-r", "--raw", action="store_true", help="raw hosts: never resolve names")
    p.add_argument("--usedns", help="yes, warn, no or raw: how <HOST> treats host names")
    p.add_argument("-L", "--maxlines", type=int, default=0, help="maxlines (multi-line buffer)")
    p.add_argument("-m", "--journalmatch", help="(systemd journal only; not supported)")
    p.add_argument("-l", "--log-level", default="critical", help="log level of messages")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more output")
    p.add_argument("--verbosity", type=int, dest="verbose", help="verbosity 0..4")
    p.add_argument(
        "--verbose-date",
        "--VD",
        action="store_true",
        dest="verbose_date",
        help="show date template details",
    )
    p.add_argument("-D", "--debuggex", action="store_true", help="(accepted, no effect)")
    p.add_argument(
        "--no-check-all",
        action="store_false",
        dest="check_all",
        help="stop at the first matching failregex of a line",
    )
    p.add_argument(
        "-o",
        "--out",
        help="print only failure information: id, ip, msg, row, "
        "a field name, or a template with <tags>",
    )
    p.add_argument("--print-no-missed", action="store_true")
    p.add_argument("--print-no-ignored", action="store_true")
    p.add_argument("--print-all-matched", action="store_true")
    p.add_argument("--print-all-missed", action="store_true")
    p.add_argument("--print-all-ignored", action="store_true")
    p.add_argument("-t", "--log-traceback", action="store_true", help="(accepted, no effect)")
    p.add_argument("--full-traceback", action="store_true", help="(accepted, no effect)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--engine", choices=ENGINES, default="hyperscan", help="matcher engine")
    p.add_argument("--bench", action="store_true", help="time every engine on the input")
    p.add_argument(
        "--exact", action="store_true", help="run every line through the exact path (slow)"
    )
    p.add_argument("--chunk-size", type=int, default=_CHUNK_SIZE, help=argparse.SUPPRESS)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


@dataclass
class _Stats:
    tested: int = 0
    matched: int = 0
    ignored: int = 0
    missed: int = 0
    prefregex: int = 0
    limit_hits: int = 0
    errors: int = 0
    fail_hits: list[int] = field(default_factory=list)
    ignore_hits: list[int] = field(default_factory=list)
    # (0-based line, text) of the lines accounted here; with a tally, its
    # own lines are merged in when the report is printed (see lines())
    matched_lines: list[tuple[int, str]] = field(default_factory=list)
    ignored_lines: list[tuple[int, str]] = field(default_factory=list)
    missed_lines: list[str] = field(default_factory=list)
    matches: list[dict[str, object]] = field(default_factory=list)
    # line numbers that are not missed (for listing missed lines afterwards)
    not_missed: set[int] = field(default_factory=set)
    # quiet lines counted in bulk; their ignored lines are not missed either
    quiet: list[QuietLines] = field(default_factory=list)
    # the lines the Rust stage accounted itself (counts added in by add_tally)
    tally: ToolTally | None = None
    seconds: float = 0.0

    def all_not_missed(self) -> set[int]:
        """``not_missed`` with the ignored lines of the ``quiet`` summaries
        and the tally's lines."""
        for q in self.quiet:
            self.not_missed.update(q.ignored_numbers())
        self.quiet.clear()
        if self.tally is not None:
            self.not_missed.update(self.tally.not_missed())
        return self.not_missed

    def add_tally(self) -> None:
        """Add the tally's counts (once, after processing)."""
        if self.tally is None:
            return
        matched, ignored, prefregex, fail_hits, ignore_hits = self.tally.counts()
        self.matched += matched
        self.ignored += ignored
        self.prefregex += prefregex
        self.fail_hits = [a + b for a, b in zip(self.fail_hits, fail_hits, strict=True)]
        self.ignore_hits = [a + b for a, b in zip(self.ignore_hits, ignore_hits, strict=True)]

    def lines(self, kind: str, limit: int | None = None) -> list[str]:
        """The texts of the ``matched`` or ``ignored`` lines in line order
        (the first ``limit``), the tally's included."""
        own = self.matched_lines if kind == "matched" else self.ignored_lines
        if self.tally is None:
            return [text for _, text in own[:limit]]
        if kind == "matched":
            return self.tally.matched_lines(own)[:limit]
        return self.tally.ignored_lines(own, limit)

    def matches_json(self) -> str:
        """The match records as the inside of a JSON array, in line order."""
        own = [(m["line"] - 1, json.dumps(m, ensure_ascii=False)) for m in self.matches]  # type: ignore[operator]
        if self.tally is None:
            return ", ".join(text for _, text in own)
        return self.tally.matches_json(own)


@dataclass
class _FilterSetup:
    failregex: list[str] = field(default_factory=list)
    ignoreregex: list[str] = field(default_factory=list)
    prefregex: str | None = None
    maxlines: int | None = None
    datepattern: str | None = None
    logencoding: str | None = None
    logtimezone: str | None = None
    files: list[str] = field(default_factory=list)

    def locate(self, source: str | None) -> str | None:
        """``file:line`` of the filter file line holding ``source`` (a regex
        as resolved from the file; the first line found wins)."""
        if not source:
            return None
        needle = source.strip().splitlines()[0].strip() if source.strip() else ""
        for path in reversed(self.files):
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for number, text in enumerate(fh, 1):
                        if needle and needle in text:
                            return f"{path}:{number}"
            except OSError:
                continue
        return self.files[-1] if self.files else None


class RegexTool:
    """One run of the tool (see :func:`main`)."""

    def __init__(
        self, opts: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.opts = opts
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.setup = _FilterSetup()
        self.report_lines = 20 if not opts.maxlines else opts.maxlines
        self.quiet = bool(opts.out) or opts.json

    # -- output helpers ---------------------------------------------------

    def say(self, text: str = "") -> None:
        if not self.quiet:
            print(text, file=self.out)

    def _pprint(self, items: list[str], header: str | None = None) -> None:
        if not items:
            return
        head = f"|- {header}\n" if header else ""
        print(head + "|  " + "\n|  ".join(items) + "\n`-", file=self.out)

    # -- filter set-up (fail2ban-regex's readRegex) -------------------------

    def read_regex(self, value: str, kind: str) -> None:
        label = kind + "regex"
        if kind == "fail" and _FILTER_SPEC.search(value):
            found = self._find_filter_file(value)
            if found is not None:
                self._load_filter_file(value, *found)
                return
        self.say(f"Use {label:>11} line : {_shorten(value)}")
        if kind == "fail":
            self.setup.failregex = [value]
        else:
            self.setup.ignoreregex = [value]

    def _find_filter_file(self, value: str) -> tuple[str, dict[str, str], str, str] | None:
        from hyperban.config import extract_options

        basedir = self.opts.config
        try:
            name, params = extract_options(value)
        except ValueError as e:
            raise ToolError(
                f"Wrong filter name or options: {e}\n       while parsing: {value}"
            ) from None
        tries = (name,) if "." in name[-6:] else (name, name + ".conf", name + ".local")
        for candidate in tries:
            path = candidate
            if "/" not in candidate:
                if os.path.basename(basedir) == "filter.d":
                    path = os.path.join(basedir, candidate)
                else:
                    path = os.path.join(basedir, "filter.d", candidate)
            else:
                basedir = os.path.dirname(candidate)
            if os.path.isfile(path):
                return name, params, path, basedir
        return None

    def _load_filter_file(
        self, value: str, name: str, params: dict[str, str], path: str, basedir: str
    ) -> None:
        from hyperban.config import ConfigError, read_filter

        standard = (
            basedir == self.opts.config
            or os.path.basename(basedir) == "filter.d"
            or ("." not in name[-6:] and "/" not in name)
        )
        if standard:
            if os.path.basename(basedir) == "filter.d":
                basedir = os.path.dirname(basedir)
            name = os.path.splitext(os.path.basename(name))[0]
            self.say(f"Use   failregex filter file : {name}, basedir: {basedir}")
        else:
            self.say(f"Use   failregex file : {name}")
            stem, ext = os.path.splitext(os.path.abspath(path))
            if ext not in (".conf", ".local"):
                raise ToolError(
                    f"failed to load filter {value}: a filter file must end in .conf or .local"
                )
            name = stem
            basedir = self.opts.config if os.path.isdir(self.opts.config) else "/"
        if params:
            self.say(f"Use   filter options : {params!r}")
        try:
            definition = read_filter(name, basedir, params=params, backend="auto")
        except ConfigError as e:
            raise ToolError(
                f"Wrong config file: {e}\nERROR: failed to load filter {value}"
            ) from None
        except (OSError, ValueError) as e:
            raise ToolError(f"failed to load filter {value}: {e}") from None
        s = self.setup
        s.files = list(definition.files)
        s.failregex = list(definition.failregex)
        s.ignoreregex = list(definition.ignoreregex)
        s.prefregex = definition.prefregex or None
        if definition.maxlines is not None:
            s.maxlines = definition.maxlines
        if definition.datepattern is not None:
            s.datepattern = definition.datepattern
        for key in ("logencoding", "logtimezone"):
            v = definition.options.get(key)
            if v:
                setattr(s, key, str(v))

    def make_filter(self, engine: str, exact: bool = False) -> Filter:
        opts = self.opts
        s = self.setup
        maxlines = opts.maxlines or s.maxlines or 1
        datepattern = opts.datepattern if opts.datepattern else s.datepattern
        flt = Filter(
            s.failregex,
            s.ignoreregex,
            prefregex=s.prefregex,
            maxlines=maxlines,
            datepattern=datepattern,
            logtimezone=opts.timezone or s.logtimezone,
            usedns=opts.usedns or "warn",
            logencoding=opts.encoding,
            engine=engine,
            check_all=opts.check_all and not opts.out,
            ignore_pending=bool(opts.out),
            raw_host=opts.raw,
            skip_comments=True,
        )
        if exact:
            flt.per_line = True
        return flt

    # -- processing ---------------------------------------------------------

    def run(self) -> int:
        opts = self.opts
        if opts.print_no_missed and opts.print_all_missed:
            raise ToolError("--print-no-missed and --print-all-missed are mutually exclusive.")
        if opts.print_no_ignored and opts.print_all_ignored:
            raise ToolError("--print-no-ignored and --print-all-ignored are mutually exclusive.")
        if opts.log.startswith("systemd-journal"):
            raise ToolError("systemd-journal is not supported by this tool")
        self.say()
        self.say("Running tests")
        self.say("=============")
        self.say()
        self.read_regex(opts.regex, "fail")
        if opts.ignoreregex is not None:
            self.read_regex(opts.ignoreregex, "ignore")
        maxlines = opts.maxlines or self.setup.maxlines or 1
        self.say(f"Use         maxlines : {maxlines}")
        datepattern = opts.datepattern or self.setup.datepattern
        try:
            flt = self.make_filter(opts.engine, opts.exact)
        except FilterError as e:
            where = self.setup.locate(e.source)
            raise ToolError(f"{where}: {e}" if where else str(e)) from None
        if datepattern is not None:
            names = flt.date_detector.templates
            label = names[0] if len(names) == 1 else "Default Detectors"
            self.say(f"Use      datepattern : {datepattern} : {label}")

        is_file = os.path.isfile(opts.log)
        if is_file:
            try:
                with open(opts.log, "rb"):
                    pass
            except OSError as e:
                raise ToolError(str(e)) from None
            self.say(f"Use         log file : {opts.log}")
            self.say(f"Use         encoding : {opts.encoding}")
        elif os.path.exists(opts.log) and not os.path.isfile(opts.log):
            raise ToolError(f"{opts.log} is not a regular file")
        else:
            if maxlines <= 1 and "\n" not in opts.log:
                self.say("Use      single line : " + _shorten(opts.log.replace("\n", r"\n")))
            else:
                lines = opts.log.split("\n")
                self.say(f"Use      multi line : {len(lines)} line(s)")
                for i, line in enumerate(lines):
                    if i >= 5:
                        self.say("| ...")
                        break
                    self.say(f"| {str(i + 1)[:2]:>2}: {_shorten(line)}")
                self.say("`-")
        self.say()

        if opts.bench:
            return self.bench(is_file)
        stats = self.process(flt, is_file)
        if opts.out:
            return 0
        if opts.json:
            self.print_json(flt, stats)
        else:
            self.print_report(flt, stats, is_file)
        return 0

    def _input(self, is_file: bool) -> Iterator[tuple[bytes, int, int]]:
        """(chunk, bytes consumed, total bytes)."""
        opts = self.opts
        if not is_file:
            text = opts.log
            if opts.maxlines <= 1 and (self.setup.maxlines or 1) <= 1 and "\n" not in text:
                lines = [text]
            else:
                lines = text.split("\n")
            data = "".join(line.rstrip("\r\n") + "\n" for line in lines).encode(
                "utf-8", "surrogateescape"
            )
            yield data, len(data), len(data)
            return
        from hyperban.filter.source import read_chunks

        total = os.path.getsize(opts.log)
        consumed = 0
        with open(opts.log, "rb") as fh:
            for chunk in read_chunks(fh, opts.encoding, opts.chunk_size):
                consumed = fh.tell()
                yield chunk, consumed, total

    def process(self, flt: Filter, is_file: bool, collect: bool = True) -> _Stats:
        opts = self.opts
        stats = _Stats(fail_hits=[0] * len(flt.failregex), ignore_hits=[0] * len(flt.ignoreregex))
        out_fn = self._output_function() if opts.out else None
        progress = (
            _Progress(self.err)
            if (
                is_file
                and not opts.no_progress
                and self.err.isatty()
                and os.path.getsize(opts.log) >= _PROGRESS_MIN_BYTES
            )
            else None
        )
        recent: deque[tuple[int, str]] = deque(maxlen=max(flt.maxlines, 1))
        if flt.program is not None and out_fn is None:
            # (the tally takes each chunk's outcomes in the worker's run, on
            # the thread that made them: see the README's design notes)
            stats.tally = flt.tally = self._make_tally(flt, collect)
        first = 0
        # The accounting keeps every matched line's record alive: the cyclic
        # garbage collector's passes over them cost half the time (py-spy).
        collecting = gc.isenabled()
        gc.disable()
        t0 = time.time()
        try:
            if flt.program is not None:
                # The Rust stage of the next chunk runs on a worker thread
                # while this one accounts for the current chunk.
                # (the candidate scan of the next chunk and its lines' dates
                # are made here, while the worker runs the current chunk's
                # stage; then, the next chunk handed over, the regexes of its
                # lines until the worker takes it: each thread takes as many
                # lines as it has time for)
                def stage(chunk: bytes, arg: tuple[int | None, ChunkScan]) -> tuple:  # type: ignore[type-arg]
                    flt.summarize_quiet = arg[0]
                    return flt.run_stage(chunk, arg[1])

                def arg(chunk: bytes) -> tuple[int | None, ChunkScan]:
                    return self._quiet_keep(stats, out_fn, collect), flt.scan_stage(
                        chunk, dates=True
                    )

                def meanwhile(chunk: bytes, arg: tuple[int | None, ChunkScan]) -> None:
                    # (only a run with check_all takes lines evaluated ahead)
                    if flt.check_all and arg[1].has_dates:
                        flt.evaluate_meanwhile(chunk, arg[1])

                staged = _pipelined(self._input(is_file), stage, arg, meanwhile)
                chunks: Iterator[tuple[Callable[[int], ChunkResult], int, int]] = (
                    (functools.partial(flt.finish_stage, run, chunk), consumed, total)
                    for run, chunk, consumed, total in staged
                )
            else:
                chunks = (
                    (functools.partial(flt.process_chunk, chunk), consumed, total)
                    for chunk, consumed, total in self._input(is_file)
                )
            # each chunk's result, given the number of its first line
            for process, consumed, total in chunks:
                result = process(first)
                first += result.lines
                self._account_chunk(flt, stats, result, recent, out_fn, collect)
                if progress is not None:
                    progress.update(consumed, total, first, time.time() - t0)
        finally:
            if collecting:
                gc.enable()
            if progress is not None:
                progress.close()
            flt.tally = None
        stats.add_tally()
        stats.seconds = time.time() - t0
        stats.missed = stats.tested - stats.matched - stats.ignored
        return stats

    def _make_tally(self, flt: Filter, collect: bool) -> ToolTally:
        """A tally keeping what :meth:`_account` would keep."""
        opts = self.opts
        keep_ignored: int | None = self.report_lines + 1
        if not collect or opts.print_no_ignored:
            keep_ignored = 0
        elif opts.print_all_ignored:
            keep_ignored = None
        return ToolTally(
            len(flt.failregex),
            len(flt.ignoreregex),
            list_matched=collect and opts.print_all_matched,
            keep_ignored=keep_ignored,
        )

    def _quiet_keep(self, stats: _Stats, out_fn: object, collect: bool) -> int | None:
        """``Filter.summarize_quiet`` for the next chunk: the quiet lines are
        only counted, except the ignored ones whose text the report may
        still list (``stats`` may lag behind: then more are kept)."""
        opts = self.opts
        if out_fn is not None or not collect or opts.print_no_ignored:
            return 0
        if opts.print_all_ignored:
            return None
        # _account lists an ignored line while the count is at most this
        return max(0, self.report_lines + 1 - stats.ignored)

    def _account_chunk(
        self,
        flt: Filter,
        stats: _Stats,
        result: ChunkResult,
        recent: deque[tuple[int, str]],
        out_fn: object,
        collect: bool,
    ) -> None:
        stats.tested += result.lines - result.skipped
        stats.limit_hits += result.limit_hits
        stats.prefregex += result.prefregex_only
        for line in result.results:
            self._account(flt, stats, line, recent, out_fn, collect)
        quiet = result.quiet
        if quiet is not None and out_fn is None:
            # (the lines kept in ``results`` come first in line order among
            # the ignored ones, so the listed ones are the same)
            stats.ignored += quiet.ignored
            stats.prefregex += quiet.prefregex
            for i, n in enumerate(quiet.fail_hits):
                stats.fail_hits[i] += n
            for j, n in enumerate(quiet.ignore_hits):
                stats.ignore_hits[j] += n
            if quiet.ignored:
                stats.quiet.append(quiet)

    def _account(
        self,
        flt: Filter,
        stats: _Stats,
        line: LineResult,
        recent: deque[tuple[int, str]],
        out_fn: object,
        collect: bool,
    ) -> None:
        opts = self.opts
        if line.error is not None:
            stats.errors += 1
            log.error("line %d skipped: %s", line.number + 1, line.error)
        if out_fn is not None:
            found = line.found
            if found and not line.is_ignored:
                out_fn(found)  # type: ignore[operator]
            return
        failures = line.failures
        fail_hits = stats.fail_hits
        for failure in failures:
            fail_hits[failure.regex] += 1
        for j in line.ignored_by:
            stats.ignore_hits[j] += 1
        if line.prefregex_matched:
            stats.prefregex += 1
        if line.absorbed:
            texts = dict(recent)
            for number in line.absorbed:
                stats.matched += 1  # (missed is derived: one less)
                stats.not_missed.add(number)
                text = texts.get(number)
                if text is not None and text in stats.missed_lines:
                    stats.missed_lines.remove(text)
                if opts.print_all_matched and text is not None:
                    stats.matched_lines.append((number, text))
        number = line.number
        recent.append((number, line.line))
        # line.status, with the failures proper (``line.found``) listed once
        found = [f for f in failures if not f.data.get("nofail")]
        if line.ignored_by or len(found) != len(failures):
            stats.ignored += 1
            stats.not_missed.add(number)
            if (
                collect
                and not opts.print_no_ignored
                and (opts.print_all_ignored or stats.ignored <= self.report_lines + 1)
            ):
                stats.ignored_lines.append((number, line.line))
        elif found:
            stats.matched += 1
            stats.not_missed.add(number)
            if collect and opts.print_all_matched:
                stats.matched_lines.append((number, line.line))
                matches = stats.matches
                for failure in found:
                    fid = failure.fid
                    matches.append(
                        {
                            "line": number + 1,
                            "id": None if fid is None else str(fid),
                            "time": failure.time,
                            "fields": fields_for_output(failure.data),
                        }
                    )

    # -- --out ----------------------------------------------------------------

    def _output_function(self):
        fmt = self.opts.out
        write = lambda text: print(text, file=self.out)  # noqa: E731

        def msgs(failure):
            return failure.matches

        if fmt in ("id", "fid"):
            return lambda found: [write(f.id) for f in found]
        if fmt == "ip":
            return lambda found: [write(f.ip) for f in found]
        if fmt == "msg":
            return lambda found: [write(m) for f in found for m in msgs(f)]
        if fmt == "row":

            def row(found):
                for f in found:
                    data = {k: v for k, v in f.data.items() if k != "matches"}
                    write(f"[{f.id!r},\t{f.time!r},\t{_plain(data)!r}],")

            return row
        if "<" not in fmt:
            return lambda found: [write(_plain_value(f.data.get(fmt))) for f in found]

        def template(found):
            for f in found:
                values = {k: _plain_value(v) for k, v in f.data.items() if k != "matches"}
                values.update(
                    {"fid": f.id, "ip": f.ip, "time": f.time, "matches": "\n".join(f.matches)}
                )
                multi = len(f.matches) > 1 and "<msg>" in fmt
                for msg in f.matches if multi else ["\n".join(f.matches)]:
                    values["msg"] = msg

                    write(re.sub(r"<([\w\-]+)>", functools.partial(_tag_value, values), fmt))

        return template

    # -- report -----------------------------------------------------------------

    def _list_missed(self, flt: Filter, stats: _Stats, is_file: bool) -> None:
        """Collect the missed lines (a second pass; the scan only returns
        candidate lines)."""
        opts = self.opts
        if opts.print_no_missed or not stats.missed:
            return
        if not opts.print_all_missed and stats.missed >= self.report_lines:
            return
        collected: list[str] = []
        number = 0
        not_missed = stats.all_not_missed()
        for chunk, _, _ in self._input(is_file):
            for raw in chunk.split(b"\n")[:-1]:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if line and line[0] != "#" and number not in not_missed:
                    collected.append(line)
                number += 1
        stats.missed_lines = collected

    def print_report(self, flt: Filter, stats: _Stats, is_file: bool) -> None:
        opts = self.opts
        self._list_missed(flt, stats, is_file)
        p = lambda text="": print(text, file=self.out)  # noqa: E731
        p()
        p("Results")
        p("=======")

        def regex_list(title: str, sources: list[str], hits: list[int]) -> None:
            total = sum(hits)
            items = []
            for i, (source, n) in enumerate(zip(sources, hits, strict=True)):
                if n or opts.verbose:
                    items.append(f"{i + 1:2d}) [{n}] {source}")
            p(f"\n{title}: {total} total")
            self._pprint(items, " #) [# of hits] regular expression")

        if flt.prefregex is not None:
            p(f"\nPrefregex: {stats.prefregex} total")
            self._pprint([flt.prefregex.expanded])
        regex_list("Failregex", [r.source for r in flt.failregex], stats.fail_hits)
        regex_list("Ignoreregex", [r.source for r in flt.ignoreregex], stats.ignore_hits)

        hits = getattr(flt.date_detector, "template_hits", None)
        p("\nDate template hits:")
        if callable(hits):
            hits = hits()
        if hits is not None:
            items = [f"[{n}] {name}" for name, n in hits if n or opts.verbose]
            # The fast path dates candidate lines only; --exact dates every
            # line, as fail2ban-regex does.
            scope = "" if opts.exact else " (candidate lines; --exact counts every line)"
            self._pprint(items, f"[# of hits] date format{scope}")
        else:
            self._pprint(["(hit counts are not available from this date detector)"])

        p(
            f"\nLines: {stats.tested} lines, {stats.ignored} ignored, {stats.matched} matched, "
            f"{stats.missed} missed"
        )
        p(f"[processed in {stats.seconds:.2f} sec]")
        if stats.limit_hits:
            p(
                f"[{stats.limit_hits} regex check(s) stopped at the match limit: "
                "counted as not matching]"
            )
        if stats.errors:
            p(f"[{stats.errors} line(s) skipped: their date could not be converted]")
        p()
        if opts.print_all_matched:
            self._print_lines("matched", stats.matched, stats.lines("matched"))
        if not opts.print_no_ignored:
            limit = None if opts.print_all_ignored else self.report_lines + 1
            self._print_lines("ignored", stats.ignored, stats.lines("ignored", limit))
        if not opts.print_no_missed:
            self._print_lines("missed", stats.missed, stats.missed_lines)

    def _print_lines(self, kind: str, count: int, lines: list[str]) -> None:
        if not count:
            return
        header = f"{kind.capitalize()} line(s):"
        if count < self.report_lines or getattr(self.opts, f"print_all_{kind}"):
            self._pprint([x.rstrip() for x in lines], header)
        else:
            print(
                f"{header} too many to print.  Use --print-all-{kind} to print all {count} lines",
                file=self.out,
            )

    def print_json(self, flt: Filter, stats: _Stats) -> None:
        seconds = stats.seconds
        obj = {
            "lines": stats.tested,
            "matched": stats.matched,
            "ignored": stats.ignored,
            "missed": stats.missed,
            "seconds": seconds,
            "lines_per_second": (stats.tested / seconds) if seconds > 0 else None,
            "failregex_hits": stats.fail_hits,
            "ignoreregex_hits": stats.ignore_hits,
            "prefregex_hits": stats.prefregex if flt.prefregex is not None else None,
            "limit_hits": stats.limit_hits,
            "engine": flt.engine,
            "matches": [],
        }
        # the records go into the array as text (most come from the tally)
        head = json.dumps(obj, ensure_ascii=False)
        assert head.endswith("[]}")
        print(head[:-2] + stats.matches_json() + "]}", file=self.out)

    # -- --bench ------------------------------------------------------------------

    def bench(self, is_file: bool) -> int:
        rows = []
        reference: tuple[int, int, int] | None = None
        for engine in ENGINES:
            flt = self.make_filter(engine, self.opts.exact)
            stats = self.process(flt, is_file, collect=False)
            counts = (stats.matched, stats.ignored, stats.missed)
            rows.append(
                {
                    "engine": engine,
                    "lines": stats.tested,
                    "seconds": stats.seconds,
                    "lines_per_second": stats.tested / stats.seconds if stats.seconds else None,
                    "matched": stats.matched,
                    "ignored": stats.ignored,
                    "missed": stats.missed,
                }
            )
            if reference is None:
                reference = counts
            elif counts != reference:
                rows[-1]["mismatch"] = True
        if self.opts.json:
            print(json.dumps({"bench": rows}), file=self.out)
        else:
            print(
                "Engine      lines      seconds   lines/s      matched  ignored  missed",
                file=self.out,
            )
            for r in rows:
                lps = r["lines_per_second"]
                print(
                    f"{r['engine']:<10} {r['lines']:>7} {r['seconds']:>11.3f} "
                    f"{(lps or 0):>11.0f} {r['matched']:>10} {r['ignored']:>8} "
                    f"{r['missed']:>7}{'  MISMATCH' if r.get('mismatch') else ''}",
                    file=self.out,
                )
        return 1 if any(r.get("mismatch") for r in rows) else 0


class _Progress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0

    def update(self, done: int, total: int, lines: int, elapsed: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and done < total:
            return
        self.last = now
        frac = done / total if total else 1.0
        width = 30
        bar = "#" * int(frac * width)
        rate = lines / elapsed if elapsed > 0 else 0.0
        self.stream.write(
            f"\r[{bar:<{width}}] {frac * 100:5.1f}%  {lines} lines  {rate:,.0f} lines/s"
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


_Arg = TypeVar("_Arg")
_Run = TypeVar("_Run")


def _pipelined(
    chunks: Iterator[tuple[bytes, int, int]],
    stage: Callable[[bytes, _Arg], _Run],
    arg: Callable[[bytes], _Arg],
    meanwhile: Callable[[bytes, _Arg], None] | None = None,
) -> Iterator[tuple[_Run, bytes, int, int]]:
    """``(stage(chunk, arg(chunk)), chunk, consumed, total)`` for each of
    ``chunks``, in order; the stage of the next chunk runs on a worker thread
    (one stage at a time, in chunk order) while the caller handles the
    current one.  ``arg(chunk)`` is called on this thread before the chunk's
    stage is started (while the previous chunk's stage runs);
    ``meanwhile(chunk, arg)`` right after the chunk's stage is handed to the
    worker, before the previous chunk's result is waited for."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hyperban-stage") as pool:
        pending: tuple[Future[_Run], bytes, int, int] | None = None
        for chunk, consumed, total in chunks:
            made = arg(chunk)
            future = pool.submit(stage, chunk, made)
            if meanwhile is not None:
                meanwhile(chunk, made)
            if pending is not None:
                yield pending[0].result(), *pending[1:]
            pending = (future, chunk, consumed, total)
        if pending is not None:
            yield pending[0].result(), *pending[1:]


def _tag_value(values: dict[str, object], found: re.Match[str]) -> str:
    key = found.group(1)
    if key.startswith("F-"):
        key = key[2:].lower()
    value = values.get(key)
    return found.group(0) if value is None else str(value).replace("\x00", "\\x00")


def _shorten(text: str, limit: int = 53) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain_value(value: object) -> object:
    if value is None:
        return None
    return fields_for_output({"v": value}).get("v")


def _plain(data: dict[str, object]) -> dict[str, object]:
    return {k: _plain_value(v) if v is not None else None for k, v in data.items()}


def _setup_logging(level_name: str) -> None:
    level = getattr(logging, str(level_name).upper(), None)
    if not isinstance(level, int):
        try:
            level = int(level_name)
        except ValueError:
            level = logging.CRITICAL
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-1.1s: %(message)s"))
    root = logging.getLogger("hyperban")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def run_single_pass(options: list[str], log_path: str, filters: list[str]) -> dict[str, object]:
    """Every filter in ``filters`` on the file ``log_path`` in one pass
    (:class:`hyperban.filter.multi.MultiFilter`), each with the tool's
    ``options``; the result has the processing ``seconds`` of the pass and,
    per filter, what ``--json`` reports for it alone (``lines``,
    ``matched``, ``ignored``, ``missed``, ``matches`` with
    ``--print-all-matched``).  Only the processing loop is timed."""
    from hyperban.filter.multi import MultiFilter

    parser = build_parser()
    tools: list[RegexTool] = []
    flts: list[Filter] = []
    for name in filters:
        opts = parser.parse_args([*options, log_path, name])
        if opts.out or opts.bench:
            raise ToolError("--out and --bench are not offered in a single pass")
        tool = RegexTool(opts, io.StringIO(), sys.stderr)
        tool.read_regex(opts.regex, "fail")
        if opts.ignoreregex is not None:
            tool.read_regex(opts.ignoreregex, "ignore")
        try:
            flts.append(tool.make_filter(opts.engine, opts.exact))
        except FilterError as e:
            raise ToolError(f"{name}: {e}") from None
        tools.append(tool)
    if not tools or not os.path.isfile(log_path):
        raise ToolError("a log file and at least one filter are needed")
    multi = MultiFilter(flts, tools[0].opts.engine)
    all_stats = [
        _Stats(fail_hits=[0] * len(f.failregex), ignore_hits=[0] * len(f.ignoreregex)) for f in flts
    ]
    recents: list[deque[tuple[int, str]]] = [deque(maxlen=max(f.maxlines, 1)) for f in flts]
    for tool, flt, stats in zip(tools, flts, all_stats, strict=True):
        if flt.program is not None:
            stats.tally = flt.tally = tool._make_tally(flt, True)
    first = 0
    collecting = gc.isenabled()
    gc.disable()

    def stage(chunk: bytes, arg: tuple[list[int | None], ChunkScan | None]) -> list | None:  # type: ignore[type-arg]
        for flt, keep in zip(flts, arg[0], strict=True):
            flt.summarize_quiet = keep
        return multi.run_stage(chunk, arg[1])

    def arg(chunk: bytes) -> tuple[list[int | None], ChunkScan | None]:
        keeps = [t._quiet_keep(s, None, True) for t, s in zip(tools, all_stats, strict=True)]
        return keeps, multi.scan_stage(chunk)

    t0 = time.time()
    try:
        for runs, chunk, _, _ in _pipelined(tools[0]._input(True), stage, arg):
            results = multi.finish_stage(runs, chunk, first)
            first += results[0].lines
            for tool, flt, stats, recent, result in zip(
                tools, flts, all_stats, recents, results, strict=True
            ):
                tool._account_chunk(flt, stats, result, recent, None, True)
    finally:
        if collecting:
            gc.enable()
        for flt in flts:
            flt.tally = None
    for stats in all_stats:
        stats.add_tally()
    seconds = time.time() - t0
    per_filter: dict[str, object] = {}
    for name, stats in zip(filters, all_stats, strict=True):
        stats.missed = stats.tested - stats.matched - stats.ignored
        per_filter[name] = {
            "lines": stats.tested,
            "matched": stats.matched,
            "ignored": stats.ignored,
            "missed": stats.missed,
            "failregex_hits": stats.fail_hits,
            "ignoreregex_hits": stats.ignore_hits,
            "matches": json.loads(f"[{stats.matches_json()}]"),
        }
    return {
        "seconds": seconds,
        "lines": first,
        "lines_per_second": first / seconds if seconds > 0 else None,
        "filters": per_filter,
    }


def main_single_pass(argv: list[str] | None = None) -> int:
    """``OPTIONS... -- LOG FILTER...``: :func:`run_single_pass` as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" not in args:
        print("usage: OPTIONS... -- LOG FILTER...", file=sys.stderr)
        return 2
    cut = args.index("--")
    options, rest = args[:cut], args[cut + 1 :]
    if len(rest) < 2:
        print("usage: OPTIONS... -- LOG FILTER...", file=sys.stderr)
        return 2
    keep_heap_top()
    with _no_cyclic_gc():
        try:
            result = run_single_pass(options, rest[0], rest[1:])
        except ToolError as e:
            print(f"ERROR: {e}", file=sys.stderr)
            return 255
        print(json.dumps(result, ensure_ascii=False))
    return 0


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector off for one run of the tool: the run
    makes no cycles to speak of, and once processing is over, each of the
    collector's passes would walk every result object kept for the report
    (the millions of objects made while it was off are all in its youngest
    generation: about 0.8 s of an auth50 run's output)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    opts = parser.parse_args(argv)
    _setup_logging(opts.log_level)
    tool = RegexTool(opts)
    keep_heap_top()
    try:
        with _no_cyclic_gc():
            return tool.run()
    except ToolError as e:
        print(f"ERROR: {e}", file=sys.stdout if not opts.json else sys.stderr)
        return 255
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into head(1)
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
