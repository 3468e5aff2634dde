"""The daemon as a process: real config dir, log file, SQLite, socket and client.

Log-only ban action here (the firewall is covered by tests/firewall and tests/e2e).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from daemon_util import Daemon, start_refused, wait_until, write_config

from ban_listing import same_ban_ends

STAMP = "%b %d %H:%M:%S"


def failure_lines(ip: str, count: int, pid: int = 4242) -> str:
    stamp = time.strftime(STAMP)
    return "".join(
        f"{stamp} host sshd[{pid + i}]: Failed password for root from {ip} port 22 ssh2\n"
        for i in range(count)
    )


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "auth.log"
    path.write_text("")
    return path


@pytest.fixture
def confdir(tmp_path: Path, log_path: Path) -> Path:
    return write_config(tmp_path / "etc", log_path)


@pytest.fixture
def daemon(confdir: Path) -> object:
    d = Daemon(confdir).start()
    yield d
    if d.proc is not None and d.proc.poll() is None:
        d.kill()


def test_failures_in_the_log_ban_and_the_client_unbans(daemon: Daemon, log_path: Path) -> None:
    with open(log_path, "a") as f:
        f.write(failure_lines("192.0.2.10", 3))
    wait_until(lambda: "192.0.2.10" in daemon.banned(), what="the ban")
    status = daemon.client("status", "sshd").stdout
    assert "Currently banned:\t1" in status and "192.0.2.10" in status
    assert daemon.client("set", "sshd", "unbanip", "192.0.2.10").stdout.strip() == "1"
    assert daemon.banned() == []
    # many IPs in one call
    assert daemon.client("set", "sshd", "banip", "192.0.2.20", "192.0.2.21").stdout.strip() == "2"
    wait_until(lambda: len(daemon.banned()) == 2, what="two manual bans")
    assert daemon.client("unban", "--all").stdout.strip() == "2"
    assert daemon.stop() == 0
    assert not daemon.socket.exists() and not daemon.pidfile.exists()


def test_restart_after_kill_restores_the_ban_with_its_remaining_time(
    daemon: Daemon, confdir: Path, log_path: Path
) -> None:
    with open(log_path, "a") as f:
        f.write(failure_lines("198.51.100.3", 3))
    wait_until(lambda: "198.51.100.3" in daemon.banned(), what="the ban")
    before = daemon.client("get", "sshd", "banip", "--with-time").stdout
    daemon.kill()  # no clean stop: stale socket and pid file stay
    assert daemon.socket.exists()
    again = Daemon(confdir).start("-x")
    try:
        assert again.banned() == ["198.51.100.3"]
        after = again.client("get", "sshd", "banip", "--with-time").stdout
        assert same_ban_ends(before, after)  # same end of ban
        # lines read again after the crash (positions are stored every few seconds)
        # find the address banned already: no second ban
        assert "Total banned:\t1" in again.client("status", "sshd").stdout
    finally:
        assert again.stop() == 0


def test_bad_config_stops_startup_naming_the_file(confdir: Path) -> None:
    bad = confdir / "jail.d" / "broken.local"
    bad.write_text("[sshd]\nmaxretry = 3\nthis line is not an option\n")
    result = start_refused(confdir)
    assert "broken.local" in result.stderr and "3" in result.stderr
    assert not (confdir / "state" / "hb.sock").exists()
    assert not (confdir / "state" / "hb.pid").exists()


def test_bad_regex_names_the_jail_and_nothing_starts(confdir: Path) -> None:
    (confdir / "jail.d" / "regex.local").write_text("[sshd]\nfailregex = ^(unclosed <HOST>\n")
    result = start_refused(confdir)
    assert "sshd" in result.stderr
    assert not (confdir / "state" / "hb.sock").exists()


def test_corrupt_database_is_refused_and_left_untouched(confdir: Path) -> None:
    db = confdir / "state" / "hb.sqlite3"
    garbage = b"this is not an sqlite database\n" * 100
    db.write_bytes(garbage)
    result = start_refused(confdir)
    assert "hb.sqlite3" in result.stderr
    assert db.read_bytes() == garbage


def test_sighup_reloads_and_a_bad_reload_keeps_the_running_config(
    daemon: Daemon, confdir: Path
) -> None:
    assert daemon.client("get", "sshd", "maxretry").stdout.strip() == "3"
    local = confdir / "jail.d" / "test.local"
    local.write_text(local.read_text().replace("maxretry = 3", "maxretry = 7"))
    daemon.signal(signal.SIGHUP)
    wait_until(
        lambda: daemon.client("get", "sshd", "maxretry").stdout.strip() == "7",
        what="the reload",
    )
    (confdir / "jail.d" / "regex.local").write_text("[sshd]\nfailregex = ^(unclosed <HOST>\n")
    daemon.signal(signal.SIGHUP)
    wait_until(lambda: "reload failed" in daemon.log(), what="the failed reload")
    assert daemon.client("get", "sshd", "maxretry").stdout.strip() == "7"
    assert daemon.client("status").returncode == 0


def _currently_failed(daemon: Daemon) -> str:
    for line in daemon.client("status", "sshd").stdout.splitlines():
        if "Currently failed:" in line:
            return line.split("\t")[-1].strip()
    raise AssertionError(daemon.client("status", "sshd").stdout)


def test_a_reload_leaves_an_unchanged_jail_running(daemon: Daemon, log_path: Path) -> None:
    """As fail2ban's reload does: nothing about the jail changed, so its failure counts
    (and its firewall state) stay; the third failure across the reload bans."""
    with open(log_path, "a") as f:
        f.write(failure_lines("192.0.2.30", 2))
    wait_until(lambda: _currently_failed(daemon) == "1", what="two failures counted")
    daemon.client("reload")
    assert "unchanged, still running: sshd" in daemon.log()
    assert _currently_failed(daemon) == "1"
    with open(log_path, "a") as f:
        f.write(failure_lines("192.0.2.30", 1, pid=5000))
    wait_until(lambda: "192.0.2.30" in daemon.banned(), what="the ban after the reload")


def test_a_reload_applies_new_settings_to_the_running_jail(
    daemon: Daemon, confdir: Path, log_path: Path
) -> None:
    """Only maxretry changed: the jail takes it on in place and keeps its counts, so
    one failure before the reload and one after make two, which now bans."""
    with open(log_path, "a") as f:
        f.write(failure_lines("192.0.2.40", 1))
    wait_until(lambda: _currently_failed(daemon) == "1", what="one failure counted")
    local = confdir / "jail.d" / "test.local"
    local.write_text(local.read_text().replace("maxretry = 3", "maxretry = 2"))
    daemon.client("reload")
    assert "new settings applied, still running: sshd" in daemon.log()
    assert daemon.client("get", "sshd", "maxretry").stdout.strip() == "2"
    assert _currently_failed(daemon) == "1"
    with open(log_path, "a") as f:
        f.write(failure_lines("192.0.2.40", 1, pid=5100))
    wait_until(lambda: "192.0.2.40" in daemon.banned(), what="the ban at the new maxretry")


def test_a_reload_restarts_a_jail_changed_by_a_command_or_asked_to(
    daemon: Daemon, log_path: Path
) -> None:
    """A jail changed at run time goes back to its configuration on reload (fail2ban
    re-sends the whole configuration); ``--restart`` restarts an unchanged one."""
    daemon.client("set", "sshd", "maxretry", "9")
    assert daemon.client("get", "sshd", "maxretry").stdout.strip() == "9"
    daemon.client("reload")
    assert daemon.client("get", "sshd", "maxretry").stdout.strip() == "3"
    with open(log_path, "a") as f:
        f.write(failure_lines("192.0.2.31", 2))
    wait_until(lambda: _currently_failed(daemon) == "1", what="two failures counted")
    daemon.client("reload", "--restart")
    wait_until(lambda: _currently_failed(daemon) == "0", what="the restarted jail")
    # the restarted jail still reads the log (from where the old one stopped)
    with open(log_path, "a") as f:
        f.write(failure_lines("192.0.2.32", 3, pid=6000))
    wait_until(lambda: "192.0.2.32" in daemon.banned(), what="a ban after the restart")


def test_garbage_on_the_socket_does_not_stop_the_server(daemon: Daemon) -> None:
    for payload in (b"\x00" * 64, os.urandom(4096), b"\x80\x04garbage", b"{" * 1000):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(daemon.socket))
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            try:
                s.recv(65536)
            except OSError:
                pass
    assert daemon.client("ping").returncode == 0
    bad = daemon.client("status", "nosuchjail", check=False)
    assert bad.returncode != 0 and "nosuchjail" in (bad.stdout + bad.stderr)
    assert daemon.client("set", "sshd", "banip", check=False).returncode != 0
    assert daemon.client("ping").returncode == 0


def test_runtime_settings_through_the_client(daemon: Daemon) -> None:
    assert daemon.client("set", "sshd", "bantime", "2h").stdout.strip() == "7200"
    assert daemon.client("get", "sshd", "bantime").stdout.strip() == "7200"
    daemon.client("set", "sshd", "addignoreip", "203.0.113.0/24")
    assert "203.0.113.0/24" in daemon.client("get", "sshd", "ignoreip").stdout
    refused = daemon.client("set", "sshd", "banip", "203.0.113.9", check=False)
    assert refused.returncode != 0
    assert daemon.banned() == []
    assert daemon.client("get", "loglevel").stdout.strip() == "Current logging level is 'INFO'"


def test_jails_on_one_log_share_a_scan_and_both_ban(tmp_path: Path, log_path: Path) -> None:
    # a second jail on the same file, with another filter mode and ban time
    confdir = write_config(
        tmp_path / "etc2",
        log_path,
        jail_extra=(
            f"\n[sshd-aggressive]\nenabled = true\nfilter = sshd[mode=aggressive]\nport = ssh\n"
            f"logpath = {log_path}\nmaxretry = 3\nbantime = 2h\nignoreself = false\n"
            "ignoreip =\n"
        ),
    )
    daemon = Daemon(confdir).start()
    try:
        wait_until(lambda: "share one scan" in daemon.log(), what="the shared scan")
        with open(log_path, "a") as f:
            f.write(failure_lines("192.0.2.77", 3))
        wait_until(lambda: "192.0.2.77" in daemon.banned(), what="the sshd ban")
        out = daemon.client("get", "sshd-aggressive", "banned").stdout
        wait_until(
            lambda: "192.0.2.77" in daemon.client("get", "sshd-aggressive", "banned").stdout,
            what="the second jail's ban",
        )
        assert "Total failed:\t3" in daemon.client("status", "sshd-aggressive").stdout, out
    finally:
        assert daemon.stop() == 0


def test_file_log_target_reopens_on_sigusr1(confdir: Path, log_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "hyperban.log"
    daemon = Daemon(confdir).start("--logtarget", str(target))
    try:
        wait_until(lambda: target.exists() and "running" in target.read_text(), what="the log")
        rotated = tmp_path / "hyperban.log.1"
        target.rename(rotated)  # what logrotate does before signalling
        daemon.signal(signal.SIGUSR1)
        # The signal is handled when the main thread gets to it; lines logged before
        # that still go to the rotated file, as with fail2ban.  Reopening makes the file.
        wait_until(target.exists, what="the log reopened after SIGUSR1")
        with open(log_path, "a") as f:
            f.write(failure_lines("192.0.2.88", 3))
        wait_until(lambda: target.exists() and "192.0.2.88" in target.read_text(),
                   what="lines in the reopened log")  # fmt: skip
        assert "192.0.2.88" not in rotated.read_text()
        # the client's flushlogs does the same
        assert daemon.client("flushlogs").stdout.strip() == "logs: rolled over"
    finally:
        assert daemon.stop() == 0
