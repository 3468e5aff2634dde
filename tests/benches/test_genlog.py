"""Verify the log generator (hyperban.bench.genlog) against the real oracle,
Debian's ``fail2ban-regex``.

For every kind the generator reports how many lines each stock filter will count
as failures; ``fail2ban-regex LOG FILTER`` must report exactly that many matched
lines.  The oracle tests are skipped (with a reason) only when ``fail2ban-regex``
is not installed.  Run with::

    python -m pytest tests/benches/test_genlog.py -v
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from hyperban.bench import genlog  # noqa: E402

FAIL2BAN_REGEX = shutil.which("fail2ban-regex")
needs_oracle = pytest.mark.skipif(
    FAIL2BAN_REGEX is None, reason="fail2ban-regex (Debian package fail2ban) is not installed"
)

LINES = 20_000
RATIO = 0.3
SEED = 20231114
_SUMMARY = re.compile(r"^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed", re.M)


@dataclass
class OracleResult:
    tested: int
    ignored: int
    matched: int
    missed: int
    matched_lines: Counter[str]


def run_oracle(log: Path, filt: str) -> OracleResult:
    """Run ``fail2ban-regex --print-all-matched LOG FILTER`` and parse its report."""
    assert FAIL2BAN_REGEX is not None
    proc = subprocess.run(
        [
            FAIL2BAN_REGEX,
            "--print-no-missed",
            "--print-no-ignored",
            "--print-all-matched",
            str(log),
            filt,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout
    m = _SUMMARY.search(out)
    assert m, f"cannot parse fail2ban-regex output for {filt}:\n{out[-2000:]}\n{proc.stderr}"
    tested, ignored, matched, missed = (int(g) for g in m.groups())
    lines: Counter[str] = Counter()
    if matched:
        block = out[m.end() :].split("|- Matched line(s):\n", 1)[1].split("\n`-", 1)[0]
        for ln in block.split("\n"):
            assert ln.startswith("|  "), ln
            lines[ln[3:]] += 1
    return OracleResult(tested, ignored, matched, missed, lines)


def oracle_results(log: Path, filters: list[str]) -> dict[str, OracleResult]:
    workers = max(2, min(8, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(filters, pool.map(lambda f: run_oracle(log, f), filters), strict=True))


def _diff(expected: Counter[str], got: Counter[str], limit: int = 5) -> str:
    missing = list((expected - got).elements())[:limit]
    extra = list((got - expected).elements())[:limit]
    return "".join(f"\n      not matched: {ln}" for ln in missing) + "".join(
        f"\n      unexpected:  {ln}" for ln in extra
    )


def check_kind(kind: str, tmp_path: Path, lines: int = LINES, ratio: float = RATIO) -> None:
    """Generate ``lines`` lines of ``kind`` and compare every reported filter with the oracle.

    For each filter the multiset of lines fail2ban-regex reports as matched must equal
    the multiset of lines the generator tagged with that filter.
    """
    log = tmp_path / f"{kind}.log"
    t0 = time.perf_counter()
    stats = genlog.write_log(log, kind, lines, ratio, SEED)
    gen_s = time.perf_counter() - t0
    tagged = list(genlog.generate_tagged(kind, lines, ratio, SEED))
    assert stats.lines == lines
    assert log.read_text(encoding="utf-8").split("\n") == [ln for ln, _ in tagged] + [""]

    expected = stats.matches
    filters = sorted(expected)
    assert set(genlog.REPORTED[kind]) <= set(filters)
    want: dict[str, Counter[str]] = {f: Counter() for f in filters}
    for ln, tags in tagged:
        for f in tags:
            want[f][ln] += 1
    assert {f: sum(c.values()) for f, c in want.items()} == expected

    got = oracle_results(log, filters)
    rows = []
    for f in filters:
        ok = want[f] == got[f].matched_lines
        rows.append(
            f"  {f:24s} expected {expected[f]:6d}  fail2ban-regex matched "
            f"{got[f].matched:6d}"
            + ("" if ok else "   <-- MISMATCH" + _diff(want[f], got[f].matched_lines))
        )
    report = "\n".join(rows)
    print(
        f"\n{kind}: {lines} lines generated in {gen_s:.2f}s, {stats.attack_lines} attack "
        f"lines\n{report}"
    )
    for f in filters:
        assert got[f].tested == lines, f"{f}: fail2ban-regex read {got[f].tested} lines"
        assert got[f].matched == expected[f], report
        assert got[f].matched_lines == want[f], report

    # every targeted filter really is exercised, and the attack ratio is honoured
    for f in genlog.TARGETS[kind]:
        assert expected[f] > 0, f"{kind}: no attack lines for {f}"
    assert abs(stats.attack_lines / lines - ratio) < 0.02


# ---------------------------------------------------------------------------------------
# oracle tests (one per kind)
# ---------------------------------------------------------------------------------------


@needs_oracle
def test_auth_matches_sshd_filter(tmp_path: Path) -> None:
    check_kind("auth", tmp_path)


@needs_oracle
@pytest.mark.parametrize("kind", ["nginx", "apache", "nginx-error", "apache-error"])
def test_web_kinds_match_their_filters(kind: str, tmp_path: Path) -> None:
    check_kind(kind, tmp_path)


@needs_oracle
def test_syslog_thirty_jails(tmp_path: Path) -> None:
    jails = genlog.SYSLOG_JAILS
    assert len(jails) == 30 and len(set(jails)) == 30
    for j in jails:
        name = j.split("[", 1)[0]
        assert (Path("/etc/fail2ban/filter.d") / f"{name}.conf").is_file(), j
    check_kind("syslog", tmp_path)


def test_syslog_each_jail_has_attack_and_benign_lines() -> None:
    """Each jail's service logs lines its filter counts and lines it must not count,
    and every attack line belongs to exactly one of the 30 jails."""
    stats = genlog.GenStats()
    tagged = list(genlog.generate_tagged("syslog", LINES, RATIO, SEED, stats=stats))
    jails = set(genlog.SYSLOG_JAILS)
    for ln, tags in tagged:
        assert len(jails.intersection(tags)) <= 1, ln
    assert sum(stats.matches[j] for j in genlog.SYSLOG_JAILS) == stats.attack_lines > 0
    daemons = {
        "sshd": "sshd[", "dropbear": "dropbear[", "postfix": "postfix/", "dovecot": "dovecot:",
        "courier-auth": ("imapd-ssl:", "courierpop3login:"), "courier-smtp": "courieresmtpd:",
        "cyrus-imap": "cyrus/imap[", "exim": "exim[", "sendmail-auth": "sm-mta[",
        "sendmail-reject": "sm-mta[", "proftpd": "proftpd[", "pure-ftpd": "pure-ftpd[",
        "vsftpd": "vsftpd[", "named-refused": "named[", "asterisk": "asterisk[",
        "mysqld-auth": "mysqld[", "uwimap-auth": ("imapd[", "ipop3d["),
        "solid-pop3d": "solid-pop3d[", "sieve": "cyrus/timsieved[", "perdition": "perdition.",
        "webmin-auth": "webmin[", "wuftpd": "wu-ftpd[", "xinetd-fail": "xinetd[",
        "gssftpd": "ftpd[", "nagios": "nrpe[", "scanlogd": "scanlogd:",
        "phpmyadmin-syslog": "phpMyAdmin[", "haproxy-http-auth": "haproxy[", "monit": "monit[",
        "froxlor-auth": "Froxlor:",
    }  # fmt: skip
    assert set(daemons) == jails
    for jail, prefix in daemons.items():
        prefixes = (prefix,) if isinstance(prefix, str) else prefix
        own = [(ln, tags) for ln, tags in tagged if any(f" mx01 {p}" in ln for p in prefixes)]
        assert any(jail in tags for _, tags in own), f"{jail}: no attack lines"
        assert any(jail not in tags for _, tags in own), f"{jail}: no benign lines"


# ---------------------------------------------------------------------------------------
# generator properties (no oracle needed)
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", genlog.KINDS)
def test_deterministic_and_seed_sensitive(kind: str) -> None:
    a = list(genlog.generate(kind, 2_000, 0.25, 7))
    b = list(genlog.generate(kind, 2_000, 0.25, 7))
    c = list(genlog.generate(kind, 2_000, 0.25, 8))
    assert a == b
    assert a != c
    assert len(a) == 2_000


@pytest.mark.parametrize("kind", genlog.KINDS)
@pytest.mark.parametrize("ratio", [0.0, 0.05, 0.5, 1.0])
def test_attack_ratio(kind: str, ratio: float) -> None:
    stats = genlog.GenStats()
    n = 5_000
    for _ in genlog.generate(kind, n, ratio, 3, stats=stats):
        pass
    assert stats.lines == n
    assert abs(stats.attack_lines / n - ratio) < 0.02, stats.attack_lines
    if ratio == 0.0:
        assert all(v == 0 for f, v in stats.matches.items() if f in genlog.TARGETS[kind])


def test_auth_timestamps_monotonic_and_start() -> None:
    from datetime import datetime

    lines = list(genlog.generate("auth", 3_000, 0.3, 1, start=1_700_000_000))
    assert lines[0].startswith("Nov 14 22:13:")
    stamps = [datetime.strptime("2023 " + ln[:15], "%Y %b %d %H:%M:%S") for ln in lines]
    assert stamps == sorted(stamps)
    assert stamps[-1] > stamps[0]


def test_attackers_repeat_and_include_ipv6() -> None:
    pat = re.compile(r"from (\S+) port \d+ ssh2$")
    ips: dict[str, int] = {}
    for ln in genlog.generate("auth", 20_000, 0.3, 5):
        if "Failed password" in ln:
            m = pat.search(ln)
            assert m, ln
            ips[m.group(1)] = ips.get(m.group(1), 0) + 1
    assert max(ips.values()) >= 50  # the busiest attackers would be banned
    assert any(":" in ip for ip in ips)
    assert len(ips) > 20


def test_cli_writes_log_and_counts(tmp_path: Path) -> None:
    out, counts = tmp_path / "a.log", tmp_path / "a.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benches" / "genlog.py"),
            "auth",
            "--lines",
            "500",
            "--attack-ratio",
            "0.4",
            "--seed",
            "9",
            "--out",
            str(out),
            "--counts",
            str(counts),
        ],
        check=True,
    )
    import json

    data = json.loads(counts.read_text())
    assert data["lines"] == 500 == len(out.read_text().splitlines())
    assert data["matches"] == genlog.expected_matches("auth", 500, 0.4, 9)
    assert out.read_text().splitlines() == list(genlog.generate("auth", 500, 0.4, 9))


def test_cli_list_filters() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benches" / "genlog.py"), "syslog", "--list-filters"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.split() == genlog.SYSLOG_JAILS


def test_generation_speed() -> None:
    """1M auth lines must take well under 10 s (measured in CPU time: the box may be busy)."""
    n = 200_000
    t0 = time.process_time()
    for _ in genlog.generate("auth", n, 0.3, 1):
        pass
    dt = time.process_time() - t0
    assert dt * (1_000_000 / n) < 6.0, f"{n} lines took {dt:.2f}s of CPU"
