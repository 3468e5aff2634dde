"""Log backends: follow log files (and the systemd journal) for the jails.

* :class:`FileTail` -- one path across appends, rotations and truncations;
* :class:`LogHub` -- every file of every jail, read once, on one thread, with
  the ``auto``/``polling``/``inotify`` backends; positions stored in the database;
* :class:`JournalWatch` -- the ``systemd`` backend (needs python-systemd).
"""

from __future__ import annotations

from .backends import BACKENDS, BackendUnavailable, make_waiter
from .hub import LogHub, OnData, Subscription
from .journal import JournalWatch, load_journal
from .lines import LineFormat
from .logpath import LogPath, expand, parse_logpath
from .tail import FileTail

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "FileTail",
    "JournalWatch",
    "LineFormat",
    "LogHub",
    "LogPath",
    "OnData",
    "Subscription",
    "expand",
    "load_journal",
    "make_waiter",
    "parse_logpath",
]
