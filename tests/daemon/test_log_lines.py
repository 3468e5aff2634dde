"""Found lines written in batches (``BatchLog``) are the lines ``logger.info`` writes,
reach the file by the end of their batch, and keep their order with other records."""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperban.daemon import logs
from hyperban.daemon.logs import DirectStreamHandler, LineFormatter
from hyperban.server.loglines import BatchLog

T0 = 1_700_000_000.25
MESSAGE = ("[%s] Found %s - %s", "sshd", "192.0.2.1", "2023-11-14 22:13:20")


@pytest.fixture
def log() -> Iterator[logging.Logger]:
    """A logger below ``hyperban``, which the tests point at a target with logs.configure."""
    yield logging.getLogger("hyperban.test.lines")
    logs.configure("STDERR", "INFO")


def _frozen_time(monkeypatch: pytest.MonkeyPatch, t: float = T0) -> None:
    # LogRecord and BatchLog both read time.time()
    monkeypatch.setattr(time, "time", lambda: t)


def _log_both_ways(log: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    """MESSAGE at one frozen time: through ``log.info``, then through a batch."""
    _frozen_time(monkeypatch)
    log.info(*MESSAGE)
    with BatchLog(log) as batch:
        batch(*MESSAGE)


def test_batch_lines_equal_logger_lines(
    tmp_path: Path, log: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "hyperban.log"
    logs.configure(str(target), "INFO")
    _log_both_ways(log, monkeypatch)
    usual, direct = target.read_text().splitlines()
    assert direct == usual
    assert usual.endswith(
        f",250 {'hyperban.test.lines':<24}[{os.getpid()}]: INFO    [sshd] Found 192.0.2.1 - "
        "2023-11-14 22:13:20"
    )


def test_batch_lines_carry_the_time_of_its_first_line(
    tmp_path: Path, log: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "hyperban.log"
    logs.configure(str(target), "INFO")
    _frozen_time(monkeypatch, T0)
    with BatchLog(log) as batch:
        batch("[sshd] Found %s - 100%% sure", "192.0.2.7")
        _frozen_time(monkeypatch, T0 + 0.5)
        batch("second %s", "line")
    log.info("after")  # a usual record, at its own time
    first, second, after = target.read_text().splitlines()
    stamp = first.split(" ", 2)[1]  # (local time: the hour depends on TZ)
    assert stamp.endswith(",250") and second.split(" ", 2)[1] == stamp
    assert first.endswith("INFO    [sshd] Found 192.0.2.7 - 100% sure")
    assert second.endswith("INFO    second line")
    assert after.split(" ", 2)[1].endswith(",750")


def test_batch_is_flushed_at_its_end_and_loses_no_line(tmp_path: Path, log: logging.Logger) -> None:
    target = tmp_path / "hyperban.log"
    logs.configure(str(target), "INFO")
    batch = BatchLog(log)
    for i in range(3):
        batch("[sshd] Found 192.0.2.%d", i)
    assert target.read_text() == ""  # buffered: one write at the end of the batch
    batch.close()
    lines = target.read_text().splitlines()
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["192.0.2.0", "192.0.2.1", "192.0.2.2"]


def test_usual_record_flushes_pending_lines_in_order(tmp_path: Path, log: logging.Logger) -> None:
    target = tmp_path / "hyperban.log"
    logs.configure(str(target), "INFO")
    with BatchLog(log) as batch:
        batch("first")
        log.warning("second")  # e.g. a Ban line from the actions thread
        assert [line.rsplit(" ", 1)[1] for line in target.read_text().splitlines()] == [
            "first",
            "second",
        ]
        batch("third")
    assert target.read_text().splitlines()[-1].endswith("INFO    third")


def test_reopen_between_batches_moves_lines_to_the_new_file(
    tmp_path: Path, log: logging.Logger
) -> None:
    target = tmp_path / "hyperban.log"
    logs.configure(str(target), "INFO")
    with BatchLog(log) as batch:
        batch("before rotation")
    rotated = tmp_path / "hyperban.log.1"
    target.rename(rotated)
    assert logs.reopen() == "rolled over"  # SIGUSR1
    with BatchLog(log) as batch:
        batch("after rotation")
    assert rotated.read_text().endswith("before rotation\n")
    assert target.read_text().endswith("after rotation\n")


def test_stream_target_takes_direct_lines(
    log: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    logs.configure("STDERR", "INFO")
    assert isinstance(logs._handler, DirectStreamHandler)
    _log_both_ways(log, monkeypatch)
    usual, direct = stream.getvalue().splitlines()
    assert direct == usual


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_other_handlers_get_usual_records(tmp_path: Path, log: logging.Logger) -> None:
    target = tmp_path / "hyperban.log"
    logs.configure(str(target), "INFO")
    extra = _Records()  # a second handler: no direct path
    log.addHandler(extra)
    try:
        with BatchLog(log) as batch:
            batch(*MESSAGE)
    finally:
        log.removeHandler(extra)
    assert [(r.msg, r.args) for r in extra.records] == [(MESSAGE[0], MESSAGE[1:])]
    assert target.read_text().endswith(" [sshd] Found 192.0.2.1 - 2023-11-14 22:13:20\n")


def test_filters_and_levels_are_honoured(tmp_path: Path, log: logging.Logger) -> None:
    target = tmp_path / "hyperban.log"
    logs.configure(str(target), "WARNING")
    batch = BatchLog(log)
    assert not batch.enabled
    batch("not written")
    batch.close()
    logs.configure(str(target), "INFO")
    log.addFilter(lambda record: "secret" not in record.getMessage())
    try:
        with BatchLog(log) as batch:
            batch("a secret")
            batch("public")
    finally:
        log.filters.clear()
    assert [line.rsplit(" ", 1)[1] for line in target.read_text().splitlines()] == ["public"]


@pytest.mark.parametrize("created", [T0, T0 + 0.9995, T0 + 1.0, 1.0, 86399.999])
def test_cached_time_stamp_is_strftimes(created: float) -> None:
    formatter = LineFormatter("%(asctime)s %(message)s")
    plain = logging.Formatter("%(asctime)s %(message)s")
    for _ in range(2):  # the second call is served from the cache
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        record.created = created
        record.msecs = int((created - int(created)) * 1000) + 0.0
        assert formatter.format(record) == plain.format(record)
        assert formatter.line("x", "INFO", "m", created, 1) == plain.format(record)


def test_lines_follow_a_new_target_set_within_a_batch(tmp_path: Path, log: logging.Logger) -> None:
    old, new = tmp_path / "old.log", tmp_path / "new.log"
    logs.configure(str(old), "INFO")
    with BatchLog(log) as batch:
        batch("to the old target")
        logs.configure(str(new), "INFO")  # `set logtarget` from the control socket
        batch("to the new target")
    assert old.read_text().endswith("to the old target\n")
    assert new.read_text().endswith("to the new target\n")
