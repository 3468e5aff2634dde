"""The sshd lab works: the attacker reaches sshd, and a failed password login from it
lands in the lab's log as the line filters look for."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sshd_netns import SshdLab, sshd_lab, unavailable_reason


def test_attacker_reaches_sshd(lab: SshdLab) -> None:
    assert lab.can_connect()
    assert lab.can_connect(ipv6=True)
    assert not lab.can_connect(port=lab.port + 1)  # nothing listens there: refused


def test_failed_password_is_logged_with_the_attackers_address(lab: SshdLab) -> None:
    since = lab.log_mark()
    attempt = lab.failed_login("root", "not-the-password")
    assert attempt.rejected and not attempt.unreachable, attempt
    line = lab.wait_for_log(
        rf"sshd\[\d+\]: Failed password for root from {re.escape(lab.attacker_ip)} port \d+ ssh2$",
        since=since,
    )
    # The line is in auth.log's format: the bundled filter reads it as a failure.
    # (Imported here: the harness itself needs nothing of hyperban.)
    from hyperban.config import read_filter
    from hyperban.defaults import default_config_dir
    from hyperban.filter import Filter

    flt = Filter.from_definition(read_filter("sshd", str(default_config_dir())), usedns="no")
    assert [f.ip for f in flt.process_line(line).found] == [lab.attacker_ip]


def test_invalid_user_over_ipv6(lab: SshdLab) -> None:
    since = lab.log_mark()
    assert lab.failed_login("nosuchuser", "x", ipv6=True).rejected
    lab.wait_for_log(
        rf"Failed password for invalid user nosuchuser from {re.escape(lab.attacker_ip6)} ",
        since=since,
    )


def test_commands_run_in_each_namespace(lab: SshdLab) -> None:
    server = lab.exec_server(["ip", "-4", "-o", "addr", "show"], check=True).stdout
    attacker = lab.exec_attacker(["ip", "-4", "-o", "addr", "show"], check=True).stdout
    assert f"{lab.server_ip}/" in server and lab.attacker_ip not in server
    assert f"{lab.attacker_ip}/" in attacker and lab.server_ip not in attacker


def test_everything_is_removed_on_error(tmp_path: Path) -> None:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with pytest.raises(RuntimeError, match="boom"), sshd_lab(tmp_path / "lab") as lab:
        daemon = lab.popen_server(["sleep", "600"])
        raise RuntimeError("boom")
    assert daemon.poll() is not None
    assert lab.sshd is not None and lab.sshd.poll() is not None
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert lab.server_ns not in names and lab.attacker_ns not in names


def test_a_firewall_rule_in_the_server_namespace_turns_the_attacker_away(lab: SshdLab) -> None:
    # What a ban looks like from the attacker's side (the daemon tests build on this).
    rule = (
        "table inet lab {\n chain input {\n  type filter hook input priority 0;\n"
        f"  ip saddr {lab.attacker_ip} tcp dport {lab.port} reject with tcp reset\n }}\n}}\n"
    )
    lab.exec_server(["nft", "-f", "-"], input=rule, check=True)
    assert not lab.can_connect()
    attempt = lab.failed_login()
    assert attempt.unreachable and not attempt.rejected, attempt
    assert lab.can_connect(ipv6=True)  # the rule is for the IPv4 address only
