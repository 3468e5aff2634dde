"""Every stock filter (and every option variant the fail2ban sample logs use) must read
exactly as the installed fail2ban reads it."""

from __future__ import annotations

import glob
import json
import os
import re
from typing import Any

import pytest
from config_oracle import ETC, F2B_SAMPLE_LOGS, needs_oracle, run_oracle
from normalize import filter_folded, fold_filter_steps, my_filter_steps

from hyperban.config import ConfigLoader, InterpolationError, read_filter
from hyperban.config.filters import FilterReader

pytestmark = needs_oracle

_OPTIONS_LINE = re.compile(r"^#+ ?(filterOptions|fileOptions|addFILE):(.+)$")


def _stock_filters() -> list[str]:
    return sorted(
        os.path.basename(p)[: -len(".conf")]
        for p in glob.glob(os.path.join(ETC, "filter.d", "*.conf"))
    )


def _sample_variants() -> list[tuple[str, dict[str, str]]]:
    """(filter, options) pairs from the ``# filterOptions:`` lines of the sample logs."""
    if not os.path.isdir(F2B_SAMPLE_LOGS):
        return []
    owners: dict[str, str] = {}
    parsed: dict[str, list[tuple[str, Any]]] = {}
    for path in sorted(glob.glob(os.path.join(F2B_SAMPLE_LOGS, "*"))):
        if not os.path.isfile(path):
            continue
        name = os.path.basename(path)
        entries: list[tuple[str, Any]] = []
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = _OPTIONS_LINE.match(line.rstrip("\n"))
                if m:
                    entries.append((m.group(1), json.loads(m.group(2))))
                    if m.group(1) == "addFILE":
                        owners.setdefault(json.loads(m.group(2)), name)
        parsed[name] = entries
    stock = set(_stock_filters())
    out: list[tuple[str, dict[str, str]]] = []
    for name, entries in parsed.items():
        flt = name if name in stock else owners.get(name)
        if flt is None:
            continue
        common: dict[str, Any] = {}
        for kind, data in entries:
            if kind == "fileOptions":
                common = data
            elif kind == "filterOptions":
                for opts in data if isinstance(data, list) else [data]:
                    merged = {**common, **opts}
                    clean = {k: str(v) for k, v in merged.items() if not k.startswith("test.")}
                    if (flt, clean) not in out:
                        out.append((flt, clean))
    return out


CASES: list[tuple[str, dict[str, str]]] = [(name, {}) for name in _stock_filters()]
CASES += [case for case in _sample_variants() if case not in CASES]


def _request(name: str, opts: dict[str, str]) -> dict[str, Any]:
    return {"kind": "filter", "basedir": ETC, "name": name, "opts": opts, "jail": "jail"}


@pytest.fixture(scope="module", autouse=True)
def _prefetch() -> None:
    run_oracle([_request(n, o) for n, o in CASES])


_loader = ConfigLoader()


def _case_id(case: tuple[str, dict[str, str]]) -> str:
    name, opts = case
    return name + (
        "[" + ",".join(f"{k}={v}" for k, v in sorted(opts.items())) + "]" if opts else ""
    )


def test_cases_cover_every_filter_and_the_sample_variants() -> None:
    names = {n for n, _ in CASES}
    assert names == set(_stock_filters())
    assert len(_stock_filters()) > 50
    variants = [c for c in CASES if c[1]]
    assert any(n == "sshd" and o.get("mode") == "aggressive" for n, o in variants)
    assert any(o.get("logtype") == "journal" for _, o in variants)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_filter_matches_fail2ban(case: tuple[str, dict[str, str]]) -> None:
    name, opts = case
    answer = run_oracle([_request(name, opts)])[0]
    if "error" in answer:
        # fail2ban cannot read it either (e.g. selinux-common is only a base to include):
        # we must fail too, with a ConfigError locating the problem.
        assert answer["error"].startswith("Interpolation"), answer
        with pytest.raises(InterpolationError) as info:
            read_filter(name, ETC, params=opts, loader=_loader)
        assert info.value.file and info.value.file.startswith(os.path.join(ETC, "filter.d"))
        assert info.value.line
        return
    expected_steps = answer["ok"]

    reader = FilterReader(_loader, ETC, name, "jail", dict(opts))
    assert reader.read()
    reader.get_options({})
    commands, _ = reader.stream()
    # Same steps in the same order ...
    assert my_filter_steps(commands) == expected_steps
    # ... and the public result carries the same values.
    flt = read_filter(name, ETC, params=opts, loader=_loader)
    assert filter_folded(flt) == fold_filter_steps(expected_steps)
    assert flt.file == os.path.join(ETC, "filter.d", name + ".conf")
    assert flt.params == opts
