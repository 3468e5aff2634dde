"""pytest-benchmark suite for the matcher.

    pytest benches/bench_matcher.py --benchmark-only [--benchmark-json out.json]

Each benchmark scans a generated log with one engine; pytest-benchmark keeps
the timings (nothing here asserts a time). Regexes: fail2ban's own sshd
filter when Debian's fail2ban is installed, else the bundled sshd set.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hyperban.bench.matcher_bench import prefix_bytes, split_chunks
from hyperban.bench.sshd_patterns import SSHD_PATTERNS
from hyperban.matcher import compile_patterns
from workloads import fail2ban_available, log_bytes, pattern_set

LINES = 200_000
PYTHON_LINES = 10_000


@pytest.fixture(scope="module")
def sshd_patterns() -> list[tuple[int, str]]:
    if fail2ban_available():
        return pattern_set(["sshd"])
    return list(enumerate(SSHD_PATTERNS))


@pytest.fixture(scope="module", params=[0.05, 0.5], ids=["5pct", "50pct"])
def auth_log(request: pytest.FixtureRequest) -> bytes:
    return log_bytes("auth", LINES, request.param)


@pytest.mark.parametrize("engine", ["hyperscan", "regex", "python"])
def test_scan_auth(benchmark, engine: str, sshd_patterns, auth_log: bytes) -> None:
    matcher = compile_patterns(sshd_patterns, engine=engine)
    data = auth_log if engine != "python" else auth_log[: prefix_bytes(auth_log, PYTHON_LINES)]
    pieces = split_chunks(data)
    results = benchmark(lambda: [matcher.scan(p) for p in pieces])
    benchmark.extra_info["lines"] = sum(r[1] for r in results)
    assert sum(len(r[0]) for r in results) > 0


def test_raw_scan_auth(benchmark, sshd_patterns, auth_log: bytes) -> None:
    matcher = compile_patterns(sshd_patterns, engine="hyperscan")
    pieces = split_chunks(auth_log)
    counts = benchmark(lambda: [matcher.raw_scan(p) for p in pieces])
    benchmark.extra_info["lines"] = auth_log.count(b"\n")
    assert sum(counts) > 0
