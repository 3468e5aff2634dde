"""hyperban's filters against fail2ban's own ``Filter``, line by line.

Every variant of the corpus (see ``corpus.py``) runs through fail2ban 1.0.2's
``Filter`` (Debian's package, in a ``/usr/bin/python3`` subprocess) and
through hyperban's fast path; for every line the failures must agree: which
failregex, the failure id, the time and the ``nofail`` flag.  This checks the
lines the corpus does not annotate too (e.g. every line of a multi-line
session).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from corpus import (
    TEST_NOW,
    TEST_TZ,
    all_variants,
    fail2ban_installed,
)

ORACLE = os.path.join(os.path.dirname(__file__), "f2b_filter_oracle.py")
SYSTEM_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(
    not (fail2ban_installed() and os.path.exists(SYSTEM_PYTHON)),
    reason="Debian's fail2ban package is not installed",
)


VARIANTS = all_variants()


def _lines(variant):
    prefix = lambda e: str(e.opts.get("test.prefix-line", "")) if variant.journal else ""  # noqa: E731
    return [prefix(e) + e.line for e in variant.entries]


@pytest.fixture(scope="module")
def oracle_results():
    jobs = [
        {
            "filter": v.filter,
            "basedir": v.basedir,
            "options": v.options,
            "lines": _lines(v),
            "journal": v.journal,
            "now": TEST_NOW,
            "tz": TEST_TZ,
        }
        for v in VARIANTS
    ]
    done = subprocess.run(
        [SYSTEM_PYTHON, ORACLE],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return dict(zip((v.key for v in VARIANTS), json.loads(done.stdout), strict=True))


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.key) for v in VARIANTS])
def test_same_failures_as_fail2ban(variant, oracle_results, test_zone):
    from test_filter_corpus import ENGINE, _run

    expected = oracle_results[variant.key]
    assert not isinstance(expected, dict), f"fail2ban cannot load the filter: {expected}"
    ours = _run(variant, ENGINE, exact=False)
    diffs = []
    for entry, theirs, result in zip(variant.entries, expected, ours, strict=True):
        mine = (
            [] if result is None else [[f.regex, f.id, f.time, f.nofail] for f in result.failures]
        )
        theirs = [[r, fid, None if t is None else float(t), nf] for r, fid, t, nf in theirs]
        if sorted(map(json.dumps, mine)) != sorted(map(json.dumps, theirs)):
            diffs.append(f"{entry.file}:{entry.lineno}: fail2ban {theirs}, hyperban {mine}")
    assert not diffs, "\n".join(diffs[:20])
