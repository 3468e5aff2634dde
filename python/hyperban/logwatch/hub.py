"""The log hub: one reader thread for every file log of every jail.

Jails :meth:`~LogHub.subscribe` to ``logpath`` entries (a path or glob, ``head`` or
``tail``) with a callback ``on_data(path, chunk)``; ``chunk`` is UTF-8 bytes made of
whole lines (each ending with ``\\n``), converted from the jail's ``logencoding``.  The
callback runs on the hub's thread, so a slow jail delays the others: jails are expected
to queue or process quickly.

* Each file is read once however many jails watch it (one :class:`FileTail` per path
  and line format); each (jail, file) has its own position per file generation, so a
  jail that starts later, or resumes from an older stored position, gets exactly its
  own lines (a late jail behind the shared reader is caught up by a one-off read).
* Globs are expanded again while running (at every poll, or on inotify events in
  their directory, or every ``retry_interval`` when the directory part is a glob), so
  files that appear later are read, from their start.
* Positions are stored per (jail, path) in batches, see :class:`PositionBook`.

All file I/O and callbacks happen on the hub's thread; :meth:`subscribe` and
:meth:`unsubscribe` only queue a change and wake it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from ..filter.source import DEFAULT_CHUNK_SIZE
from ..server.database import Database, names_first_line
from .backends import DEFAULT_POLL_INTERVAL, Waiter, make_waiter
from .lines import LineFormat
from .logpath import LogPath, expand, parse_logpath
from .positions import PositionBook
from .tail import FileTail

__all__ = ["LogHub", "OnData", "Subscription"]

log = logging.getLogger(__name__)

#: ``on_data(path, chunk)``: whole lines of ``path`` as UTF-8, on the hub's thread.
OnData = Callable[[str, bytes], None]


class Subscription:
    """One jail's ``logpath`` entry; returned by :meth:`LogHub.subscribe`."""

    def __init__(
        self, hub: LogHub, jail: str, logpath: LogPath, on_data: OnData, fmt: LineFormat
    ) -> None:
        self.hub = hub
        self.jail = jail
        self.logpath = logpath
        self.on_data = on_data
        self.fmt = fmt
        self.files: dict[str, _FileSub] = {}  # concrete path -> its reader state
        self.closed = False

    @property
    def paths(self) -> list[str]:
        """The files currently matched (a snapshot)."""
        with self.hub._lock:
            return sorted(self.files)

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def __repr__(self) -> str:
        return f"Subscription({self.jail!r}, {self.logpath!r})"


@dataclass
class _FileSub:
    """One jail on one file: next line start to deliver, per file generation."""

    owner: Subscription
    path: str
    positions: dict[int, int] = field(default_factory=dict)


@dataclass
class _Watched:
    """One shared reader and the jails that read through it."""

    tail: FileTail
    subs: list[_FileSub]
    dirs: set[str]  # directories whose events concern it (the path's, its target's)


class LogHub:
    """Shared log reader for all jails (file backends: auto, polling, inotify).

    ``db``: where positions are stored (per jail and path) and resumed from; None keeps
    them in memory only.  ``poll_interval``: polling period (polling backend);
    ``flush_interval``: how often moved positions are written; ``rotate_grace``: how
    long a renamed-away log is still drained; ``retry_interval``: inotify's re-check
    period while something cannot be watched (missing directory, unreadable log).
    ``min_read_interval``: with inotify, a read that found new lines is followed by at
    least this long before the next one, so a busy log (a writer flushing every few
    milliseconds) is read in fewer, bigger chunks -- each read costs a fixed overhead in
    Python -- at the price of at most this much added latency.  ``busy_read_interval``
    replaces it while the logs grow at ``busy_rate`` bytes/s or more (500 kB/s: about
    5,000 lines/s), measured over the last read: under such a load each read, and each
    wake-up of the threads its bans reach, is costly enough that reading 10 times a
    second instead of 20 takes a quarter off the daemon's CPU (``bench_daemon.py`` at
    16,000 lines/s, 3 pairs: 3.2% against 4.3-4.6%), while a trickle of attack lines is
    still read within ``min_read_interval``.
    """

    def __init__(
        self,
        db: Database | None = None,
        backend: str = "auto",
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        flush_interval: float = 5.0,
        rotate_grace: float = 5.0,
        retry_interval: float = 5.0,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        min_read_interval: float = 0.05,
        busy_read_interval: float = 0.1,
        busy_rate: float = 500_000,
    ) -> None:
        self._waiter: Waiter = make_waiter(backend, poll_interval)
        self.min_read_interval = min_read_interval
        self.busy_read_interval = busy_read_interval
        self.busy_rate = busy_rate
        self._last_read = 0.0
        self._pace_next = False  # the last read found lines: pace the next one
        self._read_interval = min_read_interval  # the pace after the last read
        self._read_bytes = 0  # bytes the current read emitted
        self._book = PositionBook(db, flush_interval)
        self.rotate_grace = rotate_grace
        self.retry_interval = retry_interval
        self.chunk_size = chunk_size
        self._lock = threading.RLock()
        self._queue: list[tuple[str, Subscription]] = []
        self._subs: list[Subscription] = []
        self._watched: dict[tuple[str, tuple[bytes, int]], _Watched] = {}
        self._unwatchable: set[str] = set()
        # directories the waiter watches (see _sync_watches)
        self._watching: set[str] = set()
        self._next_retry = 0.0
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- public API --------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """The backend in use: "inotify" or "polling"."""
        return self._waiter.name

    def subscribe(
        self,
        jail: str,
        logpath: str | LogPath,
        on_data: OnData,
        *,
        encoding: str | None = "utf-8",
        tail: bool | None = None,
    ) -> Subscription:
        """Deliver the lines of ``logpath`` (``"GLOB [head|tail]"`` or a
        :class:`LogPath`) to ``on_data``; ``tail`` overrides the entry's option.

        ``head`` resumes from the position stored for (jail, path) when the file is
        still the same (first-line hash), else reads from the start; ``tail`` starts at
        the end of the files present now.  Raises ``LookupError`` for an unknown
        encoding.
        """
        lp = parse_logpath(logpath) if isinstance(logpath, str) else logpath
        if tail is not None:
            lp = LogPath(lp.pattern, tail)
        sub = Subscription(self, jail, lp, on_data, LineFormat.for_encoding(encoding))
        with self._lock:
            self._queue.append(("add", sub))
        self._waiter.wake()
        return sub

    def unsubscribe(self, sub: Subscription, *, now: bool = False) -> None:
        """Stop delivering to ``sub`` (the position each file was read to is noted):
        at the hub's next turn, or with ``now`` before this returns -- no chunk reaches
        ``sub`` afterwards (``set JAIL idle on``).  Not from a delivery callback."""
        with self._lock:
            sub.closed = True
            if now:
                self._drop(sub)
            else:
                self._queue.append(("del", sub))
        self._waiter.wake()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No chunk is being delivered while this is held (the hub reads and delivers
        under this lock): for changes the delivery must not see half-made, such as a
        jail leaving its scan group."""
        with self._lock:
            yield

    def watched(self) -> dict[str, list[str]]:
        """Each file read -> the jails reading it."""
        with self._lock:
            return {
                w.tail.path: sorted({fs.owner.jail for fs in w.subs})
                for w in self._watched.values()
            }

    def tail_of(self, path: str) -> FileTail | None:
        """The reader of ``path`` (monitoring and tests; use from the hub's thread or
        while it is idle)."""
        with self._lock:
            for (p, _), w in self._watched.items():
                if p == os.path.abspath(path):
                    return w.tail
        return None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("LogHub already started")
        log.info("Log hub starting with backend %s", self.backend)
        self._thread = threading.Thread(target=self._run, name="hyperban-logs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread, drain rotated-away logs, store positions, close all fds."""
        if self._stopping:
            return
        self._stopping = True
        self._waiter.wake()
        if self._thread is not None:
            self._thread.join(timeout)
        else:
            self._shutdown()

    def __enter__(self) -> LogHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the thread --------------------------------------------------------------------

    def _run(self) -> None:
        try:
            changed: set[str] | None = None
            retry = True
            while not self._stopping:
                with self._lock:
                    self._apply_queue()
                    self._rescan(changed, retry)
                    self._sync_watches()
                self._pace()
                if self._stopping:
                    break
                changed = self._waiter.wait(self._timeout())
                if self._stopping:
                    break
                now = time.monotonic()
                retry = now >= self._next_retry
                if retry:
                    self._next_retry = now + self.retry_interval
                since, self._last_read = now - self._last_read, now
                self._read_bytes = 0
                with self._lock:
                    got = self._poll(changed, retry)
                self._pace_next = got and self._waiter.name == "inotify"
                self._read_interval = self._next_interval(since)
                self._book.maybe_flush()
        except Exception:  # a bug must not silently stop every jail's logs
            log.exception("Log hub thread failed")
            raise
        finally:
            self._shutdown()

    def _pace(self) -> None:
        """After a read that found lines (inotify), sleep out the read interval
        (``min_read_interval``, or ``busy_read_interval`` under load) since that read
        before waiting for events again.

        The next read then happens at the later of the first new event and the end of
        the interval -- as if the hub woke at the first event and slept out the rest --
        but a busy log costs one wake-up per read instead of two (each wake-up of an
        idle thread costs tens of microseconds of CPU here).  A quiet log is not paced:
        its next line is read as soon as it comes.
        """
        if not self._pace_next:
            return
        delay = self._last_read + self._read_interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def _next_interval(self, since: float) -> float:
        """The pace after a read that emitted ``_read_bytes`` bytes ``since`` seconds
        after the one before: the busy interval while the logs grow at ``busy_rate``."""
        rate = self._read_bytes / max(since, self.min_read_interval)
        return self.busy_read_interval if rate >= self.busy_rate else self.min_read_interval

    def _shutdown(self) -> None:
        with self._lock:
            for w in self._watched.values():
                self._note_positions(w)  # before close: the current file's position
                w.tail.close(partial(self._emit, w))
            self._watched.clear()
            self._book.flush()
            self._waiter.close()

    def _timeout(self) -> float | None:
        """How long the waiter may sleep: until the next due job, or forever."""
        now = time.monotonic()
        due: list[float] = []
        if (d := self._book.due_in) is not None:
            due.append(d)
        with self._lock:
            for w in self._watched.values():
                if (t := w.tail.retired_deadline) is not None:
                    due.append(t - now)
            if self._needs_retry():
                due.append(self._next_retry - now)
        return max(0.0, min(due)) if due else None

    def _needs_retry(self) -> bool:
        if self._unwatchable:
            return True
        if any(sub.logpath.is_glob and _has_magic_dir(sub.logpath) for sub in self._subs):
            return True
        return any(w.tail.problem or w.tail.inode is None for w in self._watched.values())

    # -- subscriptions -----------------------------------------------------------------

    def _apply_queue(self) -> None:
        queue, self._queue = self._queue, []
        for op, sub in queue:
            if op == "add" and not sub.closed:
                self._subs.append(sub)
                for path in expand(sub.logpath.pattern):
                    self._add_file(sub, path, sub.logpath.tail)
                if not sub.files:
                    log.warning(
                        "No file(s) found for glob %s (jail %s); watching for them",
                        sub.logpath.pattern,
                        sub.jail,
                    )
            elif op == "del":
                self._drop(sub)

    def _drop(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            for path in list(sub.files):
                self._remove_file(sub, path)

    def _add_file(self, sub: Subscription, path: str, at_end: bool) -> None:
        key = (path, sub.fmt.key)
        fs = _FileSub(sub, path)
        sub.files[path] = fs
        stored = None if at_end else self._book.load(sub.jail, path)
        w = self._watched.get(key)
        if w is None:
            tail = FileTail(
                path,
                sub.fmt,
                resume=stored,
                at_end=at_end,
                chunk_size=self.chunk_size,
                rotate_grace=self.rotate_grace,
            )
            w = _Watched(tail, [fs], _dirs_of(path))
            self._watched[key] = w
            self._poll_one(w)  # open now, so the next jail on this file sees its state
            # (where this first read started, not where it ended: lines written since
            # the resumed position are part of this start, as fail2ban reports it)
            pos = tail.start_pos
        else:
            self._join(w, fs, stored, at_end)
            w.subs.append(fs)
            pos = fs.positions.get(w.tail.generation, w.tail.pos)
        # fail2ban's words (its filter logs this per jail; ours names the jail at DEBUG)
        log.info("Added logfile: %r (pos = %d, hash = %s)", path, pos, w.tail.hash)
        log.debug("logfile %r is read for jail %s", path, sub.jail)

    def _join(
        self, w: _Watched, fs: _FileSub, stored: tuple[str | None, int] | None, at_end: bool
    ) -> None:
        """Position a jail that joins a reader already running."""
        tail = w.tail
        if tail.inode is None:
            return  # nothing open: it reads the next file from its start like the others
        gen = tail.generation
        if at_end:
            fs.positions[gen] = tail.last_line_start()
            return
        start = 0
        if (
            stored is not None
            and names_first_line(stored[0], tail.first_line)
            and stored[1] <= tail.size
        ):
            start = stored[1]  # may be ahead of the reader: lines before it are skipped
        fs.positions[gen] = start
        if start < tail.pos:  # behind the shared reader: catch this jail up alone
            raw = tail.read_range(start, tail.pos)
            fs.positions[gen] = tail.pos
            self._deliver(fs, fs.owner.fmt.to_utf8(raw))

    def _remove_file(self, sub: Subscription, path: str) -> None:
        fs = sub.files.pop(path, None)
        key = (path, sub.fmt.key)
        w = self._watched.get(key)
        if fs is None or w is None:
            return
        if fs in w.subs:
            w.subs.remove(fs)
        if w.tail.inode is not None:
            t = w.tail
            self._book.note(sub.jail, path, t.hash, fs.positions.get(t.generation, t.pos))
        if not w.subs:
            w.tail.close()
            del self._watched[key]

    def _rescan(self, changed: set[str] | None, retry_due: bool) -> None:
        """Expand globs again: after every poll (polling), on events in their
        directory (inotify), or on the retry timer for globbed directories."""
        for sub in self._subs:
            lp = sub.logpath
            if not lp.is_glob:
                continue
            if changed is not None and lp.directory not in changed:
                if not (retry_due and _has_magic_dir(lp)):
                    continue
            for path in expand(lp.pattern):
                if path not in sub.files:
                    log.info("New log file %s matches %s (jail %s)", path, lp.pattern, sub.jail)
                    self._add_file(sub, path, at_end=False)  # new since start: all of it

    def _sync_watches(self) -> None:
        dirs: set[str] = set()
        for w in self._watched.values():
            dirs |= w.dirs
        for sub in self._subs:
            if sub.logpath.is_glob and not _has_magic_dir(sub.logpath):
                dirs.add(sub.logpath.directory)
        self._unwatchable = self._waiter.watch(dirs)
        watching = dirs - self._unwatchable
        new, self._watching = watching - self._watching, watching
        if new:
            # A file is read once when it is added, before its directory is watched:
            # what was written in between raised no event.  Read such files again now
            # that their changes will be seen (else that line waits for the next one).
            for w in list(self._watched.values()):
                if w.dirs & new:
                    self._poll_one(w)

    # -- reading -----------------------------------------------------------------------

    def _poll(self, changed: set[str] | None, retry: bool) -> bool:
        """Poll the files concerned by ``changed``; True if any line was emitted."""
        got = False
        for w in list(self._watched.values()):
            t = w.tail
            if (
                changed is None
                or t.path in changed
                or t.open_files() != 1  # missing, or rotated-away files to drain
                or (retry and t.problem)
                or (w.dirs - {os.path.dirname(t.path)}) & changed  # symlink target dir
            ):
                got |= self._poll_one(w)
        return got

    def _poll_one(self, w: _Watched) -> bool:
        got = w.tail.poll(partial(self._emit, w))
        if got:
            self._note_positions(w)
        live = w.tail.live_generations
        top = w.tail.generation
        for fs in w.subs:  # forget positions in files that are closed for good
            for g in [g for g in fs.positions if g not in live and g < top]:
                del fs.positions[g]
        return got

    def _emit(self, w: _Watched, gen: int, start: int, raw: bytes) -> None:
        end = start + len(raw)
        self._read_bytes += len(raw)
        converted: dict[tuple[int, LineFormat], bytes] = {}
        deliveries: list[tuple[_FileSub, bytes]] = []
        for fs in list(w.subs):
            if fs.owner.closed:
                # Unsubscribed, not yet removed: it takes nothing, so its position (what
                # a resubscribing jail resumes from) stays at what it did take. With no
                # position of its own in this generation it was at the reader's, which
                # is `start`: pinned there, or it would read as past these lines.
                fs.positions.setdefault(gen, start)
                continue
            pos = fs.positions.get(gen, 0)
            if pos >= end:
                continue  # this jail already had these lines
            rel = w.tail.fmt.first_line_start_at_or_after(raw, pos - start)
            fs.positions[gen] = end
            if rel >= len(raw):
                continue
            fmt = fs.owner.fmt
            data = converted.get((rel, fmt))
            if data is None:
                data = converted[(rel, fmt)] = fmt.to_utf8(raw[rel:] if rel else raw)
            deliveries.append((fs, data))
        self._deliver_all(deliveries)

    def _deliver_all(self, deliveries: list[tuple[_FileSub, bytes]]) -> None:
        """Hand out one read's chunks.  Callbacks that share a ``scan_group`` (an object
        with ``process(path, data, callbacks)``) and got the very same chunk are called
        together once, so the group can scan the chunk once for all of them."""
        grouped: dict[tuple[int, int], list[_FileSub]] = {}
        for fs, data in deliveries:
            group = getattr(fs.owner.on_data, "scan_group", None)
            if group is None or fs.owner.closed or not data:
                self._deliver(fs, data)
                continue
            grouped.setdefault((id(group), id(data)), []).append(fs)
        by_data = {id(data): data for _, data in deliveries}
        for (_, data_id), members in grouped.items():
            group = members[0].owner.on_data.scan_group  # type: ignore[attr-defined]
            try:
                group.process(members[0].path, by_data[data_id], [m.owner.on_data for m in members])
            except Exception:  # one failing group must not stop the others
                log.exception("Jails %s failed to process %s", [m.owner.jail for m in members],
                              members[0].path)  # fmt: skip

    def _deliver(self, fs: _FileSub, data: bytes) -> None:
        if not data or fs.owner.closed:
            return
        try:
            fs.owner.on_data(fs.path, data)
        except Exception:  # one failing jail must not stop the others
            log.exception("Jail %s failed to process %s", fs.owner.jail, fs.path)

    def _note_positions(self, w: _Watched) -> None:
        t = w.tail
        if t.inode is None:
            return  # the path names no file now: the last stored position stays
        for fs in w.subs:
            # No entry for the current file yet: the jail follows the reader.
            pos = fs.positions.get(t.generation, t.pos)
            self._book.note(fs.owner.jail, fs.path, t.hash, pos)


def _has_magic_dir(lp: LogPath) -> bool:
    from glob import has_magic

    return has_magic(lp.directory)


def _dirs_of(path: str) -> set[str]:
    """The path's directory, and its symlink target's, so inotify sees both."""
    dirs = {os.path.dirname(path)}
    real = os.path.realpath(path)
    if real != path:
        dirs.add(os.path.dirname(real))
    return dirs
