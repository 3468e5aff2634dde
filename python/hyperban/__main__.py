"""``python -m hyperban [OPTIONS]`` runs the daemon; ``python -m hyperban COMMAND ...``
runs a tool (``regex``: fail2ban-regex's job; ``bench``: the matcher benchmark)."""

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
    if args and args[0] in COMMANDS:
        module, _, function = COMMANDS[args[0]].partition(":")
        return int(getattr(importlib.import_module(module), function)(args[1:]) or 0)
    if args and not args[0].startswith("-"):
        print(
            f"unknown command: {args[0]!r} (commands: {', '.join(COMMANDS)}; "
            "without a command: the daemon, see --help)",
            file=sys.stderr,
        )
        return 2
    # No command: the daemon (fail2ban-server's options).
    from hyperban.daemon.main import main as daemon_main

    return daemon_main(args)


if __name__ == "__main__":
    sys.exit(main())
