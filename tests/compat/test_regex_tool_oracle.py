"""``python -m hyperban regex`` against the real ``fail2ban-regex``.

Both tools run on the same sample logs and filters; the summary counts must
be equal: lines, matched, ignored, missed, and the hits of every failregex
and ignoreregex.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from corpus import LOGS_DIR

F2B_REGEX = shutil.which("fail2ban-regex")

pytestmark = pytest.mark.skipif(
    F2B_REGEX is None or not os.path.isdir("/etc/fail2ban/filter.d"),
    reason="fail2ban-regex (Debian's fail2ban) is not installed",
)

_LINES = re.compile(r"^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed$", re.M)
_HIT = re.compile(r"^\|\s+(\d+)\) \[(\d+)\] ", re.M)


def _summary(output: str) -> dict[str, object]:
    found = _LINES.search(output)
    assert found, output[-2000:]
    sections = {}
    for title in ("Failregex", "Ignoreregex"):
        start = output.find(f"\n{title}:")
        end = output.find("\n\n", start + 2)
        block = output[start : end if end > 0 else None]
        sections[title] = [(int(n), int(h)) for n, h in _HIT.findall(block)]
    return {
        "lines": tuple(int(x) for x in found.groups()),
        "failregex": sections["Failregex"],
        "ignoreregex": sections["Ignoreregex"],
    }


def _fail2ban_regex(args: list[str]) -> str:
    done = subprocess.run([F2B_REGEX, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _hyperban_regex(args: list[str], engine: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hyperban", "regex", "--engine", engine, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


CASES = [
    (["{log}/sshd", "sshd"], "regex"),
    (["{log}/sshd", "sshd[mode=aggressive]"], "regex"),
    (["-r", "{log}/sshd", "sshd"], "regex"),
    (["{log}/apache-auth", "apache-auth"], "regex"),
    (["{log}/postfix", "postfix[mode=aggressive]"], "regex"),
    (["{log}/nginx-http-auth", "nginx-http-auth"], "regex"),
    (["{log}/selinux-ssh", "selinux-ssh"], "regex"),
    (["{log}/dovecot", "dovecot"], "python"),
    (["{log}/named-refused", "named-refused", r"client \S+ \("], "regex"),
    (["{log}/sshd", r"Invalid user \S+ from <HOST>"], "regex"),
    (["{log}/sshd", "/etc/fail2ban/filter.d/sshd.conf"], "regex"),
    (["-L", "3", "{log}/sshd", r"Accepted \S+ for \S+ from <HOST>"], "regex"),
    (["{log}/apache-badbots", "apache-badbots"], "hyperscan"),
]


@pytest.mark.parametrize(
    ("args", "engine"), [pytest.param(a, e, id=" ".join(a[-2:]) + f" [{e}]") for a, e in CASES]
)
def test_same_summary_as_fail2ban_regex(args: list[str], engine: str):
    args = [a.format(log=LOGS_DIR) for a in args]
    theirs = _summary(_fail2ban_regex(args))
    ours = _summary(_hyperban_regex(args, engine))
    assert ours == theirs


def test_single_line_log():
    line = "Jan 10 12:00:00 host sshd[1]: Invalid user bob from 192.0.2.7 port 22"
    theirs = _summary(_fail2ban_regex([line, "sshd"]))
    ours = _summary(_hyperban_regex([line, "sshd"], "regex"))
    assert ours == theirs == {**ours, "lines": (1, 0, 1, 0)}


_TEMPLATE_HIT = re.compile(r"^\|\s+\[(\d+)\] (.+)$", re.M)


def _date_template_hits(output: str) -> list[tuple[int, str]]:
    start = output.find("\nDate template hits:")
    end = output.find("\n`-", start)
    return [(int(n), name) for n, name in _TEMPLATE_HIT.findall(output[start:end])]


@pytest.mark.parametrize(
    "log, filter_spec",
    [("sshd", "sshd"), ("postfix", "postfix"), ("apache-auth", "apache-auth")],
)
def test_date_template_hits_match_fail2ban_regex(log: str, filter_spec: str) -> None:
    # With --exact every line is dated, as fail2ban-regex does.
    args = [os.path.join(LOGS_DIR, log), filter_spec]
    ours = _date_template_hits(_hyperban_regex(["--exact", *args], "hyperscan"))
    theirs = _date_template_hits(_fail2ban_regex(args))
    assert theirs, "fail2ban-regex printed no date template hits"
    assert ours == theirs
