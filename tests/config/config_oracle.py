"""The fail2ban oracle for the config reader tests (a module with a unique name, so
test modules import it without depending on which ``conftest`` pytest loaded last)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# The tests import the installed package; only this folder's helpers
# (sample_tree, the oracle script) come from here.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


ETC = "/etc/fail2ban"
DEBIAN_PYTHON = "/usr/bin/python3"
F2B_PACKAGE = "/usr/lib/python3/dist-packages/fail2ban"
F2B_TEST_CONFIG = os.path.join(F2B_PACKAGE, "tests", "config")
F2B_SAMPLE_LOGS = os.path.join(F2B_PACKAGE, "tests", "files", "logs")
ORACLE = str(Path(__file__).with_name("f2b_oracle.py"))


def _oracle_available() -> bool:
    if not (os.path.exists(DEBIAN_PYTHON) and os.path.isdir(ETC)):
        return False
    probe = subprocess.run(
        [DEBIAN_PYTHON, "-c", "import fail2ban.client.jailsreader"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


HAVE_ORACLE = _oracle_available()
needs_oracle = pytest.mark.skipif(
    not HAVE_ORACLE, reason="Debian's fail2ban (python3-fail2ban, /etc/fail2ban) is not installed"
)

_cache: dict[str, Any] = {}


def run_oracle(requests: list[dict[str, Any]]) -> list[Any]:
    """Answers of the installed fail2ban to ``requests`` (cached, one process per batch)."""
    keys = [json.dumps(r, sort_keys=True) for r in requests]
    todo = [r for r, k in zip(requests, keys, strict=True) if k not in _cache]
    if todo:
        proc = subprocess.run(
            [DEBIAN_PYTHON, ORACLE],
            input=json.dumps(todo),
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        if proc.returncode != 0:
            raise RuntimeError(f"oracle failed: {proc.stderr[-4000:]}")
        for req, answer in zip(todo, json.loads(proc.stdout), strict=True):
            _cache[json.dumps(req, sort_keys=True)] = answer
    return [_cache[k] for k in keys]


def oracle_ok(request: dict[str, Any]) -> Any:
    """The oracle's result for one request; fails the test if fail2ban raised."""
    answer = run_oracle([request])[0]
    if "error" in answer:
        pytest.fail(f"fail2ban failed on {request}: {answer['error']}")
    return answer["ok"]
