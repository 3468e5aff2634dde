#!/usr/bin/env python3
"""Side-by-side matcher throughput: hyperscan vs regex vs python engines, and
the bare Hyperscan scan, in one run on one buffer.

The raw scan is Hyperscan alone over the same buffer with the engine's own
database: since the database holds each pattern's literal core (see
``rust/src/syntax/infix.rs``), it is the cost of finding literal hits, the
floor of the candidate search, not of a whole match.

    python benches/compare_engines.py [--lines 1000000] [--json]

Workloads (issue 2): a generated auth.log at 5% and 50% attack lines with the
regexes of fail2ban's sshd filter; a generated syslog watched by 30 jails
(every failregex of the 30 stock filters in one set), against the sshd set
alone on the same syslog (the 1-jail rate). The python engine is sequential
``re`` as in fail2ban; it is timed on a prefix of the log (``--python-lines``)
because it is two orders of magnitude slower, and reported in lines/s.
Machines here are shared: compare the ratios, not the absolute figures.

The Rust engines return a ``Matches`` sequence that builds each match's
Python tuple when it is read; the ``hyperscan`` column times the scan as
returned, and ``hs+tuples`` (``hyperscan_tuples_lines_per_s``) the scan plus
a tuple for every match, as the python engine always builds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hyperban.bench import genlog
from hyperban.bench.matcher_bench import prefix_bytes, split_chunks
from hyperban.matcher import compile_patterns
from workloads import fail2ban_available, log_bytes, pattern_set


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(patterns, data: bytes, python_data: bytes, repeat: int) -> dict:
    """lines/s of each engine, and the raw Hyperscan scan, on ``data``."""
    pieces = split_chunks(data)
    lines = data.count(b"\n")
    row: dict = {"lines": lines, "patterns": len(patterns)}
    matched = {}
    for engine in ("hyperscan", "regex", "python"):
        t0 = time.perf_counter()
        matcher = compile_patterns(patterns, engine=engine)
        row[f"{engine}_compile_s"] = time.perf_counter() - t0
        if engine == "hyperscan":
            row["modes"] = sorted(set(matcher.modes()))
            seconds = best_of(repeat, lambda m=matcher: [m.raw_scan(p) for p in pieces])
            row["raw_scan_lines_per_s"] = lines / seconds
            row["raw_scan_mb_per_s"] = len(data) / seconds / 1e6
        source = python_data if engine == "python" else data
        src_pieces = split_chunks(source)
        src_lines = source.count(b"\n")
        seconds = best_of(
            1 if engine == "python" else repeat,
            lambda m=matcher, ps=src_pieces: [m.scan(p) for p in ps],
        )
        row[f"{engine}_lines_per_s"] = src_lines / seconds
        if engine == "hyperscan":
            # The Rust engines hand back their matches as a lazy sequence;
            # this is the rate when the caller also turns every match into
            # its Python tuple and dict.
            seconds = best_of(repeat, lambda m=matcher: [m.scan(p)[0].tolist() for p in pieces])
            row["hyperscan_tuples_lines_per_s"] = lines / seconds
        matched[engine] = sum(len(matcher.scan(p)[0]) for p in split_chunks(python_data))
    # The three engines must agree on the common prefix.
    row["matches_on_python_prefix"] = matched
    row["engines_agree"] = len(set(matched.values())) == 1
    row["hyperscan_vs_python"] = row["hyperscan_lines_per_s"] / row["python_lines_per_s"]
    row["hyperscan_share_of_raw"] = row["hyperscan_lines_per_s"] / row["raw_scan_lines_per_s"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--python-lines", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not fail2ban_available():
        print(
            "needs Debian's fail2ban (apt-get install fail2ban) for its regex sets", file=sys.stderr
        )
        return 2

    sshd = pattern_set(["sshd"])
    jails = pattern_set(list(genlog.SYSLOG_JAILS))
    results = {}
    for name, kind, ratio, patterns in (
        ("auth 5% / sshd", "auth", 0.05, sshd),
        ("auth 50% / sshd", "auth", 0.50, sshd),
        ("syslog 5% / sshd only", "syslog", 0.05, sshd),
        ("syslog 5% / 30 jails", "syslog", 0.05, jails),
    ):
        data = log_bytes(kind, args.lines, ratio)
        prefix = data[: prefix_bytes(data, args.python_lines)]
        results[name] = measure(patterns, data, prefix, args.repeat)
    one, thirty = results["syslog 5% / sshd only"], results["syslog 5% / 30 jails"]
    summary = {
        "30_jails_vs_1_jail": thirty["hyperscan_lines_per_s"] / one["hyperscan_lines_per_s"],
    }
    if args.json:
        print(json.dumps({"workloads": results, "summary": summary}, indent=1))
        return 0
    header = (
        f"{'workload':24} {'pats':>5} {'hyperscan':>12} {'hs+tuples':>12} {'regex':>12} "
        f"{'python':>10} "
        f"{'raw scan':>12} {'hs/py':>7} {'hs/raw':>7} agree"
    )
    print(header)
    for name, r in results.items():
        print(
            f"{name:24} {r['patterns']:5d} {r['hyperscan_lines_per_s']:12,.0f} "
            f"{r['hyperscan_tuples_lines_per_s']:12,.0f} "
            f"{r['regex_lines_per_s']:12,.0f} {r['python_lines_per_s']:10,.0f} "
            f"{r['raw_scan_lines_per_s']:12,.0f} {r['hyperscan_vs_python']:6.0f}x "
            f"{r['hyperscan_share_of_raw']:6.0%} {r['engines_agree']}"
        )
    print(f"30 jails vs 1 jail (hyperscan, same syslog): {summary['30_jails_vs_1_jail']:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
