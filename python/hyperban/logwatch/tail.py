"""Follow one log path across appends, rotations and truncations.

A :class:`FileTail` keeps the path's file open and remembers, per open file (inode),
the offset just after the last whole line it handed out.  :meth:`FileTail.poll` emits
every new whole line, in big chunks, as ``emit(generation, offset, raw_bytes)``:

* ``generation`` numbers the files seen at the path (it grows at every rotation or
  truncation), so a consumer can keep one position per file;
* ``offset`` is where ``raw_bytes`` starts in that file; chunks always start at a line
  start and end just after a newline, in the file's own encoding (see
  :class:`~hyperban.logwatch.lines.LineFormat`).

Rules (fail2ban's ``FileContainer`` behaviour, made loss-free where it was not):

* A trailing partial line waits for its newline; the position stays at its start, so
  a restart re-reads it.
* **rename + create**: the old file is read to its end, then kept open for
  ``rotate_grace`` seconds and drained at every poll (writers keep writing to it until
  they reopen their log), then closed.  The new file is read from offset 0.  A partial
  last line of the old file is emitted with a newline added when the old file is
  closed: nobody can finish it any more.
* **copytruncate**: the file became shorter than what was read, or its first line
  changed (it was truncated and grew again between two polls) -> read from 0.  A
  partial line cut by the truncation is lost with the truncated data.
* **restart**: ``resume=(hash, pos)`` (from the database) continues at ``pos`` when the
  first-line hash still matches and the file is not shorter; otherwise the file was
  rotated while we were down, and it is read from 0 (as fail2ban does).
* ``at_end`` (``logpath = X tail``): the whole lines present at the first open are
  skipped; a line being written at that moment is delivered once complete.
* A missing or unreadable path is reported once (not at every poll); the tail retries
  at every poll and goes on when the path is back.  If the same inode comes back (the
  file was renamed away and back), reading continues where it stopped.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..filter.source import DEFAULT_CHUNK_SIZE
from ..server.database import line_hash, names_first_line
from .lines import LineFormat

__all__ = ["Emit", "FileTail"]

log = logging.getLogger(__name__)

#: ``emit(generation, offset, raw_whole_lines)``
Emit = Callable[[int, int, bytes], None]

_BLOCK = 64 << 10


def first_line_fd(fd: int) -> bytes:
    """The first line of an open file, newline included; b"" while it is incomplete."""
    head = b""
    while True:
        block = os.pread(fd, _BLOCK, len(head))
        if not block:
            return b""
        i = block.find(b"\n")
        if i >= 0:
            return head + block[: i + 1]
        head += block


def first_line_hash_fd(fd: int) -> str:
    """Same value as :func:`hyperban.server.database.first_line_hash`, from an open fd
    (the path may already name another file)."""
    return line_hash(first_line_fd(fd))


@dataclass
class _Open:
    """One open file (inode) and how far it was read."""

    fd: int
    dev_ino: tuple[int, int]
    gen: int
    pos: int  # just after the last whole line emitted
    pending: bytes = b""  # read after ``pos``, no newline yet
    hash: str = ""  # first-line hash, "" while the first line is incomplete
    first: bytes = b""  # that first line (newline included), b"" while incomplete
    size: int = -1  # (size, mtime) at the last poll: unchanged -> nothing to read
    mtime_ns: int = -1
    deadline: float = 0.0  # retired files only: when to close

    @property
    def read_end(self) -> int:
        return self.pos + len(self.pending)


class FileTail:
    """Tails ``path``; not thread-safe (one backend thread drives it)."""

    def __init__(
        self,
        path: str,
        fmt: LineFormat | None = None,
        *,
        resume: tuple[str | None, int] | None = None,
        at_end: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        rotate_grace: float = 5.0,
    ) -> None:
        self.path = path
        self.fmt = fmt if fmt is not None else LineFormat.for_encoding("utf-8")
        self.chunk_size = chunk_size
        self.rotate_grace = rotate_grace
        self._resume = resume
        self._at_end = at_end
        self._first = True  # the next open is the first one (resume/at_end apply)
        #: Where reading of the first file opened started (the resumed position, if
        #: its first line still matched): fail2ban's "Added logfile" position.
        self.start_pos = 0
        self._gen = 0
        self._cur: _Open | None = None
        self._retired: list[_Open] = []
        self._problem: str | None = None
        self.bytes_read = 0  # every byte is read once: tests and stats check it

    # -- state -------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        return self._cur.gen if self._cur else self._gen

    @property
    def pos(self) -> int:
        """Offset after the last whole line emitted from the current file."""
        return self._cur.pos if self._cur else 0

    @property
    def size(self) -> int:
        """Current size of the current file (0 while the path is missing)."""
        return os.fstat(self._cur.fd).st_size if self._cur else 0

    @property
    def hash(self) -> str:
        return self._cur.hash if self._cur else ""

    @property
    def first_line(self) -> bytes:
        """The current file's first line (newline included; b"" while incomplete)."""
        return self._cur.first if self._cur else b""

    @property
    def inode(self) -> tuple[int, int] | None:
        """(st_dev, st_ino) of the current file, None while the path is missing."""
        return self._cur.dev_ino if self._cur else None

    @property
    def problem(self) -> str | None:
        """Why the path cannot be read right now (None when it can)."""
        return self._problem

    @property
    def retired_deadline(self) -> float | None:
        """Monotonic time when the next rotated-away file is due to be closed."""
        return min((r.deadline for r in self._retired), default=None)

    @property
    def live_generations(self) -> set[int]:
        """Generations of the files still open (current and rotated-away)."""
        gens = {r.gen for r in self._retired}
        if self._cur is not None:
            gens.add(self._cur.gen)
        return gens

    def open_files(self) -> int:
        return len(self._retired) + (self._cur is not None)

    # -- polling -----------------------------------------------------------------------

    def poll(self, emit: Emit) -> bool:
        """Emit everything new; True if anything was emitted."""
        got = self._drain_retired(emit, time.monotonic())  # old files' lines first
        got |= self._poll_path(emit)
        if self._retired:  # a file retired just now with no grace is closed now
            got |= self._drain_retired(emit, time.monotonic())
        return got

    def _poll_path(self, emit: Emit) -> bool:
        got = False
        try:
            st = os.stat(self.path)
        except OSError as e:
            what = "absent (rotated or deleted?)" if e.errno == errno.ENOENT else e.strerror
            return self._lost(f"cannot stat: {what}", emit) or got
        if not stat.S_ISREG(st.st_mode):
            return self._lost("not a regular file", emit) or got
        cur = self._cur
        if cur is not None and (st.st_dev, st.st_ino) != cur.dev_ino:
            got |= self._read(cur, emit)  # finish the renamed-away file first
            self._retire(cur)
            cur = None
        if cur is None:
            cur = self._open(st)
            if cur is None:
                return got
        elif st.st_size == cur.size and st.st_mtime_ns == cur.mtime_ns:
            return got
        elif self._truncated(cur, st.st_size):
            log.info("Log truncation (copytruncate) detected for %s", self.path)
            self._gen += 1
            cur.gen, cur.pos, cur.pending, cur.hash, cur.first = self._gen, 0, b"", "", b""
        cur.size, cur.mtime_ns = st.st_size, st.st_mtime_ns
        return self._read(cur, emit) or got

    def read_range(self, start: int, end: int) -> bytes:
        """Raw bytes [start, end) of the current file (catch-up for a late subscriber)."""
        if self._cur is None or end <= start:
            return b""
        parts, off = [], start
        while off < end:
            block = os.pread(self._cur.fd, min(self.chunk_size, end - off), off)
            if not block:
                break
            parts.append(block)
            off += len(block)
        return b"".join(parts)

    def last_line_start(self) -> int:
        """Start of the line being written at the current end of file (= the size when
        the file ends with a newline): where "tail" mode starts."""
        cur = self._cur
        if cur is None:
            return 0
        size = os.fstat(cur.fd).st_size
        end = size
        while end > 0:
            lo = max(0, end - _BLOCK)
            lo -= lo % self.fmt.unit  # keep code units aligned to the file start
            cut = self.fmt.whole_lines_end(os.pread(cur.fd, end - lo, lo))
            if cut:
                return lo + cut
            end = lo
        return 0

    def close(self, emit: Emit | None = None) -> None:
        """Close every file.

        With ``emit``, rotated-away files are first drained to their end (and their
        partial last line emitted): after a restart the path names the new file, so
        nobody would read them again.  The current file is not read: a restart resumes
        it from the stored position.
        """
        for r in self._retired:
            if emit is not None:
                self._read(r, emit)
            self._finish(r, emit)
        self._retired.clear()
        if self._cur is not None:
            os.close(self._cur.fd)
            self._cur = None

    # -- internals ---------------------------------------------------------------------

    def _open(self, st: os.stat_result) -> _Open | None:
        dev_ino = (st.st_dev, st.st_ino)
        for r in self._retired:
            if r.dev_ino == dev_ino:  # renamed away and back: continue where we were
                self._retired.remove(r)
                self._cur = r
                self._ok()
                return r
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as e:
            self._lost(f"cannot open: {e.strerror}", None)
            return None
        fst = os.fstat(fd)
        if (fst.st_dev, fst.st_ino) != dev_ino or not stat.S_ISREG(fst.st_mode):
            os.close(fd)  # replaced between stat and open: retry at the next poll
            return None
        if not self._first:
            self._gen += 1
        first = first_line_fd(fd)
        cur = _Open(fd, dev_ino, self._gen, 0, hash=line_hash(first), first=first)
        self._cur = cur
        if self._first:
            self._first = False
            if self._at_end:
                cur.pos = self.last_line_start()
            elif self._resume is not None:
                want_hash, want_pos = self._resume
                if want_pos and names_first_line(want_hash, first) and want_pos <= fst.st_size:
                    cur.pos = want_pos
                elif want_pos:
                    log.info(
                        "Log %s was rotated since position %d was stored: reading it "
                        "from the start",
                        self.path,
                        want_pos,
                    )
            self.start_pos = cur.pos
        self._ok()
        return cur

    def _truncated(self, cur: _Open, size: int) -> bool:
        if size < cur.read_end:
            return True
        # Truncated and grown again past our position between two polls: the first
        # line tells.  Only checked when the file changed, so it costs one small read
        # per change: the bytes where the first line was are compared with it (the
        # same answer as comparing first-line hashes, without reading a whole block
        # and hashing it at every poll of a busy log).
        first = cur.first
        return bool(first) and os.pread(cur.fd, len(first), 0) != first

    def _read(self, r: _Open, emit: Emit) -> bool:
        got = False
        off = r.read_end
        while True:
            try:
                block = self._pread(r, off)
            except OSError as e:
                self._report(f"read error: {e.strerror}")
                return got
            if not block:
                break
            off += len(block)
            self.bytes_read += len(block)
            buf = r.pending + block if r.pending else block
            cut = self.fmt.whole_lines_end(buf)
            r.pending = buf[cut:]
            if cut:
                start = r.pos
                r.pos += cut
                emit(r.gen, start, buf if cut == len(buf) else buf[:cut])
                got = True
            if len(block) < self.chunk_size:
                break  # at the end: spare one empty read
        if not r.first and r.pos:
            r.first = first_line_fd(r.fd)
            r.hash = line_hash(r.first)
        return got

    def _pread(self, r: _Open, off: int) -> bytes:
        """Up to ``chunk_size`` bytes at ``off`` (less only at the end of the file).

        A busy log gains some 100 KB between two polls: a ``chunk_size`` (8 MB) read
        buffer for that costs more than the read itself (90 vs 25 us of CPU per read
        after the hub's sleep).  So the read asks for what the last stat saw plus some
        slack, and reads on only if the file grew past that meanwhile.
        """
        want = self.chunk_size
        if r.size > off:
            want = min(want, r.size - off + _BLOCK)
        block = os.pread(r.fd, want, off)
        if len(block) == want < self.chunk_size:
            block += os.pread(r.fd, self.chunk_size - want, off + want)
        return block

    def _retire(self, r: _Open) -> None:
        if self._cur is r:
            self._cur = None
        r.deadline = time.monotonic() + self.rotate_grace
        self._retired.append(r)
        log.info("Log rotation detected for %s", self.path)

    def _drain_retired(self, emit: Emit, now: float) -> bool:
        got = False
        for r in list(self._retired):
            got |= self._read(r, emit)
            if now >= r.deadline:
                self._retired.remove(r)
                got |= self._finish(r, emit)
        return got

    def _finish(self, r: _Open, emit: Emit | None) -> bool:
        """Close a rotated-away file; its unfinished last line is emitted as a line."""
        got = False
        if r.pending and emit is not None:
            emit(r.gen, r.pos, r.pending + self.fmt.newline)
            r.pos += len(r.pending)
            r.pending = b""
            got = True
        os.close(r.fd)
        return got

    def _lost(self, why: str, emit: Emit | None) -> bool:
        """The path is missing or unusable: finish the file we had, report once."""
        got = False
        cur = self._cur
        if cur is not None:
            if emit is not None:
                got = self._read(cur, emit)
            self._retire(cur)
        self._report(why)
        return got

    def _report(self, why: str) -> None:
        if self._problem is None:  # one line per outage, not one per poll
            log.warning("Log %s: %s; will retry", self.path, why)
        self._problem = why

    def _ok(self) -> None:
        if self._problem is not None:
            log.info("Log %s is readable again", self.path)
            self._problem = None
