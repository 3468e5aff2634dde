"""From the log hub to the jails: one callback per jail, and shared scans.

:class:`JailFeed` is a jail's callback for the hub.  It also tracks the start-up
backlog: a file's existing content (up to the first read that reaches its end) is old,
and like fail2ban's ``inOperation = False`` phase, failures in it older than ``findtime``
are dropped rather than dated now.  A read shorter than the hub's chunk size reached the
end of the file; from then on the file is live.

:class:`ScanGroup` lets jails that read the same logs share one scan: the hub calls
:meth:`ScanGroup.process` once with every member that got the very same chunk, and when
that is all of them, one :class:`~hyperban.filter.MultiFilter` pass (one Hyperscan scan
for every jail's candidate patterns, then each jail's own exact stage) serves them all.
Otherwise -- a member that is catching up, or one that left the group on a reload -- each
member processes the chunk on its own, so a filter only ever sees the lines it is given.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from hyperban.filter import MultiFilter
from hyperban.filter.filter import ChunkResult
from hyperban.filter.source import DEFAULT_CHUNK_SIZE
from hyperban.server.jail import Jail

__all__ = ["JailFeed", "ScanGroup"]

log = logging.getLogger("hyperban.server")


class JailFeed:
    """The hub's ``on_data(path, chunk)`` for one jail."""

    def __init__(self, jail: Jail, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.jail = jail
        self.chunk_size = chunk_size
        self.live: set[str] = set()
        self.scan_group: ScanGroup | None = None

    def prepare(self, path: str) -> bool:
        """Set the filter's backlog/operation mode for a chunk of ``path``."""
        live = path in self.live
        self.jail.filter.in_operation = live
        return live

    def finish(self, path: str, chunk: bytes) -> None:
        if len(chunk) < self.chunk_size:
            self.live.add(path)

    def take(self, path: str, chunk: bytes, result: ChunkResult) -> None:
        """Count the failures of a chunk processed by the group's shared scan."""
        try:
            self.jail.take(result)
        except Exception:  # a bad chunk must not stop the hub or the other jails
            log.exception("[%s] failed to process data from %s", self.jail.name, path)
        self.finish(path, chunk)

    def __call__(self, path: str, chunk: bytes) -> None:
        live = self.prepare(path)
        try:
            self.jail.feed(chunk, in_operation=live)
        except Exception:  # a bad chunk must not stop the hub or the other jails
            log.exception("[%s] failed to process data from %s", self.jail.name, path)
        self.finish(path, chunk)


class ScanGroup:
    """Jails with the same ``logpath`` entries, scanned together."""

    def __init__(self, feeds: Sequence[JailFeed]) -> None:
        self.feeds = list(feeds)
        self.multi = MultiFilter([f.jail.filter for f in self.feeds])
        for feed in self.feeds:
            feed.scan_group = self

    def leave(self, feed: JailFeed) -> None:
        """A member stops: the others go on, each with its own scan."""
        feed.scan_group = None
        if feed in self.feeds:
            self.feeds.remove(feed)
        for other in self.feeds:
            other.scan_group = None
        self.feeds = []

    def process(self, path: str, chunk: bytes, callbacks: Sequence[object]) -> None:
        if len(callbacks) != len(self.feeds) or set(map(id, callbacks)) != set(map(id, self.feeds)):
            for callback in callbacks:
                callback(path, chunk)  # type: ignore[operator]
            return
        for feed in self.feeds:
            feed.prepare(path)
        try:
            results = self.multi.process_chunk(chunk)
        except Exception:
            log.exception("shared scan of %s failed; jails scan on their own", path)
            for feed in self.feeds:
                feed(path, chunk)
            return
        for feed, result in zip(self.feeds, results, strict=True):
            feed.take(path, chunk, result)
