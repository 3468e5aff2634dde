"""The Rust exact stage (``hyperban._core.FilterProgram``) against the Python
candidate path, on fail2ban's filter corpus.

Every single-line variant of the corpus runs twice through
:meth:`Filter.process_chunk` on the one-pass scan: once with the filter's
Rust program (scan, date cut, prefregex, failregex and ignoreregex in one
call per chunk) and once with it switched off (the same scan, then the exact
checks one Python call each).  The outcomes must be identical: per line the
failures (failregex, id, time, fields, matched lines), the ignoreregexes
that matched, errors, the prefregex hit count, the limit hits, the date
templates' hit counts and the date carried to the next chunk.  The lines are
fed in small chunks so that the date carried from chunk to chunk counts.
"""

from __future__ import annotations

import pytest
from corpus import (
    TEST_NOW,
    Variant,
    all_variants,
    needs_fail2ban,
)

pytestmark = needs_fail2ban


VARIANTS = all_variants(journal=False)


def _make_filter(variant: Variant, engine: str, check_all: bool):
    from hyperban.config import read_filter
    from hyperban.filter import Filter

    definition = read_filter(variant.filter, variant.basedir, params=dict(variant.options))
    return Filter.from_definition(
        definition,
        usedns="warn",
        engine=engine,
        check_all=check_all,
        raw_host=True,
        skip_comments=True,
        clock=lambda: float(TEST_NOW),
    )


def _outcome(variant: Variant, engine: str, check_all: bool, fast: bool):
    flt = _make_filter(variant, engine, check_all)
    if flt.maxlines > 1:
        return None
    if fast:
        assert flt._program is not None, "no Rust program for a single-line filter"
    else:
        flt._program = None
    lines = [entry.line for entry in variant.entries]
    data = "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
    # Chunks of a few lines each, cut at line ends.
    chunks: list[bytes] = []
    parts = data.split(b"\n")[:-1]
    for start in range(0, len(parts), 7):
        chunks.append(b"".join(p + b"\n" for p in parts[start : start + 7]))
    per_line: dict[int, object] = {}
    prefregex = 0
    limit_hits = 0
    counted = 0
    first = 0
    for chunk in chunks:
        result = flt.process_chunk(chunk, first)
        first += result.lines
        counted += result.lines - result.skipped
        limit_hits += result.limit_hits
        prefregex += result.prefregex_only
        for r in result.results:
            prefregex += r.prefregex_matched
            if not (r.failures or r.ignored_by or r.error):
                continue  # the fast path only reports lines with an outcome
            per_line[r.number] = (
                r.status,
                r.tuple_line,
                list(r.ignored_by),
                r.error,
                [(f.regex, f.id, f.ip, f.time, f.fields(), f.matches) for f in r.failures],
            )
    return {
        "lines": per_line,
        "prefregex": prefregex,
        "limit_hits": limit_hits,
        "counted": counted,
        "templates": flt.date_detector.template_hits(),
        "carry": (flt._last_date, flt._last_time_text),
    }


@pytest.mark.parametrize("check_all", [True, False], ids=["check-all", "first-match"])
@pytest.mark.parametrize("variant", VARIANTS, ids=[v.key for v in VARIANTS])
def test_program_agrees_with_python_path(variant: Variant, check_all: bool) -> None:
    fast = _outcome(variant, "hyperscan", check_all, fast=True)
    if fast is None:
        pytest.skip("multi-line filter: no Rust program")
    slow = _outcome(variant, "hyperscan", check_all, fast=False)
    assert fast == slow


@pytest.mark.parametrize("name", ["sshd", "postfix", "apache-auth", "recidive"])
def test_program_regex_engine(name: str) -> None:
    variants = [v for v in VARIANTS if v.filter == name]
    assert variants
    for variant in variants:
        fast = _outcome(variant, "regex", True, fast=True)
        if fast is None:
            continue
        assert fast == _outcome(variant, "regex", True, fast=False)


def test_python_engine_has_no_program() -> None:
    variant = next(v for v in VARIANTS if v.filter == "sshd")
    flt = _make_filter(variant, "python", True)
    assert flt._program is None


def test_multi_filter_single_pass_agrees_with_separate_runs() -> None:
    """Every corpus filter (multi-line ones included: they run on their own)
    over all sample lines at once, in one pass, against each filter alone."""
    from hyperban.filter import MultiFilter

    chosen: dict[str, Variant] = {}
    for v in VARIANTS:
        chosen.setdefault(v.filter, v)  # the first variant of each filter
    variants = list(chosen.values())
    lines = [entry.line for v in variants for entry in v.entries]
    data = [(line + "\n").encode("utf-8", "surrogateescape") for line in lines]
    chunks = [b"".join(data[i : i + 500]) for i in range(0, len(data), 500)]

    def summary(result, out):
        out["prefregex"] += result.prefregex_only
        out["limit_hits"] += result.limit_hits
        out["counted"] += result.lines - result.skipped
        for r in result.results:
            out["prefregex"] += r.prefregex_matched
            if r.failures or r.ignored_by or r.error:
                out["lines"][r.number] = (
                    r.status,
                    r.tuple_line,
                    list(r.ignored_by),
                    [(f.regex, f.id, f.time, f.fields()) for f in r.failures],
                )

    def empty():
        return {"lines": {}, "prefregex": 0, "limit_hits": 0, "counted": 0}

    together = [_make_filter(v, "hyperscan", True) for v in variants]
    multi = MultiFilter(together)
    assert len(multi._shared) > 80  # the single-line filters
    got = [empty() for _ in variants]
    first = 0
    for chunk in chunks:
        results = multi.process_chunk(chunk, first)
        first += results[0].lines
        for out, result in zip(got, results, strict=True):
            summary(result, out)
    for variant, flt, out in zip(variants, together, got, strict=True):
        alone = _make_filter(variant, "hyperscan", True)
        expected = empty()
        first = 0
        for chunk in chunks:
            result = alone.process_chunk(chunk, first)
            first += result.lines
            summary(result, expected)
        assert out == expected, variant.key
        assert flt.date_detector.template_hits() == alone.date_detector.template_hits()
