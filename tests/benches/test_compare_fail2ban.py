"""Smoke test of ``benches/compare_fail2ban.py``: on a small auth.log, the
failures ``(line, id, time)`` of ``python -m hyperban regex`` must equal those of
Debian's ``fail2ban-regex``.  Skipped when fail2ban is not installed.  Run with::

    python -m pytest tests/benches/test_compare_fail2ban.py -v
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benches" / "compare_fail2ban.py"


@pytest.mark.skipif(
    shutil.which("fail2ban-regex") is None or not Path("/usr/bin/python3").exists(),
    reason="fail2ban-regex (Debian package fail2ban) is not installed",
)
def test_failure_sets_agree_on_auth5() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            *("--lines", "5000", "--workloads", "auth5", "--json", "--repeat", "2"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    row = result["workloads"]["auth5"]
    assert "error" not in row
    assert row["lines"] == 5000
    sshd = row["filters"]["sshd"]
    assert sshd["failures_same"], (sshd["only_fail2ban"], sshd["only_hyperban"])
    assert sshd["fail2ban"]["failures"] == sshd["hyperban"]["failures"] > 0
    # (hyperban ran twice; its time is their median)
    assert len(sshd["seconds_runs"]) == 2 and result["hyperban_runs"] == 2
    assert row["failures_same"] and result["ok"]
