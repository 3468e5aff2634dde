"""``python -m hyperban COMMAND ...`` (also the ``hyperban`` script)."""

from __future__ import annotations

import importlib
import sys

# command -> "module:function"; the function takes the remaining arguments
# and returns the exit status.  Adding a command is one line here.
COMMANDS: dict[str, str] = {
    "regex": "hyperban.cli.regex_tool:main",
    "bench": "hyperban.bench.matcher_bench:main",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        out = sys.stdout if args and args[0] in ("-h", "--help") else sys.stderr
        print("usage: python -m hyperban {" + ",".join(COMMANDS) + "} ...", file=out)
        if args and args[0] not in ("-h", "--help"):
            print(f"unknown command: {args[0]!r}", file=out)
        return 0 if out is sys.stdout else 2
    module, _, function = COMMANDS[args[0]].partition(":")
    return int(getattr(importlib.import_module(module), function)(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
