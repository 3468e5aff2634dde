"""The benchmark workloads shared by the matcher benches: generated logs and
the regex sets fail2ban runs over them.

Regex sets come from Debian's fail2ban (the oracle), expanded by fail2ban
itself (``benches/fail2ban_patterns.py``). fail2ban applies them to a line
whose date it has already cut; on the raw line we let an optional syslog date
stand in front, so that each regex matches the raw lines fail2ban's matches.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from pathlib import Path

from hyperban.bench import genlog

HERE = Path(__file__).resolve().parent
DEBIAN_PYTHON = "/usr/bin/python3"
#: The syslog timestamp fail2ban cuts before matching (``Nov 14 22:13:20 ``).
SYSLOG_DATE = r"(?:[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d )?"


def fail2ban_available() -> bool:
    return Path(DEBIAN_PYTHON).exists() and shutil.which("fail2ban-regex") is not None


@functools.cache
def fail2ban_regexes(*filters: str) -> dict[str, list[str]]:
    """Line-level regexes of each stock filter, as fail2ban expands them."""
    out = subprocess.run(
        [DEBIAN_PYTHON, str(HERE / "fail2ban_patterns.py"), *filters],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def raw_line_regex(regex: str) -> str:
    """Let a fail2ban regex (meant for the line without its date) match the
    raw line, date included."""
    return "^" + SYSLOG_DATE + regex[1:] if regex.startswith("^") else regex


def pattern_set(filters: list[str]) -> list[tuple[int, str]]:
    """``(id, regex)`` pairs for every failregex of every filter."""
    expanded = fail2ban_regexes(*filters)
    regexes = [raw_line_regex(r) for f in filters for r in expanded[f]]
    return list(enumerate(regexes))


def log_bytes(kind: str, lines: int, attack_ratio: float, seed: int = 1) -> bytes:
    """A generated log, in memory."""
    return ("\n".join(genlog.generate(kind, lines, attack_ratio, seed)) + "\n").encode()


def main() -> int:
    print(json.dumps(fail2ban_regexes(*sys.argv[1:]), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
