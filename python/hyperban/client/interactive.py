"""``-i``: the interactive mode of fail2ban-client.

A ``hyperban> `` prompt takes one command per line, split as a shell splits
words (``shlex``), and runs it as the command line would (``start`` and
``restart`` included); ``help`` prints the usage, ``exit`` or ``quit`` ends
the session with status 0.  A command given after the options runs first.
End of input ends the session with status 255, as in fail2ban-client (with a
line feed, so that the shell's prompt starts on a line of its own).
"""

from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Callable

from .usage import usage

__all__ = ["PROMPT", "interact"]

log = logging.getLogger("hyperban.client")

PROMPT = "hyperban> "
OK, FAILED = 0, 255


def _intro() -> str:
    from hyperban import __version__

    return (
        f"hyperban v{__version__}: fail2ban's configuration and commands, its hot paths in "
        "Rust.\nCommands as on the command line; 'help' lists them, 'exit' or 'quit' ends.\n"
    )


def interact(first: list[str], run: Callable[[list[str]], int]) -> int:
    """Read and run commands until ``exit``/``quit`` (0) or the end of input (255);
    ``run`` runs one command and returns its exit status."""
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:  # pragma: no cover - CPython on Linux has it
        pass
    if first and run(first) != OK:
        return FAILED
    print(_intro())
    while True:
        try:
            line = input(PROMPT)
        except EOFError:
            print()
            return FAILED
        line = line.strip()
        if line in ("exit", "quit"):
            return OK
        if line == "help":
            print(usage())
            continue
        if not line:
            continue
        try:
            command = shlex.split(line)
        except ValueError as exc:
            log.error("%s: %s", exc, line)
            continue
        run(command)
        sys.stdout.flush()
