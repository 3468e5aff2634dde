"""Helpers for the tests that run ``python -m hyperban regex`` on every
single-line variant of fail2ban's filter corpus, two ways, and compare the
reports (``test_regex_tool_tally.py``, ``test_regex_tool_dates_ahead.py``)."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from corpus import Variant, all_variants

from hyperban.__main__ import main as hyperban_main
from hyperban.cli import regex_tool

_PLAIN_VALUE = re.compile(r"[^,\[\]\"'=]*")

#: The tool's "now" in these runs (a line without a date is a failure of "now").
FROZEN_NOW = 1_700_000_000.0


def filter_spec(variant: Variant) -> str | None:
    """``name[k=v, ...]`` for the tool; None when a value would need quoting."""
    if not variant.options:
        return variant.filter
    if not all(_PLAIN_VALUE.fullmatch(str(v)) for v in variant.options.values()):
        return None
    return variant.filter + "[" + ", ".join(f"{k}={v}" for k, v in variant.options.items()) + "]"


def tool_cases() -> list[Variant]:
    """Every variant the tool reads from a file (journal ones need a journal)."""
    return all_variants(journal=False)


def write_sample_log(variant: Variant, directory: Path) -> Path:
    """The variant's lines as a log file in ``directory``."""
    log = directory / "sample.log"
    log.write_bytes(
        "".join(e.line + "\n" for e in variant.entries).encode("utf-8", "surrogateescape")
    )
    return log


def freeze_tool_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every filter the tool builds read :data:`FROZEN_NOW` as its time,
    so that two runs agree on the failures of lines without a date."""
    make_filter = regex_tool.RegexTool.make_filter

    def frozen_filter(tool: regex_tool.RegexTool, *args: object, **kwargs: object):
        flt = make_filter(tool, *args, **kwargs)  # type: ignore[arg-type]
        flt.clock = lambda: FROZEN_NOW
        return flt

    monkeypatch.setattr(regex_tool.RegexTool, "make_filter", frozen_filter)


def run_tool(args: list[str]) -> str:
    """What ``python -m hyperban regex --no-progress ARGS`` prints (it must
    succeed)."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert hyperban_main(["regex", "--no-progress", *args]) == 0
    return out.getvalue()


def untimed_json(text: str) -> dict[str, object]:
    """A ``--json`` report without its timing figures."""
    data = json.loads(text)
    del data["seconds"], data["lines_per_second"]
    return data
