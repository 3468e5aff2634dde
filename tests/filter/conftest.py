"""Helpers for the filter unit tests: fail2ban (Debian's package) as an oracle."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
F2B_PACKAGE = "/usr/lib/python3/dist-packages/fail2ban"
HAVE_F2B = os.path.exists(SYSTEM_PYTHON) and os.path.isdir(F2B_PACKAGE)

needs_fail2ban = pytest.mark.skipif(not HAVE_F2B, reason="Debian's fail2ban is not installed")


def fail2ban_eval(script: str, payload: object) -> object:
    """Run ``script`` in Debian's Python with fail2ban importable; it reads
    JSON ``payload`` from ``data`` and must set ``result``."""
    program = (
        "import json, sys\n"
        "sys.path.insert(0, '/usr/lib/python3/dist-packages')\n"
        "data = json.load(sys.stdin)\n" + script + "\njson.dump(result, sys.stdout)\n"
    )
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", program],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.fixture
def f2b():
    if not HAVE_F2B:
        pytest.skip("Debian's fail2ban is not installed")
    return fail2ban_eval
