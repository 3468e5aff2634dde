#!/usr/bin/env python3
"""fail2ban-regex against ``python -m hyperban regex``, side by side, in one run.

The README's figures come from (all workloads, 1M lines each, seed 1)::

    python benches/compare_fail2ban.py

Options: ``--lines N`` (default 1000000), ``--seed S`` (1), ``--json`` (one JSON
object), ``--workloads auth5 auth50 syslog30`` (a subset; commas work too),
``--keep`` (keep the temporary directory with the logs and raw outputs),
``--repeat N`` (run hyperban N times per filter and per single pass, and report
the median of its times; 1 by default).

Why ``--repeat``: the machine is shared and its load comes in bursts of a
second or so. A fail2ban run takes 8-25 s and averages them out; a hyperban
run takes 0.1-1 s and lands inside or outside one (the same build took 0.84
and 1.43 s on the 50% log within minutes). fail2ban still runs once; every
hyperban run's failures must equal fail2ban's, and the JSON keeps each run's
time (``seconds_runs``).

Both tools get the same generated log and the same arguments
(``--print-all-matched LOG FILTER``; ours also ``--json --no-progress``).
The real tool is Debian's ``fail2ban-regex`` (fail2ban 1.0.2) on ``PATH``.

Workloads (logs from :func:`hyperban.bench.genlog.write_log`):

``auth5`` / ``auth50``
    A ``--lines`` auth.log with 5% / 50% attack lines, the ``sshd`` filter.
``syslog30``
    A ``--lines`` combined syslog (5% attack lines) watched by the 30 jails of
    :data:`hyperban.bench.genlog.SYSLOG_JAILS`.  fail2ban makes one pass over
    the log per jail, so each tool is run once per filter and the 30 times are
    summed; lines/s is then *log lines / summed time* (the rate at which the
    log gets through all 30 jails).  hyperban is then also run in its
    single-pass mode (``hyperban.cli.regex_tool.main_single_pass``: one scan
    of the log for all 30 filters' candidate patterns, then each filter's
    exact stage on its own candidates); its row ("one pass") compares
    fail2ban's summed time with that one pass, and its failures per filter
    must equal fail2ban's too.

Timing.  For each run two figures are kept: the tool's own processing time
(fail2ban-regex prints ``[processed in X sec]`` after its ``Lines:`` summary,
with two decimals; ours reports ``seconds`` in ``--json``, the same clock
around the same loop) and the wall-clock time of the whole subprocess
(interpreter start-up, filter loading, and printing the matched lines
included).  **The ratio reported first is fail2ban's processing time divided
by ours**; the wall-clock ratio is shown next to it.  Nothing here asserts a
timing: the machine is shared, so read the ratios, not the absolute rates.

Correctness.  A failure is ``(line number, failure id, time)``.  Ours come
from the ``matches`` list of ``--json --print-all-matched`` (1-based physical
line numbers).  fail2ban-regex's ``--print-all-matched`` report only lists the
matched line *texts*, which carry neither the failure id nor the parsed time,
and also lists lines a multi-line filter merely absorbed.  So fail2ban's
failures are taken from a second run of fail2ban's own code: Debian's
``/usr/bin/python3`` imports ``fail2ban.client.fail2banregex`` and drives its
``Fail2banRegex`` class (what ``fail2ban-regex`` runs) on the same file with the
same arguments, recording, for every line its report counts as *matched*, the
``(fid, time)`` of each failure ``Filter.processLine`` returned.  That run is
checked against the timed one: its matched-line list (text, order) and its
``Lines:`` counts must equal what the real ``fail2ban-regex`` printed, else the
bench fails.  The instrumented run is not timed (its hooks would cost fail2ban
time).  The failure multisets must be equal for a workload to pass; the
``Lines:`` counts of the two tools are shown as well.

Exit status: 0 when every failure set agrees, 1 when one differs, 2 when a
tool fails (non-zero exit, unparsable output, or the fail2ban oracle run
disagreeing with the real fail2ban-regex).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyperban.bench import genlog

DEBIAN_PYTHON = "/usr/bin/python3"
OURS = [sys.executable, "-m", "hyperban", "regex"]
#: All filters of a workload in one pass over the log (``OPTIONS -- LOG FILTER...``).
OURS_SINGLE_PASS = [
    sys.executable,
    "-c",
    "import sys; from hyperban.cli.regex_tool import main_single_pass; "
    "sys.exit(main_single_pass())",
]
COMMON_ARGS = ["--print-all-matched"]

Failure = tuple[int, str, float]

_LINES_RE = re.compile(
    r"^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed$", re.MULTILINE
)
_PROCESSED_RE = re.compile(r"^\[processed in ([0-9.]+) sec\]$", re.MULTILINE)
_VERSION_RE = re.compile(r"\d+(?:\.\d+)+")

#: Run by Debian's python: fail2ban-regex's own class, instrumented to record
#: the failures of every line its report counts as matched.
#: argv: OUT_JSON [fail2ban-regex arguments ...]
ORACLE = r"""
import hashlib, json, sys
from fail2ban.client import fail2banregex as m

out_path, argv = sys.argv[1], sys.argv[2:]
printed = []
m.output = printed.append          # the report is not printed, only kept
parser = m.get_opt_parser()
opts, args = parser.parse_args(argv)
opts.log_level = m.str2LogLevel(opts.log_level)
m.logSys.setLevel(opts.log_level)
tool = m.Fail2banRegex(opts)
number = 0
failures = []
process, test_regex = tool.process, tool.testRegex

def counted(lines):                # physical line numbers, comments included
    global number
    for line in lines:
        number += 1
        yield line

def test(line, date=None):
    result = test_regex(line, date)
    _, ret, ignored = result
    if ret and not ignored:        # process() counts the line as matched
        failures.extend([number, str(r[1]), r[2]] for r in ret)
    return result

tool.process = lambda lines: process(counted(lines))
tool.testRegex = test
ok = tool.start(args)
s = tool._line_stats
matched = [x.rstrip() for x in s.matched_lines]
digest = hashlib.sha256("\n".join(matched).encode("utf-8", "surrogateescape")).hexdigest()
with open(out_path, "w") as fh:
    json.dump({
        "ok": bool(ok),
        "lines": [s.tested, s.ignored, s.matched, s.missed],
        "matched_lines": len(matched),
        "matched_sha256": digest,
        "failures": failures,
        "errors": [str(x) for x in printed if str(x).startswith("ERROR")],
    }, fh)
"""


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    kind: str
    attack_ratio: float
    filters: tuple[str, ...]


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("auth5", "auth.log, 5% attack, sshd", "auth", 0.05, ("sshd",)),
        Workload("auth50", "auth.log, 50% attack, sshd", "auth", 0.50, ("sshd",)),
        Workload(
            "syslog30",
            "syslog, 5% attack, 30 jails",
            "syslog",
            0.05,
            tuple(genlog.SYSLOG_JAILS),
        ),
    )
}


class ToolFailure(Exception):
    """A tool exited non-zero or printed something this bench cannot read."""


@dataclass
class Run:
    """One tool on one filter."""

    seconds: float  # the tool's own processing time
    wall: float  # the subprocess, start to exit
    counts: tuple[int, int, int, int]  # tested, ignored, matched, missed
    failures: Counter[Failure]


@dataclass
class FilterResult:
    filter: str
    fail2ban: Run
    ours: Run
    only_fail2ban: list[Failure] = field(default_factory=list)
    only_ours: list[Failure] = field(default_factory=list)
    # every hyperban run (``--repeat``) found the failures of the first
    ours_runs_agree: bool = True

    @property
    def same(self) -> bool:
        return self.fail2ban.failures == self.ours.failures and self.ours_runs_agree


def _tag(flt: str) -> str:
    """A file-name-safe form of a filter spec."""
    return re.sub(r"\W+", "_", flt).strip("_")


def _run(cmd: list[str], stdout_path: Path) -> tuple[float, str]:
    """Run ``cmd`` with stdout into a file; (wall seconds, stderr)."""
    with open(stdout_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - t0
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        head = stdout_path.read_text("utf-8", "replace")[-2000:]
        raise ToolFailure(f"{' '.join(cmd)} exited {proc.returncode}\n{err[-2000:]}{head}".rstrip())
    return wall, err


def _matched_lines(report: str) -> list[str]:
    """The ``|- Matched line(s):`` block of a fail2ban-regex report."""
    start = report.find("\n|- Matched line(s):\n")
    if start < 0:
        return []
    lines: list[str] = []
    for line in report[start + 1 :].split("\n")[1:]:
        if line == "`-":
            return lines
        if not line.startswith("|  "):
            break
        lines.append(line[3:])
    raise ToolFailure("fail2ban-regex: unterminated 'Matched line(s)' block")


def run_fail2ban(log: Path, flt: str, work: Path, keep: bool) -> Run:
    """The real fail2ban-regex (timed), then fail2ban's own class instrumented
    (untimed) for the failures; the two must agree."""
    tag = _tag(flt)
    out = work / f"fail2ban-{tag}.txt"
    wall, _ = _run(["fail2ban-regex", *COMMON_ARGS, str(log), flt], out)
    report = out.read_text("utf-8", "surrogateescape")
    found, processed = _LINES_RE.search(report), _PROCESSED_RE.search(report)
    if not found or not processed:
        raise ToolFailure(f"fail2ban-regex {flt}: no Lines:/processed figures in {out}")
    tested, ignored, matched_n, missed = (int(x) for x in found.groups())
    counts = (tested, ignored, matched_n, missed)
    matched = _matched_lines(report)
    digest = hashlib.sha256("\n".join(matched).encode("utf-8", "surrogateescape")).hexdigest()

    oracle_json = work / f"fail2ban-{tag}.failures.json"
    _run(
        [DEBIAN_PYTHON, "-c", ORACLE, str(oracle_json), *COMMON_ARGS, str(log), flt],
        work / f"fail2ban-{tag}.oracle.txt",
    )
    oracle = json.loads(oracle_json.read_text("utf-8"))
    if not oracle["ok"] or oracle["errors"]:
        raise ToolFailure(f"fail2ban oracle {flt}: {oracle['errors'] or 'start() failed'}")
    if tuple(oracle["lines"]) != counts or (oracle["matched_lines"], oracle["matched_sha256"]) != (
        len(matched),
        digest,
    ):
        raise ToolFailure(
            f"fail2ban oracle {flt} disagrees with fail2ban-regex: Lines {oracle['lines']} vs "
            f"{list(counts)}, {oracle['matched_lines']} vs {len(matched)} matched lines"
        )
    failures = Counter((int(n), str(fid), float(t)) for n, fid, t in oracle["failures"])
    if not keep:
        oracle_json.unlink()
        out.unlink()
    return Run(float(processed.group(1)), wall, counts, failures)


def _match_hook(obj: dict[str, Any]) -> Any:
    # Turn each entry of "matches" into a failure tuple while parsing (drops "fields").
    if obj.keys() == {"line", "id", "time", "fields"}:
        return (int(obj["line"]), str(obj["id"]), float(obj["time"]))
    return obj


def run_ours(log: Path, flt: str, work: Path, keep: bool) -> Run:
    out = work / f"hyperban-{_tag(flt)}.json"
    wall, _ = _run([*OURS, "--json", "--no-progress", *COMMON_ARGS, str(log), flt], out)
    try:
        with open(out, encoding="utf-8") as fh:
            data = json.load(fh, object_hook=_match_hook)
        counts = (data["lines"], data["ignored"], data["matched"], data["missed"])
        run = Run(float(data["seconds"]), wall, counts, Counter(data["matches"]))
    except (ValueError, KeyError, TypeError) as e:
        raise ToolFailure(f"hyperban regex {flt}: unreadable --json output in {out}: {e}") from e
    if not keep:
        out.unlink()
    return run


def run_ours_single_pass(
    log: Path, filters: tuple[str, ...], work: Path, keep: bool
) -> tuple[float, float, dict[str, Run]]:
    """Every filter in one pass over the log (hyperban's single-pass
    multi-filter mode): (processing seconds, wall seconds, run per filter;
    the per-filter runs carry no time of their own)."""
    out = work / "hyperban-single-pass.json"
    wall, _ = _run(
        [*OURS_SINGLE_PASS, "--json", "--no-progress", *COMMON_ARGS, "--", str(log), *filters],
        out,
    )
    try:
        with open(out, encoding="utf-8") as fh:
            data = json.load(fh, object_hook=_match_hook)
        runs = {
            flt: Run(
                0.0,
                0.0,
                (d["lines"], d["ignored"], d["matched"], d["missed"]),
                Counter(d["matches"]),
            )
            for flt, d in data["filters"].items()
        }
        seconds = float(data["seconds"])
    except (ValueError, KeyError, TypeError) as e:
        raise ToolFailure(f"hyperban single pass: unreadable output in {out}: {e}") from e
    if not keep:
        out.unlink()
    return seconds, wall, runs


def _median_run(runs: list[Run]) -> Run:
    """The first of ``runs`` with the median of their times."""
    first = runs[0]
    return Run(
        statistics.median(r.seconds for r in runs),
        statistics.median(r.wall for r in runs),
        first.counts,
        first.failures,
    )


def run_workload(
    w: Workload, lines: int, seed: int, work: Path, keep: bool, repeat: int = 1
) -> dict[str, Any]:
    work = work / w.name  # one directory per workload (kept with --keep)
    work.mkdir()
    log = work / f"{w.name}.log"
    t0 = time.perf_counter()
    stats = genlog.write_log(log, w.kind, lines, w.attack_ratio, seed)
    gen_s = time.perf_counter() - t0
    row: dict[str, Any] = {
        "title": w.title,
        "kind": w.kind,
        "attack_ratio": w.attack_ratio,
        "lines": stats.lines,
        "attack_lines": stats.attack_lines,
        "log_bytes": log.stat().st_size,
        "generate_s": gen_s,
        "filters": {},
    }
    results: list[FilterResult] = []
    try:
        for flt in w.filters:
            f2b = run_fail2ban(log, flt, work, keep)
            ours_runs = [run_ours(log, flt, work, keep) for _ in range(repeat)]
            ours = _median_run(ours_runs)
            r = FilterResult(flt, f2b, ours)
            r.ours_runs_agree = all(run.failures == ours.failures for run in ours_runs)
            r.only_fail2ban = sorted((f2b.failures - ours.failures).elements())
            r.only_ours = sorted((ours.failures - f2b.failures).elements())
            results.append(r)
            row["filters"][flt] = {
                "fail2ban": _run_json(f2b),
                "hyperban": _run_json(ours),
                "failures_same": r.same,
                "seconds_runs": [run.seconds for run in ours_runs],
                "only_fail2ban": r.only_fail2ban[:20],
                "only_hyperban": r.only_ours[:20],
                "counts_same": f2b.counts == ours.counts,
            }
            print(
                f"  {w.name} {flt}: fail2ban {f2b.seconds:.2f}s, hyperban {ours.seconds:.2f}s, "
                f"failures {'same' if r.same else 'DIFFER'}",
                file=sys.stderr,
                flush=True,
            )
        single = None
        if len(w.filters) > 1:
            passes = [run_ours_single_pass(log, w.filters, work, keep) for _ in range(repeat)]
            single = (
                statistics.median(p[0] for p in passes),
                statistics.median(p[1] for p in passes),
                passes[0][2],
                [p[0] for p in passes],
                all(p[2] == passes[0][2] for p in passes),
            )
    except ToolFailure as e:
        row["error"] = str(e)
        return row
    finally:
        if not keep:
            log.unlink(missing_ok=True)
    sums = {
        tool: {
            "seconds": sum(getattr(r, attr).seconds for r in results),
            "wall": sum(getattr(r, attr).wall for r in results),
            "failures": sum(getattr(r, attr).failures.total() for r in results),
        }
        for tool, attr in (("fail2ban", "fail2ban"), ("hyperban", "ours"))
    }
    for s in sums.values():
        s["lines_per_s"] = stats.lines / s["seconds"] if s["seconds"] > 0 else None
        s["wall_lines_per_s"] = stats.lines / s["wall"] if s["wall"] > 0 else None
    f, o = sums["fail2ban"], sums["hyperban"]
    row.update(
        fail2ban=f,
        hyperban=o,
        ratio=f["seconds"] / o["seconds"] if o["seconds"] > 0 else None,
        wall_ratio=f["wall"] / o["wall"] if o["wall"] > 0 else None,
        failures_same=all(r.same for r in results),
        counts_same=all(r.fail2ban.counts == r.ours.counts for r in results),
        hyperban_single_pass=None,
    )
    if single is not None:
        seconds, wall, runs, seconds_runs, passes_agree = single
        differ = [r.filter for r in results if runs[r.filter].failures != r.fail2ban.failures]
        if not passes_agree:
            differ.append("(the single passes disagree with each other)")
        row["hyperban_single_pass"] = {
            "seconds": seconds,
            "seconds_runs": seconds_runs,
            "wall": wall,
            "lines_per_s": stats.lines / seconds if seconds > 0 else None,
            "ratio": f["seconds"] / seconds if seconds > 0 else None,
            "wall_ratio": f["wall"] / wall if wall > 0 else None,
            "failures": sum(run.failures.total() for run in runs.values()),
            "failures_same": not differ,
            "filters_differing": differ,
            "counts_same": all(runs[r.filter].counts == r.fail2ban.counts for r in results),
        }
    return row


def _run_json(r: Run) -> dict[str, Any]:
    return {
        "seconds": r.seconds,
        "wall": r.wall,
        "lines": r.counts[0],
        "ignored": r.counts[1],
        "matched": r.counts[2],
        "missed": r.counts[3],
        "failures": r.failures.total(),
    }


def _hyperban_version() -> str:
    try:
        return importlib.metadata.version("hyperban")
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    except OSError:
        return "?"
    found = _VERSION_RE.search(out)
    return found.group(0) if found else "?"


def print_table(result: dict[str, Any]) -> None:
    w = result["workloads"]
    print(
        f"fail2ban-regex {result['fail2ban_version']} vs python -m hyperban regex "
        f"({result['hyperban_version']}), {result['lines']:,} lines per log, seed {result['seed']}"
    )
    print(
        "ratio = fail2ban processing time / hyperban processing time (each tool's own "
        "'processed in' figure; primary).\nwall = whole subprocess (start-up, filter load, "
        "printing all matched lines). 30-jail rows: 30 runs, times summed, lines/s = log lines "
        "/ summed time."
    )
    print()
    width = max(len(f"{name}: {r['title']}") for name, r in w.items()) if w else 8
    header = (
        f"{'workload':<{width}} {'fail2ban l/s':>12} {'hyperban l/s':>12} {'ratio':>7} "
        f"{'f2b proc':>9} {'hb proc':>8} {'f2b wall':>9} {'hb wall':>8} {'wall ratio':>10} "
        f"{'failures':>9}  same"
    )
    print(header)
    print("-" * len(header))
    for name, r in w.items():
        label = f"{name}: {r['title']}"
        if "error" in r:
            first, *rest = r["error"].splitlines()
            print(f"{label:<{width}} TOOL FAILED: {first}")
            for line in rest[:10]:
                print(f"    {line}")
            continue
        f, o = r["fail2ban"], r["hyperban"]
        failures = (
            f"{f['failures']:,}"
            if f["failures"] == o["failures"]
            else f"{f['failures']}/{o['failures']}"
        )
        print(
            f"{label:<{width}} {f['lines_per_s']:>12,.0f} {o['lines_per_s']:>12,.0f} "
            f"{r['ratio']:>6.1f}x {f['seconds']:>8.2f}s {o['seconds']:>7.2f}s "
            f"{f['wall']:>8.2f}s {o['wall']:>7.2f}s {r['wall_ratio']:>9.1f}x "
            f"{failures:>9}  {'yes' if r['failures_same'] else 'NO'}"
        )
        sp = r.get("hyperban_single_pass")
        if sp:
            label = f"  {name}, hyperban one pass"
            print(
                f"{label:<{width}} {f['lines_per_s']:>12,.0f} {sp['lines_per_s']:>12,.0f} "
                f"{sp['ratio']:>6.1f}x {f['seconds']:>8.2f}s {sp['seconds']:>7.2f}s "
                f"{f['wall']:>8.2f}s {sp['wall']:>7.2f}s {sp['wall_ratio']:>9.1f}x "
                f"{sp['failures']:>9,}  {'yes' if sp['failures_same'] else 'NO'}"
            )
            if not sp["failures_same"]:
                print(f"    one pass: failure sets differ for {sp['filters_differing']}")
    for name, r in w.items():
        for flt, fr in r.get("filters", {}).items():
            if not fr["failures_same"]:
                print(f"\n{name} {flt}: failure sets differ")
                print(f"  only fail2ban (first 20): {fr['only_fail2ban']}")
                print(f"  only hyperban (first 20): {fr['only_hyperban']}")
            if not fr["counts_same"]:
                a, b = fr["fail2ban"], fr["hyperban"]
                print(
                    f"\n{name} {flt}: Lines: counts differ (tested/ignored/matched/missed): "
                    f"fail2ban {[a[k] for k in ('lines', 'ignored', 'matched', 'missed')]}, "
                    f"hyperban {[b[k] for k in ('lines', 'ignored', 'matched', 'missed')]}"
                )
    if "syslog30" in w and "filters" in w["syslog30"] and w["syslog30"]["filters"]:
        print("\nsyslog30 per filter (processing seconds: fail2ban / hyperban, failures, same):")
        items = [
            f"{flt} {fr['fail2ban']['seconds']:.2f}/{fr['hyperban']['seconds']:.2f} "
            f"{fr['fail2ban']['failures']} {'yes' if fr['failures_same'] else 'NO'}"
            for flt, fr in w["syslog30"]["filters"].items()
        ]
        for i in range(0, len(items), 3):
            print("  " + " | ".join(items[i : i + 3]))
    print(
        f"\nload average before/after: {result['load_before']} / {result['load_after']}; "
        f"total {result['total_s']:.0f}s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines per generated log")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=list(WORKLOADS),
        help=f"subset of {', '.join(WORKLOADS)} (space or comma separated)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (logs, raw outputs)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="hyperban runs per filter and per single pass (their median time is reported)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    names = [n for item in args.workloads for n in item.split(",") if n]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    if shutil.which("fail2ban-regex") is None or not Path(DEBIAN_PYTHON).exists():
        print("needs Debian's fail2ban (apt-get install fail2ban)", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="compare_fail2ban."))
    result: dict[str, Any] = {
        "lines": args.lines,
        "seed": args.seed,
        "fail2ban_version": _version(["fail2ban-regex", "--version"]),
        "hyperban_version": _hyperban_version(),
        "primary_ratio": "fail2ban processing seconds / hyperban processing seconds",
        "hyperban_runs": args.repeat,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "workloads": {},
    }
    try:
        for name in names:
            result["workloads"][name] = run_workload(
                WORKLOADS[name], args.lines, args.seed, work, args.keep, args.repeat
            )
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    result["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    result["total_s"] = time.perf_counter() - t0
    rows = result["workloads"].values()
    failed = any("error" in r for r in rows)
    differ = any(
        r.get("failures_same") is False
        or (r.get("hyperban_single_pass") or {}).get("failures_same") is False
        for r in rows
    )
    result["ok"] = not (failed or differ)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_table(result)
    return 2 if failed else 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
