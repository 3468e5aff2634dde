"""``python -m hyperban regex`` finds each chunk's dates ahead, on the thread that
scans it (``Filter.scan_stage(dates=True)``), while a worker runs the previous
chunk's regexes and sessions; having handed the chunk over, it evaluates
the regexes of the chunk's lines until the worker takes it
(``evaluate_meanwhile``; ``evaluate=`` evaluates a share with the scan).
Every single-line variant of fail2ban's filter corpus runs
through the tool as shipped, with the dates found by the worker's run itself,
and with half of each chunk's lines evaluated ahead (with and without
``check_all``: without it, the run evaluates them again), in chunks of a few
lines (so that dates are carried over from chunk to chunk, and the scanning
thread runs ahead of the worker).  The JSON reports must be the same, timing
figures aside.
"""

from __future__ import annotations

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

from hyperban.filter.filter import Filter

pytestmark = needs_fail2ban


def _report(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> dict[str, object]:
    freeze_tool_clock(monkeypatch)
    # 200-byte chunks: one to a few lines each (a longer line is read whole)
    return untimed_json(run_tool(["--chunk-size", "200", *args]))


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.key) for v in tool_cases()])
def test_dates_found_ahead_report_what_the_run_finds(
    variant: Variant, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    spec = filter_spec(variant)
    assert spec is not None, f"options the tool's FILTER argument cannot carry: {variant.options}"
    log = write_sample_log(variant, tmp_path)
    common = ["-c", variant.basedir, "--usedns", "no"]
    args = [*common, "--json", "--print-all-matched", str(log), spec]
    scanned_with_dates = []
    scan_stage = Filter.scan_stage

    def counting(flt: Filter, data: bytes, *, dates: bool = False, evaluate: float = 0.0):  # type: ignore[no-untyped-def]
        scan = scan_stage(flt, data, dates=dates, evaluate=evaluate)
        scanned_with_dates.append(scan.has_dates)
        return scan

    def half_evaluated(flt: Filter, data: bytes, *, dates: bool = False, evaluate: float = 0.0):  # type: ignore[no-untyped-def]
        return scan_stage(flt, data, dates=dates, evaluate=0.5)

    monkeypatch.setattr(Filter, "scan_stage", counting)
    ahead = _report(monkeypatch, args)
    with monkeypatch.context() as m:
        m.setattr(Filter, "scan_stage", lambda flt, data, **_: scan_stage(flt, data))
        by_the_run = _report(monkeypatch, args)
    assert ahead == by_the_run
    with monkeypatch.context() as m:
        m.setattr(Filter, "scan_stage", half_evaluated)
        assert _report(monkeypatch, args) == by_the_run
        first_only = _report(monkeypatch, ["--no-check-all", *args])
    assert first_only == _report(monkeypatch, ["--no-check-all", *args])
    # (a filter the tool runs line by line in Python never scans)
    assert all(scanned_with_dates)
    if scanned_with_dates and log.stat().st_size > 400:
        assert len(scanned_with_dates) > 1  # chunks of ~200 bytes
