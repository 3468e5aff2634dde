"""Smoke test of ``benches/bench_firewall.py``: with small sizes it runs to its table
(it imports the firewall tests' namespace helpers, which a move of those can break).
Skipped where network namespaces are unavailable (not root, no ``ip netns``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
SCRIPT = TESTS.parent / "benches" / "bench_firewall.py"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS / "firewall"))

from netns import netns_unavailable  # noqa: E402 -- from tests/firewall


def test_bench_firewall_prints_its_table() -> None:
    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)
    sizes = ["--bans", "200", "--batch", "100", "--restore", "1000", "--stock-bans", "3"]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *sizes],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = proc.stdout.splitlines()
    assert rows[1].startswith("bans/s (batch 100 vs 1 per cmd)")
    assert rows[2].startswith("restore 1,000 bans, s")
    assert rows[3] == "* extrapolated from 3 stock bans at " + rows[3].rsplit(" at ", 1)[1]
