"""contrib/hyperban.service is a unit systemd accepts, with the options the daemon's
deployment relies on."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "contrib" / "hyperban.service"


def _service_section() -> configparser.SectionProxy:
    # strict=False: systemd allows repeated keys; interpolation off for "$MAINPID".
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT, encoding="utf-8")
    return parser["Service"]


def test_systemd_analyze_verify_accepts_the_unit() -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    done = subprocess.run([tool, "verify", str(UNIT)], capture_output=True, text=True, timeout=60)
    # verify exits 0 on options it merely ignores, so its messages are checked too.
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if UNIT.name in line]
    assert done.returncode == 0 and not complaints, done.stdout + done.stderr


def test_unit_keeps_what_nftables_and_the_state_need() -> None:
    service = _service_section()
    assert " -m hyperban -f " in service["ExecStart"]
    assert "hyperban.client" in service["ExecStop"]
    assert "-HUP" in service["ExecReload"]
    assert service["Restart"] == "on-failure"
    assert service["RuntimeDirectory"] == "hyperban"
    assert service["StateDirectory"] == "hyperban"
    caps = set(service["CapabilityBoundingSet"].split())
    assert {"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_DAC_READ_SEARCH"} <= caps
    assert "AF_NETLINK" in service["RestrictAddressFamilies"].split()
    # PCRE2's JIT needs writable+executable memory.
    assert "MemoryDenyWriteExecute" not in service
