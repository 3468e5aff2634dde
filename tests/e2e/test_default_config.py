"""The bundled default config: it reads through our readers, and our sshd filter agrees
with fail2ban's stock one on fail2ban's own sshd sample log.

Agreement means: every (line, address) failure our filter finds, the stock filter finds
too (in its default or its aggressive mode), and every stock finding we miss belongs to
one of the classes in MISSED_ON_PURPOSE, each with the reason we leave it out.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hyperban.config import FilterDefinition, read_filter, read_jails, read_server_config
from hyperban.defaults import LOG_ONLY, NFTABLES, default_config_dir, write_config_with_banaction
from hyperban.filter import Filter

STOCK_DIR = Path("/etc/fail2ban")
SAMPLE = Path("/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/sshd")

# Stock findings our filter leaves out, by message, with why.
MISSED_ON_PURPOSE: dict[str, str] = {
    # Clients offer every key they hold; one failure per key is normal use.
    "failed publickey": r"Failed publickey ",
    # A host key not accepted is a configuration matter, not a guessed secret.
    "failed hostbased": r"Failed hostbased ",
    # The user name holds a second " from <address>": which address is sshd's is a
    # guess, and a wrong guess bans an address the client chose.
    "ambiguous user name": r"Failed \S+ for .* from .* from ",
    # No address on the line: stock carries it over from the connection's earlier
    # lines (F-MLFID); ours is single-line, and those earlier lines were counted.
    "address only from connection state": (
        r"Disconnecting: Too many authentication failures|pam_unix\(sshd:auth\)|"
        r"Accepted \w+ for |Read from socket failed|kex_exchange_identification|"
        r"Unable to negotiate a |no matching [\w ]+ found:"
    ),
    # A client's ordinary goodbye (code 11) that stock counts only through the
    # connection's state.
    "normal disconnect": r"Received disconnect from \S+?(?: port \d+)?: ?11: ",
    # Pre-authentication noise with no user name: port scanners, ssh-keyscan, health
    # checks, old clients (stock's ddos/extra/aggressive modes).
    "pre-auth noise": (
        r"(?:Connection (?:closed|reset) by|Disconnected from) [\d.:a-fA-F]+"
        r"(?: port \d+)?(?: \[preauth\])?$|Did not receive identification string|"
        r"Bad protocol version identification|banner exchange: |Unable to negotiate with |"
        r"Received disconnect from .*14: No (?:supported )?authentication methods"
    ),
    # Messages of OpenSSH versions long gone, or of tcp_wrappers.
    "obsolete": r"ROOT LOGIN REFUSED|refused connect from ",
}

Finding = tuple[int, str]
# The sample's lines, our findings, the stock filter's findings.
Corpus = tuple[list[str], set[Finding], set[Finding]]


def _sample_lines() -> list[str]:
    with SAMPLE.open(encoding="utf-8", errors="replace") as f:
        return [line.rstrip("\n") for line in f]


def _findings(definition: FilterDefinition, lines: list[str]) -> set[Finding]:
    # usedns=no: host names in the sample would otherwise be looked up in DNS.
    flt = Filter.from_definition(definition, usedns="no")
    return {
        (result.number, failure.ip)
        for result in flt.process_lines(lines)
        for failure in result.found
        if failure.ip is not None
    }


def _our_filter() -> FilterDefinition:
    return read_filter("sshd", str(default_config_dir()))


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    if not (SAMPLE.is_file() and (STOCK_DIR / "filter.d" / "sshd.conf").is_file()):
        pytest.skip("Debian's fail2ban (the stock sshd filter and its sample log) is missing")
    lines = _sample_lines()
    ours = _findings(_our_filter(), lines)
    stock: set[Finding] = set()
    for mode in ("normal", "aggressive"):
        stock |= _findings(read_filter(f"sshd[mode={mode}]", str(STOCK_DIR)), lines)
    return lines, ours, stock


def test_bundled_files_are_package_data() -> None:
    config = default_config_dir()
    for name in ("fail2ban.conf", "jail.conf", "filter.d/sshd.conf", "action.d/log-only.conf"):
        assert (config / name).is_file(), name


def test_server_config_reads() -> None:
    server = read_server_config(str(default_config_dir()))
    assert server.logtarget == "STDERR"
    assert server.loglevel_value > 0
    assert server.socket.startswith("/run/hyperban/")
    assert server.pidfile.startswith("/run/hyperban/")
    assert server.dbfile.startswith("/var/lib/hyperban/")


def test_one_enabled_sshd_jail_with_log_only() -> None:
    jails = read_jails(str(default_config_dir()))
    assert [j.name for j in jails] == ["sshd"]
    sshd = jails[0]
    assert sshd.enabled and sshd.error is None
    assert sshd.logpath == ["/var/log/auth.log"]
    assert sshd.filter is not None and sshd.filter.file.startswith(str(default_config_dir()))
    assert [a.name for a in sshd.actions] == [LOG_ONLY]
    assert all(not cmd for cmd in sshd.actions[0].commands.values())


def test_banaction_overlay_selects_nftables(tmp_path: Path) -> None:
    config = write_config_with_banaction(tmp_path / "config", NFTABLES)
    (sshd,) = read_jails(str(config))
    # The nftables action itself is not part of this package, so only the choice is
    # checked here, not that it resolves.
    assert [name for name, _ in sshd.action_specs] == [NFTABLES]
    assert sshd.action_specs[0][1] == {"port": "ssh", "protocol": "tcp"}
    with pytest.raises(ValueError, match="unknown banaction"):
        write_config_with_banaction(tmp_path / "other", "iptables")


def test_every_failregex_finds_something(corpus: Corpus) -> None:
    lines, _, _ = corpus
    flt = Filter.from_definition(_our_filter(), usedns="no", check_all=True)
    hits = {f.regex for r in flt.process_lines(lines) for f in r.found}
    assert hits == set(range(len(_our_filter().failregex)))


def test_no_failure_the_stock_filter_does_not_find(
    corpus: Corpus,
) -> None:
    lines, ours, stock = corpus
    extra = sorted(ours - stock)
    assert not extra, [f"{ip}: {lines[n]}" for n, ip in extra]
    assert len(ours) >= 40  # not vacuous: the common classes are found


def test_misses_are_only_documented_classes(
    corpus: Corpus,
) -> None:
    lines, ours, stock = corpus
    classes = {name: re.compile(rx) for name, rx in MISSED_ON_PURPOSE.items()}
    unexplained = [
        f"{ip}: {lines[n]}"
        for n, ip in sorted(stock - ours)
        if not any(rx.search(lines[n]) for rx in classes.values())
    ]
    assert not unexplained


@pytest.mark.parametrize(
    "line",
    [
        "Failed password for invalid user x from 6.6.6.6 port 1 ssh2 from 10.0.0.9 port 22 ssh2",
        "Failed password for x from 10.0.0.9 port 22 ssh2: from 6.6.6.6 port 1 ssh2",
        "Invalid user a from 6.6.6.6 port 1 from 10.0.0.9 port 22",
        "Connection closed by authenticating user a 6.6.6.6 port 1 10.0.0.9 port 22 [preauth]",
        "maximum authentication attempts exceeded for invalid user a from 6.6.6.6 port 1 ssh2"
        " from 10.0.0.9 port 22 ssh2 [preauth]",
        "error: PAM: Authentication failure for a from 6.6.6.6 via x from 10.0.0.9",
    ],
)
def test_forged_user_names_never_yield_their_address(line: str) -> None:
    # sshd's own address is always 10.0.0.9; 6.6.6.6 is inside the client's user name.
    flt = Filter.from_definition(_our_filter(), usedns="no")
    result = flt.process_line(f"Nov 26 12:00:00 host sshd[42]: {line}")
    assert {f.ip for f in result.found} <= {"10.0.0.9"}


def test_fail2ban_regex_reads_our_filter(
    corpus: Corpus,
) -> None:
    # fail2ban's own tool as a second reader of the same file format.
    tool = shutil.which("fail2ban-regex")
    if tool is None:
        pytest.skip("fail2ban-regex is not installed")
    _, ours, _ = corpus
    out = subprocess.run(
        [tool, str(SAMPLE), str(default_config_dir() / "filter.d" / "sshd.conf")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    matched = re.search(r"^Lines: .* (\d+) matched", out, re.M)
    assert matched is not None, out
    assert int(matched.group(1)) == len({n for n, _ in ours})
