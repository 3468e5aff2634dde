"""Reading ``get JAIL banip --with-time`` output in tests (shared by tests/daemon and
tests/e2e; ``tests/`` is on ``sys.path`` through ``tests/conftest.py``)."""

from __future__ import annotations

import time

__all__ = ["ban_ends", "same_ban_ends"]


def ban_ends(listing: str) -> dict[str, float]:
    """``get JAIL banip --with-time`` lines -> {ip: end of ban (epoch)}."""
    ends: dict[str, float] = {}
    for line in listing.splitlines():
        ip, _, rest = line.partition(" \t")
        end = rest.rsplit(" = ", 1)[-1]
        ends[ip] = time.mktime(time.strptime(end, "%Y-%m-%d %H:%M:%S"))
    return ends


def same_ban_ends(before: str, after: str) -> bool:
    """Same ids, ends equal within 1 s (the database keeps whole seconds, as fail2ban's)."""
    a, b = ban_ends(before), ban_ends(after)
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1 for k in a)
