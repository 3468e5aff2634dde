"""Several stock jails on one log, side by side with Debian's fail2ban-server.

sshd, postfix, dovecot, proftpd and courier-auth read the same syslog file (hyperban
scans it once for all of them).  The log is made of the failure lines of fail2ban's own
sample logs for these filters (the lines its tests expect to match), re-dated to now so
that they count.  Each jail's ``Found`` lines, and its ``Ban`` lines, must be the same in
both daemons, in the same order (how jails, and a jail's reading and banning, interleave
depends on timing).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import defaultdict
from pathlib import Path

from daemon_util import wait_until
from side_by_side import Side, needs_fail2ban, syslog_stamp

pytestmark = needs_fail2ban

SAMPLES = Path("/usr/lib/python3/dist-packages/fail2ban/tests/files/logs")
JAILS = ("postfix", "dovecot", "proftpd", "courier-auth")
# "Mon DD HH:MM:SS " at the start of a syslog line
_SYSLOG_DATE = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ")


def sample_failures(filter_name: str) -> list[str]:
    """The lines of the filter's sample log that fail2ban's tests expect to match with
    the default options (``# filterOptions:`` lists ``{}``), in syslog format, dated
    now."""
    stamp = syslog_stamp() + " "
    lines = (SAMPLES / filter_name).read_text(errors="replace").splitlines()
    found = []
    default_options = True  # the lines below are checked with the filter's defaults
    for expectation, line in itertools.pairwise(lines):
        if expectation.startswith("# filterOptions:"):
            options = json.loads(expectation.split(":", 1)[1])
            default_options = {} in (options if isinstance(options, list) else [options])
            continue
        if not (default_options and expectation.startswith("# failJSON:")):
            continue
        try:
            if not json.loads(expectation.split(":", 1)[1]).get("match"):
                continue
        except ValueError:
            continue
        if _SYSLOG_DATE.match(line):
            found.append(stamp + line[16:])
    return found


def _by_jail(lines: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Each jail's Found lines, and its Ban lines, in order.  (Not one list: the Found
    lines come from the jail's log reading, the Ban lines from its actions thread, and
    how they interleave depends on timing, in fail2ban as here.)"""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for _, message in lines:
        jail, _, rest = message.partition(" ")
        kind = rest.split(" ", 1)[0]
        if kind in ("Found", "Ban"):
            out[(jail, kind)].append(rest.split(" - ")[0])
    return dict(out)


def test_stock_jails_on_one_log_find_and_ban_as_fail2ban(tmp_path: Path) -> None:
    log = [line for name in ("sshd", *JAILS) for line in sample_failures(name)]
    assert len(log) > 30
    sides = [Side("fail2ban", tmp_path, JAILS), Side("hyperban", tmp_path, JAILS)]
    try:
        for side in sides:
            side.wait_started()
        for side in sides:
            side.write("".join(line + "\n" for line in log).encode())

        def settled(side: Side) -> bool:
            # the same count twice in a row, a second apart
            counts.append(len(side.ban_side()))
            return len(counts) > 1 and counts[-1] == counts[-2] and counts[-1] > 0

        for side in sides:
            counts: list[int] = []
            wait_until(lambda s=side: settled(s) or (time.sleep(1) and False), 60, side.name)
    finally:
        for side in sides:
            side.stop()
    f2b, ours = (_by_jail(side.ban_side()) for side in sides)
    assert {jail for jail, _ in f2b} == {f"[{j}]" for j in ("sshd", *JAILS)}, f2b.keys()
    assert set(ours) == set(f2b)
    for key in f2b:
        assert ours[key] == f2b[key], key
    assert sum(len(found) for found in f2b.values()) > 100
