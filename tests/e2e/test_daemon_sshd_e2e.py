"""End to end, every part real: OpenSSH's sshd in a network namespace, an attacker in
another, hyperban (the daemon process) banning through nftables in the server namespace.

failed password logins → ban → the attacker's TCP connect fails → ``client set sshd
unbanip`` lets it in → banned again → ``kill -9`` and restart → the ban is back with its
remaining time (same end of ban).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from lab_config import write_daemon_config
from sshd_netns import SshdLab

from ban_listing import same_ban_ends


def _client(lab: SshdLab, confdir: Path, *args: str) -> str:
    result = lab.exec_server(
        [sys.executable, "-m", "hyperban.client", "-c", str(confdir), *args], check=False
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def _wait(condition: object, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _start_daemon(lab: SshdLab, confdir: Path, *extra: str) -> subprocess.Popen[str]:
    proc = lab.popen_server(
        [sys.executable, "-m", "hyperban", "-f", "-c", str(confdir), *extra],
        stdout=subprocess.DEVNULL,
        stderr=open(confdir / "state" / "daemon.log", "a"),  # closed with the process
        text=True,
    )

    def answers() -> bool:
        if proc.poll() is not None:
            log = (confdir / "state" / "daemon.log").read_text()
            raise AssertionError(f"daemon exited {proc.returncode}: {log}")
        ping = lab.exec_server(
            [sys.executable, "-m", "hyperban.client", "-c", str(confdir), "ping"], check=False
        )
        return ping.returncode == 0

    _wait(answers, what="the daemon")
    return proc


def test_sshd_attack_is_banned_unbanned_and_restored_after_kill(
    lab: SshdLab, tmp_path: Path
) -> None:
    confdir = write_daemon_config(tmp_path / "etc", lab.log_path, maxretry=3, bantime="1h")
    daemon = _start_daemon(lab, confdir)
    try:
        assert lab.can_connect()
        for _ in range(3):
            attempt = lab.failed_login(user="root", password="wrong")
            if attempt.unreachable:
                break
            assert attempt.rejected, attempt
        _wait(lambda: not lab.can_connect(), what="the firewall to drop the attacker")
        assert lab.attacker_ip in _client(lab, confdir, "status", "sshd")
        assert lab.can_connect(ipv6=True)  # only the attacking address is banned

        assert _client(lab, confdir, "set", "sshd", "unbanip", lab.attacker_ip).strip() == "1"
        _wait(lab.can_connect, what="the attacker to get in again")

        assert _client(lab, confdir, "set", "sshd", "banip", lab.attacker_ip).strip() == "1"
        _wait(lambda: not lab.can_connect(), what="the manual ban")
        before = _client(lab, confdir, "get", "sshd", "banip", "--with-time")

        daemon.kill()
        daemon.wait(10)
        # the kernel keeps the set; flush it to prove the restart puts the ban back
        lab.exec_server(["nft", "flush", "ruleset"], check=True)
        assert lab.can_connect()
        daemon = _start_daemon(lab, confdir, "-x")
        _wait(lambda: not lab.can_connect(), what="the restored ban")
        assert same_ban_ends(before, _client(lab, confdir, "get", "sshd", "banip", "--with-time"))
    finally:
        if daemon.poll() is None:
            daemon.terminate()
            daemon.wait(30)
    # a clean stop lifts the bans in the firewall (the database keeps them)
    assert lab.can_connect()
