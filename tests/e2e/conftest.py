"""Fixtures for the end-to-end tests: the sshd lab of :mod:`sshd_netns`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from sshd_netns import SshdLab, sshd_lab, unavailable_reason  # noqa: E402 -- path above


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[SshdLab]:
    """A fresh sshd lab per test (its own namespaces, so its own empty firewall)."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with sshd_lab(tmp_path / "lab") as running:
        yield running
