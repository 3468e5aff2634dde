"""The C heap's policy for a tool that reads its log in big chunks.

Each chunk of a log is a ``bytes`` object of about half a megabyte, which
CPython takes from the C library's ``malloc``.  glibc hands such blocks out
from the top of its heap once it has seen a few freed, and gives the top back
to the kernel whenever more than a little is free there: a few chunks later
the pages are asked for again, and every 4 KiB of them costs a page fault and
a page cleared before the chunk's bytes are copied in.  Keeping some of the
freed top (glibc's ``M_TOP_PAD``) reuses the same pages chunk after chunk.

Measured on the 1M-line sshd log with 5% attack lines (``python -m hyperban
regex --json --print-all-matched``, 512 KB chunks): 42.4k → 32.9k page
faults a run, 556 → 521 ms of CPU, and the run's "processed in" 0.161 →
0.155 s (medians of 10 interleaved runs, faster in 10 of 10).  4, 16 and
64 MB of pad did equally well.  Together with reading each chunk straight
into its ``bytes`` (:mod:`hyperban.filter.source`): 0.165 → 0.159 s
(faster in 9 of 10, the tenth equal).
"""

from __future__ import annotations

import ctypes

__all__ = ["keep_heap_top"]

# glibc's <malloc.h>: the parameters of mallopt(3) for the heap top's pad
# and for the size from which blocks are mapped on their own.
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

# The freed heap top kept: room for the few chunks in flight at once.
_TOP_PAD_BYTES = 16 << 20

# Blocks below this come from the heap.  glibc starts at 128 KiB and raises
# it, up to 32 MiB, as it sees mapped blocks freed, but setting any of these
# parameters stops that, wherever it has got to: so it is set too (to the top
# of glibc's own range), or the chunks would all be mapped and unmapped one
# by one (60k page faults a run instead of 33k).
_MMAP_THRESHOLD_BYTES = 32 << 20


def keep_heap_top() -> bool:
    """Ask the C library to take chunk-sized blocks from its heap and to keep
    the heap's freed top instead of returning it to the kernel.  Returns
    whether it could: only glibc has ``mallopt`` (musl and others go on with
    their default, correctly, only more slowly)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # (mallopt returns 1 when it took the value)
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TOP_PAD, _TOP_PAD_BYTES)
    )
