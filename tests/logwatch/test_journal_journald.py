"""The ``systemd`` backend against a real systemd-journald (see journald_util).

Each test gets its own journald in a private mount namespace; entries are written by
processes named ``sshd`` (``_COMM=sshd``) or something else.  Expected lines are
fail2ban's own formatting (FilterSystemd.formatJournalEntry under /usr/bin/python3) of
the very entries journald stored.  Tests end each scenario with a "sync" entry and
wait for it, so "nothing more was delivered" is checked without timing anything.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from journald_util import Entry, PrivateJournald, fail2ban_journal_pos, unavailable

from hyperban.logwatch.journal import (
    JOURNAL_PATH,
    JournalWatch,
    format_entry,
    load_journal,
    parse_journalmatch,
    reader_args,
)
from hyperban.server.database import Database

WAIT = 120.0  # bound for journald + watch to get somewhere; normally well under a second

_REASON: list[str | None] = []


def _unavailable() -> str | None:
    if not _REASON:
        _REASON.append(unavailable())
    return _REASON[0]


def _daemon_util() -> Any:
    """tests/daemon/daemon_util.py (not on this directory's import path)."""
    if "daemon_util" in sys.modules:
        return sys.modules["daemon_util"]
    path = Path(__file__).resolve().parents[1] / "daemon" / "daemon_util.py"
    spec = importlib.util.spec_from_file_location("daemon_util", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["daemon_util"] = module
    spec.loader.exec_module(module)
    return module


def wait_until(cond: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    _daemon_util().wait_until(cond, timeout=timeout, what=what)


class Lines:
    """``on_data`` that records every delivered line (and the paths given)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chunks: list[bytes] = []
        self.paths: set[str] = set()

    def __call__(self, path: str, chunk: bytes) -> None:
        with self._lock:
            self.paths.add(path)
            self._chunks.append(chunk)

    def lines(self) -> list[str]:
        with self._lock:
            data = b"".join(self._chunks)
        assert data == b"" or data.endswith(b"\n")
        return data.decode("utf-8").splitlines()

    def messages(self) -> list[str]:
        return [line.split(": ", 1)[1] for line in self.lines()]


def sshd(message: str | bytes, pid: str = "4242") -> dict[str, str | bytes]:
    return {"MESSAGE": message, "SYSLOG_IDENTIFIER": "sshd", "SYSLOG_PID": pid}


@pytest.fixture
def journald(tmp_path: Path) -> Iterator[PrivateJournald]:
    reason = _unavailable()
    if reason:
        pytest.skip(f"no private journald: {reason}")
    jd = PrivateJournald(tmp_path / "journald").start()
    try:
        yield jd
    finally:
        jd.stop()


@pytest.fixture
def watches(journald: PrivateJournald) -> Iterator[Callable[..., JournalWatch]]:
    """Starts JournalWatch-es on the private journal; all are stopped at the end."""
    started: list[JournalWatch] = []

    def make(on_data: Lines, **kw: Any) -> JournalWatch:
        opts: dict[str, Any] = {"journalmatch": "_COMM=sshd", "flush_interval": 0.05}
        opts.update(kw)
        watch = JournalWatch("sshd", on_data, journalpath=str(journald.journal_dir), **opts)
        watch.start()
        started.append(watch)
        return watch

    yield make
    for watch in started:
        watch.stop(timeout=WAIT)


def sync(jd: PrivateJournald, got: Lines, tag: str) -> None:
    """Write a last sshd entry and wait until it is delivered."""
    jd.send([sshd(f"sync {tag}")])
    wait_until(lambda: f"sync {tag}" in got.messages(), f"entry 'sync {tag}'")


def send_visible(jd: PrivateJournald, entries: list[Entry], comm: str = "sshd") -> None:
    """Write entries and wait until journald has stored them."""
    before = jd.count(f"_COMM={comm}")
    jd.send(entries, comm=comm)
    wait_until(lambda: jd.count(f"_COMM={comm}") == before + len(entries), "journald to store")


def test_parse_journalmatch_lines() -> None:
    """The daemon passes the config's journalmatch lines; each is an alternative."""
    lines = ["_SYSTEMD_UNIT=sshd.service + _COMM=sshd", "SYSLOG_IDENTIFIER=a _PID=1"]
    assert parse_journalmatch(lines) == [
        ["_SYSTEMD_UNIT=sshd.service"],
        ["_COMM=sshd"],
        ["SYSLOG_IDENTIFIER=a", "_PID=1"],
    ]
    assert parse_journalmatch(["_COMM=sshd"]) == [["_COMM=sshd"]]


def test_reader_args_take_fail2ban_names(tmp_path: Path) -> None:
    (tmp_path / "a.journal").touch()
    (tmp_path / "b.journal").touch()
    assert reader_args({"journalflags": "1", "namespace": "ns"}) == {
        "flags": 1,
        "namespace": "ns",
    }
    assert reader_args({"journalpath": "/x"}) == {"path": "/x"}
    files = reader_args({"journalfiles": f"{tmp_path}/*.journal /nonexistent"})
    assert files == {"files": [str(tmp_path / "a.journal"), str(tmp_path / "b.journal")]}
    assert reader_args({}) == {"flags": 4}
    with pytest.raises(ValueError, match="journalflagz"):
        reader_args({"journalflagz": "1"})


def test_delivers_exactly_the_matching_entries_in_order(
    journald: PrivateJournald, watches: Callable[..., JournalWatch]
) -> None:
    # Written before the watch starts, older than findtime (0): not delivered.
    send_visible(journald, [sshd("before 1"), sshd("before 2")])
    got = Lines()
    watches(got, findtime=0)
    journald.send([sshd(f"a{i}") for i in range(5)])
    journald.send([sshd(f"not sshd {i}") for i in range(3)], comm="other")
    journald.send([sshd("from another sshd", pid="77")])
    journald.send([sshd(f"b{i}") for i in range(5)])
    sync(journald, got, "1")

    expected = [f"a{i}" for i in range(5)] + ["from another sshd"] + [f"b{i}" for i in range(5)]
    assert got.messages() == [*expected, "sync 1"]
    assert got.paths == {JOURNAL_PATH}
    # Line for line what fail2ban makes of the same stored entries.
    oracle = [line for _, line, _ in journald.fail2ban_format("_COMM=sshd")]
    assert got.lines() == [line for line in oracle if "before" not in line]


def test_reads_back_findtime_at_start(
    journald: PrivateJournald, watches: Callable[..., JournalWatch]
) -> None:
    """Like fail2ban: a new watch reads the last ``findtime`` of the journal first."""
    send_visible(journald, [sshd("recent 1"), sshd("recent 2")])
    send_visible(journald, [sshd("not sshd")], comm="other")
    got = Lines()
    watches(got, findtime=600)
    sync(journald, got, "1")
    assert got.messages() == ["recent 1", "recent 2", "sync 1"]


def test_burst_none_lost_or_doubled(
    journald: PrivateJournald, watches: Callable[..., JournalWatch]
) -> None:
    got = Lines()
    watches(got, findtime=0)
    n = 4000
    # Another process writes non-matching entries at the same time.
    other = threading.Thread(
        target=journald.send, args=([sshd(f"noise {i}") for i in range(1500)], "other")
    )
    other.start()
    try:
        journald.send([sshd(f"burst {i}", pid=str(1000 + i % 7)) for i in range(n)])
    finally:
        other.join(WAIT)
    sync(journald, got, "burst")
    messages = got.messages()
    assert len(messages) == n + 1
    assert messages == [f"burst {i}" for i in range(n)] + ["sync burst"]


def test_position_resumes_after_last_delivered_entry(
    journald: PrivateJournald, watches: Callable[..., JournalWatch], tmp_path: Path
) -> None:
    dbfile = tmp_path / "hb.sqlite3"
    db = Database(dbfile)
    db.addJail("sshd")
    # findtime covers everything: only the stored position keeps old entries out.
    got1 = Lines()
    w1 = watches(got1, db=db, findtime=3600)
    journald.send([sshd(f"a{i}") for i in range(250)])  # more than one batch (100)
    sync(journald, got1, "a")
    w1.stop(timeout=WAIT)
    assert w1._thread is not None and not w1._thread.is_alive()
    assert got1.messages() == [f"a{i}" for i in range(250)] + ["sync a"]
    stored = db.getLogPos("sshd", JOURNAL_PATH)
    db.close()
    # The time of the last entry, in seconds with microseconds, as fail2ban stores it
    # (and fail2ban reads it back from our database).
    sent = [tm for _, line, tm in journald.fail2ban_format("_COMM=sshd") if "sync a" in line]
    assert stored is not None and isinstance(stored[1], float)
    assert sent[0] <= stored[1] <= time.time()
    assert fail2ban_journal_pos(dbfile, "sshd") == stored[1]

    # Written while no watch runs: the next one delivers them, and nothing before.
    send_visible(journald, [sshd(f"b{i}") for i in range(50)])
    db = Database(dbfile)
    got2 = Lines()
    w2 = watches(got2, db=db, findtime=3600)
    journald.send([sshd(f"c{i}") for i in range(50)])
    sync(journald, got2, "c")
    w2.stop(timeout=WAIT)
    expected2 = [f"b{i}" for i in range(50)] + [f"c{i}" for i in range(50)] + ["sync c"]
    assert got2.messages() == expected2

    # Restart with nothing new: the stored position is the journal's end.
    got3 = Lines()
    w3 = watches(got3, db=db, findtime=3600)
    journald.send([sshd(f"d{i}") for i in range(5)])
    sync(journald, got3, "d")
    w3.stop(timeout=WAIT)
    assert got3.messages() == [f"d{i}" for i in range(5)] + ["sync d"]
    db.close()


def test_position_in_the_future_is_not_trusted(
    journald: PrivateJournald, watches: Callable[..., JournalWatch], tmp_path: Path
) -> None:
    """A stored time ahead of the clock (clock set back, database from elsewhere) must
    not hide the entries written from now until that time."""
    db = Database(tmp_path / "hb.sqlite3")
    db.addJail("sshd")
    ahead = time.time() + 3600
    db.updateLog("sshd", JOURNAL_PATH, ahead, "later")
    send_visible(journald, [sshd("recent")])
    got = Lines()
    watch = watches(got, db=db, findtime=600)
    journald.send([sshd("new")])
    sync(journald, got, "1")
    watch.stop(timeout=WAIT)
    assert got.messages() == ["recent", "new", "sync 1"]
    stored = db.getLogPos("sshd", JOURNAL_PATH)
    assert stored is not None and stored[1] < ahead  # the real position replaced it
    db.close()


def test_journal_rotation_loses_and_doubles_nothing(
    journald: PrivateJournald, watches: Callable[..., JournalWatch]
) -> None:
    """journald archiving its files (``journalctl --rotate``) while entries come in."""
    got = Lines()
    watches(got, findtime=0)
    journald.send([sshd(f"a{i}") for i in range(300)])
    rotate = journald.nsenter("journalctl", "--rotate")
    subprocess.run(rotate, check=True, capture_output=True, timeout=WAIT)
    writer = threading.Thread(target=journald.send, args=([sshd(f"b{i}") for i in range(2000)],))
    writer.start()
    try:
        subprocess.run(rotate, check=True, capture_output=True, timeout=WAIT)
    finally:
        writer.join(WAIT)
    journald.send([sshd(f"c{i}") for i in range(10)])
    sync(journald, got, "rotated")
    assert len(list(journald.journal_dir.glob("*/system@*.journal"))) >= 2  # archived
    expected = [f"a{i}" for i in range(300)] + [f"b{i}" for i in range(2000)]
    expected += [f"c{i}" for i in range(10)] + ["sync rotated"]
    assert got.messages() == expected


def test_formatting_equals_fail2ban_on_real_entries(
    journald: PrivateJournald, watches: Callable[..., JournalWatch]
) -> None:
    entries: list[Entry] = [
        sshd("Failed password for root from 192.0.2.1 port 22 ssh2"),
        sshd("multi\nline\n message"),
        sshd(b"not utf-8 \xff\xfe end"),
        sshd("unicode \u2713 \u00e9"),
        sshd(""),
        sshd("hex pid", pid="0x1f"),
        sshd("word pid", pid="abc"),
        {"MESSAGE": "no identifier: _COMM and _PID"},
        {"MESSAGE": "identifier, no pid", "SYSLOG_IDENTIFIER": "sshd"},
        [("MESSAGE", "part one"), ("MESSAGE", "part two"), ("SYSLOG_IDENTIFIER", "sshd")],
        {"MESSAGE": "userspace kernel", "SYSLOG_IDENTIFIER": "kernel"},
        {"MESSAGE": "trailing\ttab ", "SYSLOG_IDENTIFIER": "app", "SYSLOG_PID": " 12"},
    ]
    send_visible(journald, entries)
    oracle = journald.fail2ban_format()  # every entry: journald's own, kernel, ours
    assert len(oracle) >= len(entries)

    # format_entry on the same entries, read by this interpreter's python-systemd.
    journal = load_journal()
    reader = journal.Reader(path=str(journald.journal_dir), converters={"__CURSOR": lambda x: x})
    reader.seek_head()
    ours = {e["__CURSOR"]: format_entry(e) for e in reader}
    reader.close()
    for cursor, line, tm in oracle:
        assert ours[cursor][0] == line
        assert ours[cursor][1] == pytest.approx(tm, abs=1e-6)

    # And what a watch without journalmatch delivers (from the head: findtime huge).
    got = Lines()
    watches(got, journalmatch=None, findtime=1e9)
    wait_until(lambda: len(got.lines()) >= len(oracle), "every entry")
    assert got.lines()[: len(oracle)] == [line for _, line, _ in oracle]


def test_fail2ban_option_names(
    journald: PrivateJournald, watches: Callable[..., JournalWatch]
) -> None:
    """The daemon passes ``backend = systemd[journalflags=.., ...]`` options by
    fail2ban's names, as strings, and journalmatch as one string per line."""
    got = Lines()
    watches(
        got,
        journalmatch=["_SYSTEMD_UNIT=sshd.service + _COMM=sshd", "SYSLOG_IDENTIFIER=app"],
        findtime=0,
    )
    journald.send([sshd("one")])
    journald.send([{"MESSAGE": "two", "SYSLOG_IDENTIFIER": "app"}], comm="other")
    journald.send([{"MESSAGE": "three", "SYSLOG_IDENTIFIER": "nope"}], comm="other")
    sync(journald, got, "1")
    assert got.messages() == ["one", "two", "sync 1"]

    got_files = Lines()
    files = " ".join(str(p) for p in journald.journal_dir.glob("*/*.journal"))
    watch = JournalWatch(
        "files", got_files, journalmatch="_COMM=sshd", journalfiles=files, findtime=0
    )
    watch.start()
    try:
        sync(journald, got_files, "files")
    finally:
        watch.stop(timeout=WAIT)
    flags = JournalWatch("flags", got_files, journalflags="4", findtime=0)
    flags.stop(timeout=WAIT)


def _write_daemon_config(dest: Path, tmp: Path, journalmatch: str | None) -> Path:
    du = _daemon_util()
    extra = "backend = systemd\nfindtime = 10m\n"
    if journalmatch is not None:
        extra += f"journalmatch = {journalmatch}\n"
    du.write_config(dest, tmp / "unused.log", maxretry=3, jail_extra=extra)
    # fail2ban's own sshd filter, read from the installed fail2ban at test time.
    for name in ("sshd.conf", "common.conf"):
        src = Path("/etc/fail2ban/filter.d") / name
        if not src.is_file():
            pytest.skip(f"{src} not installed (Debian package fail2ban)")
        shutil.copy(src, dest / "filter.d" / name)
    return dest


@contextlib.contextmanager
def journal_daemon(journald: PrivateJournald, confdir: Path) -> Iterator[Any]:
    """The daemon (tests/daemon/daemon_util.Daemon) run inside the private journald's
    mount namespace; stopped (killed if need be) at the end."""
    du = _daemon_util()

    class JournalDaemon(du.Daemon):  # type: ignore[misc,name-defined]
        def start(self, *extra: str, wait: bool = True) -> Any:
            cmd = [sys.executable, "-m", "hyperban", "-f", "-c", str(self.confdir), *extra]
            with open(self.stderr_path, "ab") as err:
                # nsenter execs the command: the pid is the daemon's.
                self.proc = subprocess.Popen(
                    journald.nsenter(*cmd), stdout=subprocess.DEVNULL, stderr=err
                )
            if wait:
                du.wait_until(self.answers, timeout=WAIT, what="the daemon's control socket")
            return self

    daemon = JournalDaemon(confdir)
    try:
        yield daemon.start()
    finally:
        if daemon.proc is not None and daemon.proc.poll() is None:
            try:
                daemon.stop(timeout=WAIT)
            except subprocess.TimeoutExpired:
                daemon.kill()
    assert daemon.proc is not None and daemon.proc.returncode == 0, daemon.log()


@pytest.mark.parametrize(
    "journalmatch",
    [
        "_COMM=sshd",
        None,  # the filter's: _SYSTEMD_UNIT=sshd.service + _COMM=sshd
    ],
)
def test_daemon_bans_from_the_journal(
    journald: PrivateJournald, tmp_path: Path, journalmatch: str | None
) -> None:
    confdir = _write_daemon_config(tmp_path / "conf", tmp_path, journalmatch)
    with journal_daemon(journald, confdir) as daemon:
        # Two failures for .20 (below maxretry), then three for .10.
        ips = ("192.0.2.20", "192.0.2.20", "192.0.2.10", "192.0.2.10", "192.0.2.10")
        journald.send([sshd(f"Failed password for root from {ip} port 22 ssh2") for ip in ips])
        # Not from a process named sshd: outside the journal match.
        failed = sshd("Failed password for root from 192.0.2.30 port 22 ssh2")
        journald.send([failed] * 3, comm="notsshd")

        wait_until(lambda: "192.0.2.10" in daemon.banned(), "192.0.2.10 to be banned")
        status = daemon.client("status", "sshd").stdout
        assert "192.0.2.10" in status
        assert daemon.banned() == ["192.0.2.10"], status
        # .20's entries came first, so they were seen: one address failing, not banned.
        assert "Currently failed:\t1" in status, status
        assert "Total failed:\t5" in status, status

    # Restart: the database's journal position says where to go on; nothing read
    # before is read again (else .20's two old failures + one new one would ban it).
    journald.send([sshd("Failed password for root from 192.0.2.20 port 22 ssh2")])
    with journal_daemon(journald, confdir) as daemon:
        journald.send([sshd("Failed password for root from 192.0.2.40 port 22 ssh2")] * 3)
        wait_until(lambda: "192.0.2.40" in daemon.banned(), "192.0.2.40 to be banned")
        status = daemon.client("status", "sshd").stdout
        assert sorted(daemon.banned()) == ["192.0.2.10", "192.0.2.40"], status  # .10 restored
        assert "Currently failed:\t1" in status, status
        assert "Total failed:\t4" in status, status


def test_daemon_reports_journalmatch_like_fail2ban(
    journald: PrivateJournald, tmp_path: Path
) -> None:
    confdir = _write_daemon_config(tmp_path / "conf", tmp_path, None)
    with journal_daemon(journald, confdir) as daemon:
        got = daemon.client("get", "sshd", "journalmatch").stdout
        status = daemon.client("status", "sshd").stdout
    assert got == "Current match filter:\n_SYSTEMD_UNIT=sshd.service + _COMM=sshd\n"
    assert "`- Journal matches:\t_SYSTEMD_UNIT=sshd.service + _COMM=sshd" in status, status


def test_daemon_journal_matches_and_idle_at_run_time(
    journald: PrivateJournald, tmp_path: Path
) -> None:
    """``addjournalmatch``/``deljournalmatch`` change what the jail reads from the next
    entry on, and an idle journal jail reads the entries written meanwhile when it
    resumes: nothing is lost or read twice (maxretry 3: a second reading would ban)."""
    confdir = _write_daemon_config(tmp_path / "conf", tmp_path, "_COMM=sshd")
    with journal_daemon(journald, confdir) as daemon:

        def fail(ip: str, comm: str = "sshd", times: int = 1) -> None:
            line = f"Failed password for root from {ip} port 22 ssh2"
            journald.send([sshd(line)] * times, comm=comm)

        def total_failed() -> int:
            status = daemon.client("status", "sshd").stdout
            return int(status.split("Total failed:\t")[1].split()[0])

        fail("192.0.2.50", comm="otherd")  # outside the match
        fail("192.0.2.51")
        wait_until(lambda: total_failed() == 1, "the sshd entry")
        added = daemon.client("set", "sshd", "addjournalmatch", "_COMM=otherd")
        assert added.stdout == "Current match filter:\n_COMM=sshd + _COMM=otherd\n", added
        fail("192.0.2.52", comm="otherd")
        wait_until(lambda: total_failed() == 2, "the otherd entry, now matched")
        bad = daemon.client("set", "sshd", "deljournalmatch", "_COMM=nope", check=False)
        assert bad.returncode == 255 and "Match ['_COMM=nope'] not found" in bad.stdout
        removed = daemon.client("set", "sshd", "deljournalmatch", "_COMM=otherd")
        assert removed.stdout == "Current match filter:\n_COMM=sshd\n", removed
        assert daemon.client("set", "sshd", "idle", "on").stdout == "True\n"
        fail("192.0.2.53", times=2)  # written while idle
        fail("192.0.2.54", comm="otherd")  # no longer matched
        time.sleep(1.0)
        assert total_failed() == 2  # idle: nothing read
        assert daemon.client("set", "sshd", "idle", "off").stdout == "False\n"
        wait_until(lambda: total_failed() == 4, "the entries written while idle")
        fail("192.0.2.55")
        wait_until(lambda: total_failed() == 5, "a new entry")
        time.sleep(1.0)
        assert total_failed() == 5 and daemon.banned() == []  # nothing read twice
        text = daemon.log()
    assert "[sshd] Added journal match for: '_COMM=otherd'" in text
    assert "[sshd] Removed journal match for: ['_COMM=otherd']" in text
