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
the message become ``\\n``).  The position (entry time, and its ISO string in place of
the hash) is stored under the path ``systemd-journal``, as fail2ban does.
"""

from __future__ import annotations

import datetime
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

__all__ = ["JOURNAL_PATH", "JournalWatch", "format_entry", "load_journal", "parse_journalmatch"]

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
    ["_COMM=b"]]`` (alternatives of ANDed matches)."""
    if match is None:
        return []
    words = shlex.split(match) if isinstance(match, str) else list(match)
    groups: list[list[str]] = [[]]
    for word in words:
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
            try:
                tag += f"[{int(pid) if isinstance(pid, int) else int(str(pid), 0)}]"
            except ValueError:
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


class JournalWatch:
    """One jail's journal reader (journal matches are per jail, so unlike files the
    journal is not shared).  ``on_data(JOURNAL_PATH, chunk)`` runs on its own thread.

    ``journal_args``: fail2ban's ``journalpath``/``journalfiles``/``journalflags``/
    ``namespace`` as ``path``/``files``/``flags``/``namespace`` for ``journal.Reader``.
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
        **journal_args: Any,
    ) -> None:
        self.jail = jail
        self.on_data = on_data
        self.batch = batch
        self._clock = clock if clock is not None else default_clock
        self._book = PositionBook(db, flush_interval)
        self._journal = load_journal()
        args = dict(journal_args)
        if not args.get("path") and not args.get("files") and "flags" not in args:
            args["flags"] = int(os.getenv("F2B_SYSTEMD_DEFAULT_FLAGS", "4"))  # SYSTEM_ONLY
        self._reader = self._journal.Reader(converters={"__CURSOR": lambda x: x}, **args)
        groups = parse_journalmatch(journalmatch)
        for group in groups:
            for word in group:
                self._reader.add_match(word)
            self._reader.add_disjunction()
        if not groups:
            log.info("[%s] journal read without journalmatch: every entry is checked", jail)
        stored = self._book.load(jail, JOURNAL_PATH)
        start = max(float(stored[1]) if stored else 0.0, self._clock.time() - findtime)
        self._reader.seek_realtime(start)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

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
        last: tuple[str, float] | None = None
        while len(lines) < self.batch:
            try:
                entry = self._reader.get_next()
            except OSError as e:
                log.error("[%s] error reading the journal: %s", self.jail, e)
                break
            if not entry:
                break
            last = format_entry(entry)
            lines.append(last[0] + "\n")
        if lines:
            try:
                self.on_data(JOURNAL_PATH, "".join(lines).encode("utf-8", "surrogatepass"))
            except Exception:
                log.exception("Jail %s failed to process journal entries", self.jail)
        if last is not None:
            iso = last[0].split(" ", 1)[0]
            self._book.note(self.jail, JOURNAL_PATH, iso, int(last[1]))
        return len(lines)

    def _close(self) -> None:
        self._book.flush()
        self._reader.close()
