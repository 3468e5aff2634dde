"""A file log target follows logrotate's rename without a signal, and loses no line."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from hyperban.daemon.logs import RotationAwareFileHandler


def _logger(handler: logging.Handler) -> logging.Logger:
    log = logging.getLogger("hyperban.test.rotation")
    log.propagate = False
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    return log


def test_rotated_file_is_reopened_within_the_check_interval(tmp_path: Path) -> None:
    target = tmp_path / "hyperban.log"
    handler = RotationAwareFileHandler(str(target), check_interval=0.2)
    log = _logger(handler)
    try:
        log.info("before rotation")
        rotated = tmp_path / "hyperban.log.1"
        target.rename(rotated)
        log.info("right after rotation")  # inside the interval: the old file
        time.sleep(0.25)
        log.info("after the check")
    finally:
        handler.close()
    old, new = rotated.read_text(), target.read_text()
    assert old.splitlines() == ["before rotation", "right after rotation"]
    assert new.splitlines() == ["after the check"]
