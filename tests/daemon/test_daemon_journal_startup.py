"""A ``backend = systemd`` jail whose journal cannot be used stops the daemon's start-up
cleanly: exit status 255, the jail and the reason on stderr, no traceback, no socket or
pid file left behind (so the next start needs no ``-x``).

No journald is needed: a bad ``journalflags`` is refused while the configuration is
read, and a ``journalpath`` that does not exist when the journal is opened, after the
control socket and the jails before it have started.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from daemon_util import Daemon, start_refused, write_config


def _nothing_left(confdir: Path) -> None:
    assert not (confdir / "state" / "hb.sock").exists()
    assert not (confdir / "state" / "hb.pid").exists()


def _starts_again(confdir: Path) -> None:
    """A plain start (no -x) on the fixed configuration works and stops cleanly."""
    daemon = Daemon(confdir).start()
    try:
        assert daemon.client("status").returncode == 0
    finally:
        assert daemon.stop() == 0, daemon.log()
    _nothing_left(confdir)


def _need_python_systemd() -> None:
    from hyperban.logwatch.backends import BackendUnavailable
    from hyperban.logwatch.journal import load_journal

    try:
        load_journal()
    except BackendUnavailable as e:
        pytest.skip(str(e))


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "auth.log"
    path.write_text("")
    return path


def test_bad_journalflags_refused_naming_jail_and_value(tmp_path: Path, log_path: Path) -> None:
    confdir = write_config(
        tmp_path / "etc", log_path, jail_extra="backend = systemd[journalflags=bogus]\n"
    )
    result = start_refused(confdir)
    assert "cannot start" in result.stderr
    assert "'sshd'" in result.stderr and "journalflags=bogus" in result.stderr, result.stderr
    _nothing_left(confdir)

    local = confdir / "jail.d" / "test.local"
    local.write_text(local.read_text().replace("backend = systemd[journalflags=bogus]\n", ""))
    _starts_again(confdir)


def test_unknown_backend_option_refused(tmp_path: Path, log_path: Path) -> None:
    confdir = write_config(
        tmp_path / "etc", log_path, jail_extra="backend = systemd[journalflagz=1]\n"
    )
    result = start_refused(confdir)
    assert "'sshd'" in result.stderr and "journalflagz" in result.stderr, result.stderr
    _nothing_left(confdir)


def test_journal_unopenable_at_start_leaves_nothing_behind(tmp_path: Path, log_path: Path) -> None:
    _need_python_systemd()
    missing = tmp_path / "no-such-journal-dir"
    # A file jail (sshd) next to the journal jail: whichever starts first, the daemon
    # must stop it again and exit (a thread left running would keep the process alive).
    confdir = write_config(tmp_path / "etc", log_path)
    journal_jail = confdir / "jail.d" / "journal.local"
    journal_jail.write_text(
        "[sshd-journal]\nenabled = true\nfilter = sshd\nport = ssh\n"
        f"backend = systemd[journalpath={missing}]\n"
    )
    result = start_refused(confdir)
    assert "'sshd-journal'" in result.stderr and str(missing) in result.stderr, result.stderr
    assert "No such file or directory" in result.stderr, result.stderr
    _nothing_left(confdir)

    journal_jail.unlink()
    _starts_again(confdir)


def test_reload_with_an_unopenable_journal_keeps_the_other_jails(
    tmp_path: Path, log_path: Path
) -> None:
    _need_python_systemd()
    missing = tmp_path / "no-such-journal-dir"
    confdir = write_config(tmp_path / "etc", log_path)
    daemon = Daemon(confdir).start()
    try:
        (confdir / "jail.d" / "journal.local").write_text(
            "[sshd-journal]\nenabled = true\nfilter = sshd\nport = ssh\n"
            f"backend = systemd[journalpath={missing}]\n"
        )
        reload = daemon.client("reload", check=False)
        assert reload.returncode != 0
        assert "'sshd-journal'" in reload.stdout + reload.stderr, reload
        status = daemon.client("status").stdout
        assert "Number of jail:\t1" in status and "sshd-journal" not in status, status
        # the file jail is back, on its log
        logpath = daemon.client("get", "sshd", "logpath").stdout
        assert logpath == f"Current monitored log file(s):\n`- {log_path}\n", logpath
    finally:
        assert daemon.stop() == 0, daemon.log()
    _nothing_left(confdir)
