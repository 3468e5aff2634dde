"""``python -m hyperban regex`` with its Rust tally against its Python accounting.

The tool accounts most lines in Rust (``hyperban._core.ToolTally``: counts,
listed lines, JSON match records) and gives the rest to
``RegexTool._account``.  Every single-line variant of fail2ban's filter
corpus runs through the tool as shipped and with the tally switched off
(every line accounted in Python), and each report must be the same text,
timing figures aside: the JSON report with ``--print-all-matched``, the text
report with ``--print-all-matched --print-all-ignored``, and the text report
without options.  The sample logs hold IPv4 and IPv6 ids, host names,
``F-NOFAIL`` and session lines, ignoreregexes and lines with non-ASCII text,
so both paths and their merge are exercised.
"""

from __future__ import annotations

import re

import pytest
from corpus import Variant, needs_fail2ban
from tool_runs import (
    filter_spec,
    freeze_tool_clock,
    run_tool,
    tool_cases,
    untimed_json,
    write_sample_log,
)

from hyperban.cli import regex_tool

pytestmark = needs_fail2ban


def _both(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> tuple[str, str]:
    """(with the tally, without it), both at the same time of day (a line
    without a date is a failure of "now")."""
    freeze_tool_clock(monkeypatch)
    with_tally = run_tool(args)
    with monkeypatch.context() as m:
        m.setattr(regex_tool.RegexTool, "_make_tally", lambda *a: None)
        without = run_tool(args)
    return with_tally, without


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.key) for v in tool_cases()])
def test_tally_reports_what_python_accounting_reports(
    variant: Variant, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    spec = filter_spec(variant)
    assert spec is not None, f"options the tool's FILTER argument cannot carry: {variant.options}"
    log = write_sample_log(variant, tmp_path)
    # (host names are ids to resolve, left to Python; "no" resolves nothing)
    common = ["-c", variant.basedir, "--usedns", "no"]
    ours, python = _both(monkeypatch, [*common, "--json", "--print-all-matched", str(log), spec])
    # (the records are compared as text: they are spliced into the report)
    assert ours.replace(_timing(ours), "") == python.replace(_timing(python), "")
    assert untimed_json(ours) == untimed_json(python)
    processed = re.compile(r"^\[processed in [\d.]+ sec\]$", re.M)
    for listing in (["--print-all-matched", "--print-all-ignored"], []):
        # (without --print-all-ignored the report lists the ignored lines
        # only while there are few, from the first ones kept)
        ours, python = _both(monkeypatch, [*common, *listing, str(log), spec])
        assert processed.sub("", ours) == processed.sub("", python)


def _timing(report: str) -> str:
    """The ``seconds`` and ``lines_per_second`` entries of a JSON report."""
    found = re.search(r'"seconds": [^,]+, "lines_per_second": [^,]+, ', report)
    assert found, report[:300]
    return found.group(0)
