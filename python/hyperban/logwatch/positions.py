"""Batched persistence of log positions per (jail, path).

Every chunk handed to a jail moves its position, but writing SQLite per chunk (let
alone per line) would cost more than matching.  Positions are kept in memory and
written together every ``interval`` seconds and on stop, one ``updateLog`` per
(jail, path) that moved.  A crash loses at most ``interval`` seconds of position:
those lines are read again at restart, as fail2ban does after a crash.

A position is a byte offset (int) for a file, and a time in seconds with microseconds
(float, as fail2ban stores it) for the journal; both are stored as given.

The jail must exist in the database (``Database.addJail``), as for fail2ban; a failed
write is logged and retried at the next flush.  The latest position of each (jail,
path) is also kept in memory, with or without a database: a jail that subscribes again
(a reload) resumes from it, not from the last write, which may be seconds older.
"""

from __future__ import annotations

import logging
import time

from ..server.database import Database, DatabaseError

__all__ = ["PositionBook"]

log = logging.getLogger(__name__)


class PositionBook:
    def __init__(self, db: Database | None, interval: float = 5.0) -> None:
        self.db = db
        self.interval = interval
        self._dirty: dict[tuple[str, str], tuple[str, float]] = {}
        self._latest: dict[tuple[str, str], tuple[str, float]] = {}
        self._next = time.monotonic() + interval

    def load(self, jail: str, path: str) -> tuple[str | None, int] | None:
        """Latest (first-line hash, position) of ``path`` for ``jail``, if any: the one
        noted in this run, else the stored one."""
        latest = self._latest.get((jail, path))
        if latest is not None:
            # as noted: an int offset for a file, a float time for the journal
            return latest  # type: ignore[return-value]
        if self.db is None:
            return None
        try:
            return self.db.getLogPos(jail, path)
        except DatabaseError as e:
            log.error("Cannot read the position of %s for jail %s: %s", path, jail, e)
            return None

    def note(self, jail: str, path: str, hash: str, pos: float) -> None:
        self._latest[(jail, path)] = (hash, pos)
        if self.db is not None:
            self._dirty[(jail, path)] = (hash, pos)

    @property
    def due_in(self) -> float | None:
        """Seconds until the next write is due (None when nothing waits)."""
        if not self._dirty:
            return None
        return max(0.0, self._next - time.monotonic())

    def maybe_flush(self) -> None:
        if self._dirty and time.monotonic() >= self._next:
            self.flush()

    def flush(self) -> None:
        self._next = time.monotonic() + self.interval
        if self.db is None:
            return
        dirty, self._dirty = self._dirty, {}
        for (jail, path), (hash, pos) in dirty.items():
            try:
                self.db.updateLog(jail, path, pos, hash)
            except DatabaseError as e:
                log.error("Cannot store the position of %s for jail %s: %s", path, jail, e)
                self._dirty.setdefault((jail, path), (hash, pos))
