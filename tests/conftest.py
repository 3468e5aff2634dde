"""Fixtures for every test folder.

Command-line entry points (``regex``, the client) set up the ``hyperban`` logger when a
test runs them in-process; the next test must not inherit that (a raised level or a
stopped propagation would hide log records from ``caplog``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_hyperban_logger() -> Iterator[None]:
    logger = logging.getLogger("hyperban")
    saved = (logger.level, list(logger.handlers), logger.propagate)
    yield
    logger.setLevel(saved[0])
    logger.handlers[:] = saved[1]
    logger.propagate = saved[2]
