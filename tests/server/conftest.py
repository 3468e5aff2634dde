"""Fixtures for the server core tests: a frozen clock, never the wall clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hyperban.server import Clock, clock

T0 = 1_700_000_000.0


@pytest.fixture
def fake_clock() -> Iterator[Clock]:
    """The shared server clock frozen at ``T0`` for the duration of the test."""
    with clock.frozen(T0):
        yield clock
