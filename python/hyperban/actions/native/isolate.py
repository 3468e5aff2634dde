"""Apply a batch in as few transactions as possible, and find the items that fail.

A firewall transaction is all or nothing.  When one fails, the batch is split in halves
and each half is tried again, down to single items: good items land, and each bad item
costs about log2(batch) extra transactions.  Before splitting, ``healthy`` is asked
whether the firewall can take anything at all (e.g. our table still exists); if not,
the whole batch fails at once instead of being bisected into thousands of runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["apply_isolating", "chunks"]

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size`` (one transaction each)."""
    size = max(1, size)
    return [items[i : i + size] for i in range(0, len(items), size)]


def apply_isolating(
    items: Sequence[T],
    apply: Callable[[Sequence[T]], bool],
    healthy: Callable[[], bool],
    *,
    chunk: int,
) -> list[bool]:
    """Run ``apply`` over ``items`` (chunked); one success flag per item, in order."""
    results: list[bool] = []
    for part in chunks(items, chunk):
        if apply(part):
            results.extend([True] * len(part))
        elif len(part) == 1 or not healthy():
            results.extend([False] * len(part))
        else:
            results.extend(_bisect(part, apply))
    return results


def _bisect(items: Sequence[T], apply: Callable[[Sequence[T]], bool]) -> list[bool]:
    """Flags for ``items``, known to fail together; the halves are tried on their own."""
    if len(items) == 1:
        return [False]
    mid = len(items) // 2
    out: list[bool] = []
    for half in (items[:mid], items[mid:]):
        out.extend([True] * len(half) if apply(half) else _bisect(half, apply))
    return out
