"""``logpath`` lines and their globs.

fail2ban reads each ``logpath`` line as ``GLOB [head|tail]`` (the last space-separated
word, when there are two, is the start option; ``head`` by default) and expands the glob
once at start, skipping dangling symlinks.  hyperban re-expands the glob while running
so logs that appear later are picked up (see :class:`~hyperban.logwatch.hub.LogHub`).
"""

from __future__ import annotations

import glob
import os

__all__ = ["LogPath", "expand", "parse_logpath"]


class LogPath:
    """One ``logpath`` entry: a glob (or plain path) and whether to start at the end."""

    __slots__ = ("pattern", "tail")

    def __init__(self, pattern: str, tail: bool = False) -> None:
        self.pattern = pattern
        self.tail = tail

    @property
    def is_glob(self) -> bool:
        return glob.has_magic(self.pattern)

    @property
    def directory(self) -> str:
        """The directory whose entries can match (may itself hold wildcards)."""
        return os.path.dirname(os.path.abspath(self.pattern)) or "/"

    def __repr__(self) -> str:
        return f"LogPath({self.pattern!r}, tail={self.tail})"


def parse_logpath(line: str) -> LogPath:
    """``"/var/log/x.log tail"`` -> ``LogPath("/var/log/x.log", tail=True)``.

    Like fail2ban, a second word other than ``head``/``tail`` is an error (so a path
    with a space in it must be written as a glob, e.g. ``my?file.log``)."""
    parts = line.strip().rsplit(" ", 1)
    if len(parts) == 1:
        return LogPath(parts[0])
    path, option = parts[0].rstrip(), parts[1].lower()
    if option not in ("head", "tail"):
        raise ValueError(f"logpath {line!r}: file option must be 'head' or 'tail'")
    return LogPath(path, option == "tail")


def expand(pattern: str) -> list[str]:
    """Absolute existing paths matching ``pattern``, sorted; dangling links skipped.

    A plain path is returned even when missing: it is watched until it appears."""
    if not glob.has_magic(pattern):
        return [os.path.abspath(pattern)]
    return sorted(os.path.abspath(p) for p in glob.glob(pattern) if os.path.exists(p))
