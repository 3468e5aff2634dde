"""Helpers for the log backend tests: real files in tmp dirs, real inotify.

Nothing here sleeps a fixed time to assert timing: tests wait (bounded) until the
expected result is there, then compare contents.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

WAIT = 10.0  # upper bound for anything to happen; tests normally pass in milliseconds


def wait_until(cond: Callable[[], object], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() > deadline:
            return bool(cond())
        time.sleep(0.005)


class Collector:
    """An ``on_data`` callback that records what it gets (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.chunks: list[tuple[str, bytes]] = []
        self.threads: set[str] = set()

    def __call__(self, path: str, chunk: bytes) -> None:
        with self._lock:
            self.chunks.append((path, chunk))
            self.threads.add(threading.current_thread().name)

    def data(self, path: str | None = None) -> bytes:
        with self._lock:
            return b"".join(c for p, c in self.chunks if path is None or p == path)

    def lines(self, path: str | None = None) -> list[bytes]:
        return self.data(path).splitlines()

    def wait_lines(self, n: int, path: str | None = None) -> list[bytes]:
        wait_until(lambda: len(self.lines(path)) >= n)
        return self.lines(path)
