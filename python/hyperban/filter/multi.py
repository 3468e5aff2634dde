"""Several filters reading one log in a single pass.

fail2ban runs one pass over a log per jail.  :class:`MultiFilter` scans each
chunk once for the candidate patterns of every single-line filter on a Rust
engine (one Hyperscan database for all of them), then runs each filter's
exact stage (:class:`hyperban._core.FilterProgram`) on its own candidates
only.  The outcome per filter is exactly what :meth:`Filter.process_chunk`
gives on the same chunks; filters that cannot share the scan (multi-line,
the ``python`` engine) are processed on their own.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

from hyperban._core import MULTI_SHIFT, ChunkScan, MultiProgram
from hyperban.filter.filter import ChunkResult, Filter
from hyperban.matcher import compile_patterns

__all__ = ["MultiFilter"]


class MultiFilter:
    """Filters that read the same log; :meth:`process_chunk` gives one
    :class:`ChunkResult` per filter, in the order given."""

    def __init__(self, filters: Sequence[Filter], engine: str = "hyperscan") -> None:
        self.filters = list(filters)
        self._shared: list[int] = []  # positions of the filters in the shared scan
        patterns: list[tuple[int, str]] = []
        programs = []
        for k, flt in enumerate(self.filters):
            program = flt.program
            if program is None:
                continue
            slot = len(programs)
            programs.append(program)
            self._shared.append(k)
            patterns += [((slot << MULTI_SHIFT) | i, p) for i, p in flt.candidate_patterns]
        self._multi = None
        if programs:
            scan = compile_patterns(patterns, engine)
            self._multi = MultiProgram(scan, programs)

    def process_chunk(self, data: bytes, first: int = 0) -> list[ChunkResult]:
        """Process a chunk of ``\\n``-terminated lines for every filter (at
        the first shared filter's ``clock()``)."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self.finish_stage(self._run_shared(data), data, first)
        finally:
            if collecting:
                gc.enable()

    def scan_stage(self, data: bytes) -> ChunkScan | None:
        """The shared candidate scan of ``data`` for :meth:`run_stage`, made
        ahead (stateless; the GIL is released meanwhile)."""
        return None if self._multi is None else self._multi.scan(data)

    def run_stage(self, data: bytes, scan: ChunkScan | None = None) -> list | None:  # type: ignore[type-arg]
        """The shared Rust stage of :meth:`process_chunk` alone, for a
        pipeline (see :meth:`Filter.run_stage`): it may run on another thread
        while this one finishes the previous chunk with :meth:`finish_stage`;
        stages run one at a time, in chunk order, and carry the filters'
        last dates on themselves.  ``scan`` is :meth:`scan_stage` of
        ``data``, when made."""
        return self._run_shared(data, scan=scan)

    def _run_shared(self, data: bytes, scan: ChunkScan | None = None) -> list | None:  # type: ignore[type-arg]
        if self._multi is None:
            return None
        filters = [self.filters[k] for k in self._shared]
        now = filters[0].clock()
        runs = self._multi.run(
            data,
            now,
            [(f._last_date, f._last_time_text, f.finish_settings()) for f in filters],
            summarize=[f.summarize_quiet for f in filters],
            scan=scan,
            tallies=[f.tally for f in filters],
        )
        for flt, run in zip(filters, runs, strict=True):
            flt._last_date = run[6]
            flt._last_time_text = run[7]
        return runs

    def finish_stage(
        self,
        runs: list | None,  # type: ignore[type-arg]
        data: bytes,
        first: int,
    ) -> list[ChunkResult]:
        """What :meth:`process_chunk` gives, from the :meth:`run_stage` of
        ``data`` (the filters that do not share the scan are processed
        here)."""
        results: list[ChunkResult | None] = [None] * len(self.filters)
        if runs is not None:
            skipped = Filter._count_skipped(data)  # the same for every filter
            for k, run in zip(self._shared, runs, strict=True):
                flt = self.filters[k]
                hits = flt.limit_hits
                result = flt._finish_program_run(run, data, first, skipped)
                result.limit_hits += flt.limit_hits - hits
                results[k] = result
        for k, flt in enumerate(self.filters):
            if results[k] is None:
                results[k] = flt.process_chunk(data, first)
        return results  # type: ignore[return-value]
