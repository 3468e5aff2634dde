#!/usr/bin/python3
"""Print the line-level regexes of stock fail2ban filters, after fail2ban's own
tag expansion, as JSON ``{"filter[opts]": ["regex", ...]}``.

Runs under Debian's interpreter with Debian's fail2ban (the oracle); the
benchmarks use its output so that they measure exactly the regex sets fail2ban
runs. A filter with a ``prefregex`` is flattened: its ``<F-CONTENT>`` group is
replaced by each failregex, giving one standalone regex per failregex, which
matches the same lines as fail2ban's two-step match.

    /usr/bin/python3 benches/fail2ban_patterns.py [-c /etc/fail2ban] sshd 'sshd[mode=aggressive]'
"""

import argparse
import json
import sys

from fail2ban.client.filterreader import FilterReader
from fail2ban.helpers import extractOptions
from fail2ban.server.failregex import Regex

CONTENT_OPEN = "(?P<content>"


def content_span(regex: str) -> tuple[int, int]:
    """Start and end (after its ``)``) of the ``<F-CONTENT>`` group."""
    start = regex.index(CONTENT_OPEN)
    depth, i, in_class = 0, start, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if regex[i + 1 : i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return start, i + 1
        i += 1
    raise ValueError(f"unbalanced F-CONTENT group in {regex!r}")


def line_regexes(confdir: str, spec: str) -> list[str]:
    name, options = extractOptions(spec)
    reader = FilterReader(name, "bench", options or {}, share_config={}, basedir=confdir)
    if not reader.read():
        raise SystemExit(f"cannot read filter {name!r} under {confdir}")
    reader.getOptions({})
    prefregex = None
    failregex: list[str] = []
    for command in reader.convert():
        if command[2] == "prefregex":
            prefregex = Regex(command[3]).getRegex()
        elif command[2] == "addfailregex":
            values = command[3] if command[0] == "multi-set" else [command[3]]
            failregex.extend(Regex(v).getRegex() for v in values)
    if prefregex is None:
        return failregex
    start, end = content_span(prefregex)
    content = prefregex[start + len(CONTENT_OPEN) : end - 1]
    flattened = []
    for regex in failregex:
        # The failregex runs on the content: the content's own pattern must
        # hold there (a look-ahead), then the failregex takes its place.
        body = regex[1:] if regex.startswith("^") else "(?:.*?)" + regex
        flattened.append(prefregex[:start] + f"(?=(?:{content}))(?:{body})" + prefregex[end:])
    return flattened


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", default="/etc/fail2ban")
    parser.add_argument("filters", nargs="+")
    args = parser.parse_args()
    json.dump({f: line_regexes(args.config, f) for f in args.filters}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
