"""The ctypes inotify wrapper, backend selection and the systemd backend's parts."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from logwatch_util import wait_until

from hyperban.logwatch import BackendUnavailable, LogHub, make_waiter
from hyperban.logwatch import backends as backends_mod
from hyperban.logwatch.inotify import IN_CREATE, IN_MODIFY, IN_MOVED_FROM, Inotify
from hyperban.logwatch.journal import format_entry, parse_journalmatch


def test_inotify_reports_directory_events(tmp_path: Path) -> None:
    with Inotify() as ino:
        wd = ino.add_watch(str(tmp_path))
        (tmp_path / "a.log").write_text("x\n")
        os.rename(tmp_path / "a.log", tmp_path / "a.log.1")
        events: list = []
        assert wait_until(lambda: events.extend(ino.read()) or len(events) >= 3)
        masks = {e.name: 0 for e in events}
        for e in events:
            assert e.wd == wd
            masks[e.name] |= e.mask
        assert masks["a.log"] & IN_CREATE and masks["a.log"] & IN_MODIFY
        assert masks["a.log"] & IN_MOVED_FROM
    with Inotify() as ino, pytest.raises(OSError):
        ino.add_watch(str(tmp_path / "missing"))


def test_backend_names() -> None:
    assert make_waiter("polling").name == "polling"
    assert make_waiter("pyinotify").name == "inotify"  # fail2ban's name
    assert make_waiter("AUTO").name == "inotify"
    with pytest.raises(ValueError, match="unknown backend"):
        make_waiter("nope")
    with pytest.raises(ValueError, match="JournalWatch"):
        make_waiter("systemd")


def test_auto_falls_back_to_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OSError(24, "too many inotify instances")

    monkeypatch.setattr(backends_mod, "InotifyWaiter", broken)
    assert make_waiter("auto").name == "polling"
    with pytest.raises(BackendUnavailable, match="too many"):
        make_waiter("inotify")
    hub = LogHub(backend="auto")
    assert hub.backend == "polling"
    hub.stop()


def test_parse_journalmatch() -> None:
    assert parse_journalmatch("_SYSTEMD_UNIT=sshd.service + _COMM=sshd _PID=1") == [
        ["_SYSTEMD_UNIT=sshd.service"],
        ["_COMM=sshd", "_PID=1"],
    ]
    assert parse_journalmatch(None) == []
    with pytest.raises(ValueError):
        parse_journalmatch("sshd")


def test_format_entry() -> None:
    when = datetime.datetime(2024, 5, 1, 12, 0, 0, 250000)
    line, ts = format_entry(
        {
            "_HOSTNAME": "host",
            "SYSLOG_IDENTIFIER": "sshd",
            "_PID": "42",
            "MESSAGE": "Failed password\nfor root",
            "__REALTIME_TIMESTAMP": when,
        }
    )
    assert line == "2024-05-01T12:00:00.250000 host sshd[42]: Failed password\\nfor root"
    assert ts == pytest.approx(when.timestamp())
    line, _ = format_entry(
        {
            "SYSLOG_IDENTIFIER": "kernel",
            "MESSAGE": "oops",
            "_SOURCE_MONOTONIC_TIMESTAMP": datetime.timedelta(seconds=1.5),
            "__REALTIME_TIMESTAMP": when,
        }
    )
    assert line.endswith(" kernel: [    1.500000] oops")


def test_journal_watch_starts_and_stops(tmp_path: Path) -> None:
    from hyperban.logwatch import JournalWatch

    try:
        watch = JournalWatch(
            "sshd", lambda p, c: None, journalmatch="_COMM=sshd", path=str(tmp_path)
        )
    except BackendUnavailable as e:
        assert "python-systemd" in str(e)
        pytest.skip(str(e))
    watch.start()  # on an empty journal directory: waits in journal.wait()
    watch.stop(timeout=10)
    assert watch._thread is not None and not watch._thread.is_alive()
