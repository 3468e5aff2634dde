"""Fixtures of the control-socket tests."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from control_helpers import DictTarget, short_tmp_dir

from hyperban.control import ControlSocketServer, Transmitter


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, DictTarget, ControlSocketServer]]:
    """A control socket served over a :class:`DictTarget`: ``(path, target, server)``."""
    name = f"ctl-{os.getpid()}-{time.monotonic_ns()}.sock"
    path = os.path.join(short_tmp_dir(tmp_path), name)
    target = DictTarget()
    server = ControlSocketServer(path, Transmitter(target).proceed)
    server.start()
    try:
        yield path, target, server
    finally:
        server.stop()
