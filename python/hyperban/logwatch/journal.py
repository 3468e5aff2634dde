"""The ``systemd`` backend: journal entries formatted as syslog lines.

Needs python-systemd's ``systemd.journal``.  When this interpreter cannot import it,
Debian's ``python3-systemd`` (built for ``/usr/bin/python3``) is loaded from
``/usr/lib/python3/dist-packages`` if its extension modules carry this interpreter's
ABI tag; otherwise :func:`load_journal` raises :class:`BackendUnavailable` saying what
to install.

Like fail2ban's ``FilterSystemd``: ``journalmatch`` is a list of ``FIELD=value`` words
where ``+`` separates alternatives (words of one alternative must all match); reading
starts at ``max(stored position, now - findtime)``; each entry becomes
``ISO-DATE HOST IDENT[PID]: MESSAGE`` (kernel lines get the monotonic time, newlines in
the message become ``\\n``).  The position (a time in seconds, and its ISO string in
place of the hash) is stored under the path ``systemd-journal``, as fail2ban does; ours
is the journal's receive time (``__REALTIME_TIMESTAMP``) of the last entry delivered,
with microseconds.  At restart entries up to that time are skipped, so none is
delivered twice: journald's receive times increase from one entry to the next (a
stored time ahead of the clock, after the clock was set back, is not trusted).
"""

from __future__ import annotations

import datetime
import glob
import importlib
import importlib.machinery
import importlib.util
import logging
import os
import shlex
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from ..server.clock import Clock
from ..server.clock import clock as default_clock
from ..server.database import Database
from .backends import BackendUnavailable
from .hub import OnData
from .positions import PositionBook

__all__ = [
    "JOURNAL_PATH",
    "JournalWatch",
    "format_entry",
    "load_journal",
    "parse_journalmatch",
    "reader_args",
]

log = logging.getLogger(__name__)

#: The "path" journal lines are delivered and stored under (fail2ban's name).
JOURNAL_PATH = "systemd-journal"

_SYSTEM_SITES = ("/usr/lib/python3/dist-packages",)


def load_journal() -> ModuleType:
    """``systemd.journal``, or :class:`BackendUnavailable` with what to do."""
    try:
        return importlib.import_module("systemd.journal")
    except ImportError as e:
        error = e
    for site in _SYSTEM_SITES:
        pkg = os.path.join(site, "systemd")
        init = os.path.join(pkg, "__init__.py")
        if not os.path.isfile(init) or not any(
            os.path.exists(os.path.join(pkg, "_reader" + suffix))
            for suffix in importlib.machinery.EXTENSION_SUFFIXES
        ):
            continue
        # Same CPython ABI: the system's build works here.  Load only this package
        # (not all of dist-packages) so no other system module shadows ours.
        spec = importlib.util.spec_from_file_location(
            "systemd", init, submodule_search_locations=[pkg]
        )
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules["systemd"] = module
        try:
            spec.loader.exec_module(module)
            journal = importlib.import_module("systemd.journal")
        except ImportError as e:
            sys.modules.pop("systemd", None)
            error = e
            continue
        log.info("Using the system's python-systemd from %s", pkg)
        return journal
    raise BackendUnavailable(
        "backend 'systemd' needs python-systemd (module systemd.journal), which "
        f"{sys.executable} cannot import ({error}); install it for this interpreter "
        "(pip install systemd-python, or Debian's python3-systemd for /usr/bin/python3)"
    )


def parse_journalmatch(match: str | Sequence[str] | None) -> list[list[str]]:
    """``"_SYSTEMD_UNIT=a.service + _COMM=b"`` -> ``[["_SYSTEMD_UNIT=a.service"],
    ["_COMM=b"]]`` (alternatives of ANDed matches).

    A sequence is the config's ``journalmatch`` lines (what the daemon passes, one
    string per line): each line is split like a shell command line and the lines are
    alternatives of each other, as fail2ban's ``addJournalMatch`` per line makes them.
    """
    if match is None:
        return []
    if not isinstance(match, str):
        return [group for line in match for group in parse_journalmatch(line)]
    groups: list[list[str]] = [[]]
    for word in shlex.split(match):
        if word == "+":
            groups.append([])
        else:
            if "=" not in word:
                raise ValueError(f"journalmatch {word!r} is not FIELD=value")
            groups[-1].append(word)
    return [g for g in groups if g]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def format_entry(entry: Mapping[str, Any]) -> tuple[str, float]:
    """(syslog-style line without newline, entry time) of one journal entry."""
    parts: list[str] = []
    if host := entry.get("_HOSTNAME"):
        parts.append(_text(host))
    ident = entry.get("SYSLOG_IDENTIFIER") or entry.get("_COMM")
    if ident:
        tag = _text(ident)
        pid = entry.get("SYSLOG_PID") or entry.get("_PID")
        if pid:
            # python-systemd gives an int, or the raw bytes when int() failed (e.g.
            # b"0x1f"); fail2ban then tries int(value, 0), which takes bytes too.
            try:
                tag += f"[{pid if isinstance(pid, int) else int(pid, 0)}]"
            except (TypeError, ValueError):
                tag += f"[{pid}]"
        tag += ":"
        parts.append(tag)
        if tag == "kernel:":
            mono = entry.get("_SOURCE_MONOTONIC_TIMESTAMP")
            if mono is None:
                mono = entry.get("__MONOTONIC_TIMESTAMP")
                mono = mono[0] if isinstance(mono, tuple) else mono
            if isinstance(mono, datetime.timedelta):
                parts.append(f"[{mono.total_seconds():12.6f}]")
    msg = entry.get("MESSAGE", "")
    parts.append(" ".join(_text(m) for m in msg) if isinstance(msg, list) else _text(msg))
    when = entry.get("_SOURCE_REALTIME_TIMESTAMP") or entry.get("__REALTIME_TIMESTAMP")
    if not isinstance(when, datetime.datetime):
        when = datetime.datetime.now()
    ts = time.mktime(when.timetuple()) + when.microsecond / 1e6
    line = when.isoformat() + " " + " ".join(parts).replace("\n", "\\n")
    return line, ts


#: fail2ban's names of the ``systemd[...]`` backend options -> ``journal.Reader``'s.
_OPTION_NAMES = {
    "journalpath": "path",
    "journalfiles": "files",
    "journalflags": "flags",
    "namespace": "namespace",
    "path": "path",
    "files": "files",
    "flags": "flags",
}


def reader_args(options: Mapping[str, Any]) -> dict[str, Any]:
    """``journal.Reader`` keyword arguments from backend options, as fail2ban's
    ``FilterSystemd._getJournalArgs`` makes them.

    The daemon hands over ``backend = systemd[journalflags=1, ...]`` as given in the
    config: fail2ban's names, string values.  ``journalfiles`` is a space-separated
    list of globs; without ``journalflags``, ``flags`` defaults to SYSTEM_ONLY (4, or
    ``$F2B_SYSTEMD_DEFAULT_FLAGS``) unless a path or files are given (then all journal
    types there are opened).
    """
    args: dict[str, Any] = {}
    for name, value in options.items():
        key = _OPTION_NAMES.get(name)
        if key is None:
            # fail2ban refuses unknown options too (FilterSystemd's TypeError).
            raise ValueError(
                f"backend systemd: unknown option {name!r} "
                "(known: journalpath, journalfiles, journalflags, namespace)"
            )
        args[key] = value
    if "files" in args:
        files = args["files"]
        patterns = files.split() if isinstance(files, str) else list(files)
        found: set[str] = set()
        for pattern in patterns:
            found.update(glob.glob(pattern))
        args["files"] = sorted(found)
    if "flags" in args:
        args["flags"] = int(args["flags"])
    elif not args.get("path") and not args.get("files"):
        args["flags"] = int(os.getenv("F2B_SYSTEMD_DEFAULT_FLAGS", "4"))  # SYSTEM_ONLY
    return args


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_USEC = datetime.timedelta(microseconds=1)


def _usec(when: datetime.datetime) -> int:
    """Microseconds since the epoch of a journal time, exactly (no float rounding).
    python-systemd gives local-zone aware datetimes; older versions naive local ones."""
    aware = when if when.tzinfo is not None else when.astimezone()
    return (aware - _EPOCH) // _USEC


def _stored_time(value: Any) -> float | None:
    """The stored journal position in seconds (fail2ban stores a float, earlier
    hyperban versions whole seconds); None when there is none or it is unreadable."""
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class JournalWatch:
    """One jail's journal reader (journal matches are per jail, so unlike files the
    journal is not shared).  ``on_data(JOURNAL_PATH, chunk)`` runs on its own thread.

    ``journal_args``: the backend options by fail2ban's names (``journalpath``,
    ``journalfiles``, ``journalflags``, ``namespace``; strings are fine) or by
    ``journal.Reader``'s (``path``/``files``/``flags``), see :func:`reader_args`.
    """

    def __init__(
        self,
        jail: str,
        on_data: OnData,
        *,
        journalmatch: str | Sequence[str] | None = None,
        findtime: float = 600.0,
        db: Database | None = None,
        clock: Clock | None = None,
        batch: int = 100,
        flush_interval: float = 5.0,
        book: PositionBook | None = None,
        **journal_args: Any,
    ) -> None:
        self.jail = jail
        self.on_data = on_data
        self.batch = batch
        self._clock = clock if clock is not None else default_clock
        # A reader that replaces a stopped one (new matches, back from idle) takes over
        # its book, so it reads on from the last entry delivered even without a database.
        self._book = book if book is not None else PositionBook(db, flush_interval)
        self._journal = load_journal()
        args = reader_args(journal_args)
        self._reader = self._journal.Reader(converters={"__CURSOR": lambda x: x}, **args)
        groups = parse_journalmatch(journalmatch)
        for group in groups:
            for word in group:
                self._reader.add_match(word)
            self._reader.add_disjunction()
        if not groups:
            log.info("[%s] journal read without journalmatch: every entry is checked", jail)
        stored = self._book.load(jail, JOURNAL_PATH)
        stored_time = _stored_time(stored[1] if stored else None)
        now = self._clock.time()
        since = now - findtime
        if stored_time is not None and stored_time > now:
            # The clock went back, or the database comes from elsewhere: seeking (and
            # skipping) up to that time would hide every entry written until then.
            log.warning(
                "[%s] stored journal position %s is ahead of the clock; reading from "
                "findtime ago instead",
                jail,
                stored[1] if stored else None,
            )
            stored_time = None
        # Entries up to the stored time (the journal's own receive time of the last
        # entry delivered before a restart) are skipped, not just sought past: the
        # seek lands on that entry itself, and every one sharing its second when the
        # time was a whole second.  None once the first newer entry came.
        self._skip_through_usec: int | None = None
        if stored_time is not None and stored_time >= since:
            self._skip_through_usec = round(stored_time * 1_000_000)
        # A float: python-systemd takes an int as microseconds.
        self._reader.seek_realtime(float(max(stored_time or 0.0, since)))
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def book(self) -> PositionBook:
        """Where this reader notes the last entry it delivered."""
        return self._book

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"hyperban-journal-{self.jail}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)  # wait() below wakes at least every 0.5 s
        else:
            self._close()

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                if not self.read_available():
                    # journal.wait blocks inside C; a short timeout lets stop() in.
                    self._reader.wait(0.5)
                self._book.maybe_flush()
        finally:
            self._close()

    def read_available(self) -> int:
        """Deliver up to ``batch`` waiting entries; returns how many."""
        lines: list[str] = []
        last: datetime.datetime | None = None
        while len(lines) < self.batch:
            try:
                entry = self._reader.get_next()
            except OSError as e:
                log.error("[%s] error reading the journal: %s", self.jail, e)
                break
            if not entry:
                break
            received = entry.get("__REALTIME_TIMESTAMP")
            if self._skip_through_usec is not None and isinstance(received, datetime.datetime):
                if _usec(received) <= self._skip_through_usec:
                    continue  # delivered before the restart
                self._skip_through_usec = None
            lines.append(format_entry(entry)[0] + "\n")
            if isinstance(received, datetime.datetime):
                last = received
        if lines:
            try:
                self.on_data(JOURNAL_PATH, "".join(lines).encode("utf-8", "surrogatepass"))
            except Exception:
                log.exception("Jail %s failed to process journal entries", self.jail)
        if last is not None:
            # Stored: the journal's receive time (what seek_realtime() orders by) in
            # seconds with microseconds, and its ISO string in place of the hash.
            # fail2ban stores (time, ISO string) there too and reads back the time.
            # Not the entry's _SOURCE_REALTIME_TIMESTAMP: it may be older than the
            # receive time, so seeking to it would re-deliver entries.
            when = _usec(last) / 1_000_000
            self._book.note(self.jail, JOURNAL_PATH, last.isoformat(), when)
        return len(lines)

    def _close(self) -> None:
        self._book.flush()
        self._reader.close()
