"""fail2ban's filter corpus, run through hyperban's filters.

For every filter of Debian's fail2ban package that has a sample log (plus
fail2ban's own ``zzz-*`` test filters), every variant (``# filterOptions:``)
processes its lines in order, and every ``# failJSON:`` expectation is
checked the way fail2ban's ``samplestestcase`` checks it: match or not, a
single failure per line, each listed field (``host`` falls back to the
failure id, ``attempts`` counts the matched lines), and the time (exactly
``mktime`` of the JSON local time in fail2ban's test zone).  The lines go
through the fast path (one scan per chunk, exact work on candidates); the
same lines are also run through the exact per-line path and must give the
same failures, which checks that candidate patterns miss nothing.

Known failures are listed in ``KNOWN_FAILURES`` with their reasons (they are
strict xfails: fixing one makes the suite say so).
"""

from __future__ import annotations

import datetime
import os
import time

import pytest
from corpus import (
    CONFIG_DIR,
    TEST_NOW,
    TEST_NOW_STR,
    Variant,
    all_variants,
    filters_with_samples,
    needs_fail2ban,
)

pytestmark = needs_fail2ban

#: The engine of the full run (``HYPERBAN_CORPUS_ENGINE`` overrides, for debugging).
ENGINE = os.environ.get("HYPERBAN_CORPUS_ENGINE", "hyperscan")

#: (variant key) -> reason.  Every entry is an explicit, strict xfail.
KNOWN_FAILURES: dict[str, str] = {
    "zzz-sshd-obsolete-multiline": (
        "fail2ban 1.0.2 itself reports the 'Connection closed ... [preauth]' line "
        "(sshd:172) as a failure with this obsolete multi-line test filter, as hyperban "
        "does (see test_filter_oracle.py); fail2ban's own test of this filter cannot "
        "run on Debian (its include points into the source tree), so the stale "
        "expectation went unnoticed upstream"
    ),
}

#: Filters also run with the ``regex`` and ``python`` engines.
OTHER_ENGINE_FILTERS = (
    "sshd",
    "apache-auth",
    "apache-badbots",
    "postfix",
    "dovecot",
    "nginx-http-auth",
    "exim",
    "asterisk",
    "courier-smtp",
    "named-refused",
    "recidive",
    "selinux-ssh",
    "traefik-auth",
    "zzz-generic-example",
    "zzz-sshd-obsolete-multiline",
    "mysqld-auth",
)


VARIANTS = all_variants()


def _params(variants: list[Variant]) -> list[object]:
    params = []
    for v in variants:
        marks = []
        reason = KNOWN_FAILURES.get(v.key)
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(v, id=v.key, marks=marks))
    return params


def _make_filter(variant: Variant, engine: str, one_pass: bool = True):
    from hyperban.config import read_filter
    from hyperban.filter import Filter

    definition = read_filter(variant.filter, variant.basedir, params=dict(variant.options))
    return Filter.from_definition(
        definition,
        usedns="warn",
        engine=engine,
        check_all=True,
        raw_host=True,
        check_find_time=False,
        clock=lambda: float(TEST_NOW),
        one_pass=one_pass,
    )


def _run(variant: Variant, engine: str, exact: bool):
    """Results per entry index (None: not processed / no result)."""
    flt = _make_filter(variant, engine, one_pass=not exact)
    lines = []
    for entry in variant.entries:
        line = entry.line
        if variant.journal and entry.opts.get("test.prefix-line"):
            line = str(entry.opts["test.prefix-line"]) + line
        lines.append(line)
    date = (float(TEST_NOW), TEST_NOW_STR) if variant.journal else None
    data = "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
    chunk = flt.process_chunk(data, 0, date)
    assert chunk.lines == len(lines)
    results: list[object] = [None] * len(lines)
    for result in chunk.results:
        results[result.number] = result
    return results


def _expected_time(text: str) -> float:
    try:
        local = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        local = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f")
    return time.mktime(local.timetuple()) + local.microsecond / 1000000.0


def _same(actual: object, expected: object) -> bool:
    if isinstance(actual, (set, frozenset, list, dict)):
        if isinstance(actual, dict):
            return isinstance(expected, dict) and sorted(actual.items()) == sorted(expected.items())
        try:
            return sorted(actual) == sorted(expected)  # type: ignore[arg-type]
        except TypeError:
            return sorted(map(str, actual)) == sorted(map(str, expected))  # type: ignore[arg-type]
    return actual == expected


def _check(variant: Variant, results: list[object]) -> list[str]:
    problems: list[str] = []
    for entry, result in zip(variant.entries, results, strict=True):
        expect = entry.expect
        constraint = expect.get("constraint")
        if constraint and not eval(
            str(constraint), {"__builtins__": {}}, {"name": variant.filter, "opts": entry.opts}
        ):
            continue
        where = f"{entry.file}:{entry.lineno}: {entry.line!r}"
        found = []
        if result is not None:
            found = [f for f in result.failures if f.fid is not None and not f.nofail]
        if not found:
            if expect.get("match", False):
                problems.append(f"{where}: not matched but should be")
            continue
        if not expect.get("match", False):
            problems.append(f"{where}: matched (regex {found[0].regex}) but should not be")
            continue
        if len(found) != 1:
            problems.append(f"{where}: several regexes matched: {[f.regex for f in found]}")
            continue
        failure = found[0]
        for key, value in expect.items():
            if key in ("time", "match", "desc", "constraint"):
                continue
            actual = failure.data.get(key)
            if actual is None:
                if key == "host":
                    actual = failure.fid
                elif key == "attempts":
                    actual = len(failure.data.get("matches", ()))  # type: ignore[arg-type]
            if not _same(actual, value):
                problems.append(f"{where}: {key} = {actual!r}, expected {value!r}")
        when = expect.get("time")
        if when is not None:
            wanted = _expected_time(str(when))
            if failure.time != wanted:
                problems.append(f"{where}: time {failure.time!r}, expected {wanted!r} ({when})")
    return problems


def _signature(results: list[object]) -> list[object]:
    out = []
    for result in results:
        if result is None:
            out.append(None)
            continue
        failures = [
            (f.regex, None if f.fid is None else str(f.fid), f.time, f.nofail)
            for f in result.failures
        ]
        out.append(
            (failures, sorted(result.ignored_by)) if (failures or result.ignored_by) else None
        )
    return out


def test_corpus_is_complete():
    names = {v.filter for v in VARIANTS}
    stock = {n for n, d in filters_with_samples() if d == CONFIG_DIR}
    assert len(stock) >= 80
    assert stock <= names


@pytest.mark.parametrize("variant", _params(VARIANTS))
def test_filter_sample(variant: Variant, test_zone):
    results = _run(variant, ENGINE, exact=False)
    problems = _check(variant, results)
    assert not problems, "\n".join(problems[:20])
    # The fast path must find exactly what the exact path finds.
    exact = _run(variant, ENGINE, exact=True)
    assert _signature(results) == _signature(exact)


OTHER_ENGINE_VARIANTS = [v for v in VARIANTS if v.filter in OTHER_ENGINE_FILTERS]


@pytest.mark.parametrize("engine", ["regex", "python"])
@pytest.mark.parametrize("variant", _params(OTHER_ENGINE_VARIANTS))
def test_filter_sample_other_engines(variant: Variant, engine: str, test_zone):
    results = _run(variant, engine, exact=False)
    problems = _check(variant, results)
    assert not problems, "\n".join(problems[:20])
