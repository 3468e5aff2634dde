"""Type stubs for hyperban's Rust core (built from rust/ by maturin)."""

from collections.abc import Callable, Iterator, Sequence
from typing import overload

__version__: str
HYPERSCAN_VERSION: str

class PatternError(ValueError):
    """A regular expression no engine accepts; names the pattern and position."""

_Match = tuple[int, int, int, dict[str, str | None]]

class Matches(Sequence[_Match]):
    """The matches of one scan, held in Rust; each tuple is built when read.

    Equal to any sequence of the same tuples (a list, say).
    """

    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> _Match: ...
    @overload
    def __getitem__(self, index: slice) -> list[_Match]: ...
    def __iter__(self) -> Iterator[_Match]: ...
    def __eq__(self, other: object) -> bool: ...
    def tolist(self) -> list[_Match]: ...

class PatternSet:
    """Many Python-syntax patterns matched in one pass per chunk.

    A match is ``(line_number, byte_offset, pattern_id, {group: value})``;
    ``scan`` and ``match_line`` return ``(matches, lines, limit_hits)``, where
    ``matches`` is a :class:`Matches` sequence in line order.
    """

    def __init__(
        self,
        patterns: list[tuple[int, str]],
        engine: str = "hyperscan",
        multiline: bool = False,
    ) -> None: ...
    def scan(self, data: bytes) -> tuple[Matches, int, int]: ...
    def candidate_lines(self, data: bytes) -> tuple[list[tuple[int, int, int]], int, int]:
        """The finder's candidates, unconfirmed (a superset of ``scan``'s
        matches): ``(line_number, byte_offset, pattern_id)`` in line order."""
    def match_line(self, record: str) -> tuple[Matches, int, int]: ...
    def raw_scan(self, data: bytes) -> int | None: ...
    @property
    def engine(self) -> str: ...
    def modes(self) -> list[str]: ...
    def ids(self) -> list[int]: ...
    def __len__(self) -> int: ...

class DateDetector:
    """fail2ban-compatible date detection for one filter."""

    def __init__(
        self,
        datepattern: str | None = None,
        logtimezone: str | None = None,
        created_at: float | None = None,
    ) -> None: ...
    def find(self, line: str, now: float) -> tuple[float | None, int, int] | None: ...
    def template_hits(self) -> list[tuple[str, int]]: ...
    @property
    def templates(self) -> list[str]: ...

def count_skipped(data: bytes) -> int:
    """Comment (``#``) and empty lines of a chunk of ``\\n``-terminated lines."""

#: Bits of a :class:`MultiProgram` scan id that hold the filter's own id.
MULTI_SHIFT: int

#: A failure of a finished line: ``(regex, time, data, id_kind, id_text,
#: id_cidr)``; ``id_kind`` 0 = no id yet (pending), 1 = ``Address.of(id_text,
#: id_cidr)``, 2 = a host name to resolve.  ``data`` is fail2ban's failure dict.
ProgramFailure = tuple[int, float | None, dict[str, object], int, str | None, int]
#: A finished line: ``(line, text, (before, date, after), failures, ignored_by,
#: prefregex_matched, error, invalid_date, far_from_now, no_date_match,
#: no_id_group)``.
ProgramOutcome = tuple[
    int,
    str,
    tuple[str, str, str],
    list[ProgramFailure],
    list[int],
    bool,
    str | None,
    bool,
    bool,
    bool,
    list[int],
]
#: The quiet lines of a run counted instead of reported (``summarize``):
#: ``(ignored, prefregex, fail_hits, ignore_hits, ignored_lines)``: lines
#: counted as ignored, lines the prefregex matched, failures (all ``nofail``)
#: per failregex, matches per ignoreregex, and the chunk line numbers of the
#: ignored ones (native-endian unsigned 32-bit integers, in line order).
QuietSummary = tuple[int, int, list[int], list[int], bytes]
#: ``(scan_limit_hit, lines, processed, prefregex_only, limit_hits, outcomes,
#: last_date, last_time_text, quiet)``; ``quiet`` is ``None`` unless the run
#: was asked to ``summarize``.
ProgramRun = tuple[
    bool,
    int,
    int,
    int,
    int,
    list[ProgramOutcome],
    float | None,
    str,
    QuietSummary | None,
]
#: ``(check_all, ignore_pending, raw_ids, check_find_time, in_operation,
#: find_time, wall_now, report_quiet_lines)``: the filter settings a run reads.
FinishSettings = tuple[bool, bool, bool, bool, bool, float, float, bool]

class ChunkScan:
    """The candidate scan of one chunk (:meth:`FilterProgram.scan`,
    :meth:`MultiProgram.scan`), made ahead of the run that takes it; only
    taken by the set it was made with, for a chunk of the same length."""

    @property
    def has_dates(self) -> bool:
        """Made by :meth:`FilterProgram.scan_dates`: it holds the date step of
        each line the run processes, and the run takes those."""
    @property
    def evaluated(self) -> int:
        """Lines whose regexes were evaluated ahead, waiting for the run (0
        once the run has taken them)."""

class FilterProgram:
    """A single-line filter's exact stage (date cut, prefregex, failregex,
    ignoreregex) and its finishing (F-MLFID sessions, failure ids) over one
    chunk per call; shares the filter's sets and its date detector, and owns
    its multi-line sessions."""

    def __init__(
        self,
        scan: PatternSet,
        pre: PatternSet | None,
        fail: PatternSet,
        detector: DateDetector,
        *,
        fail_count: int,
        ignore_count: int,
        has_prefregex: bool,
        ignore_first: bool,
        skip_comments: bool,
        folds: list[tuple[list[tuple[str, str]], list[tuple[str, str]]]],
        address_of: Callable[[str, int], object],
    ) -> None: ...
    def run(
        self,
        data: bytes,
        now: float,
        last_date: float | None,
        last_time_text: str,
        settings: FinishSettings,
        *,
        summarize: int | None = None,
        scan: ChunkScan | None = None,
        tally: ToolTally | None = None,
    ) -> ProgramRun:
        """Runs a chunk (the GIL is released meanwhile).  With ``summarize=keep``
        the quiet lines (no failure proper, nothing to log, no host name to
        resolve) are counted in the run's ``quiet`` summary instead of being
        reported, except the first ``keep`` of them that count as ignored.
        ``scan`` is :meth:`scan` of ``data`` made ahead (else the run scans).
        A scan from :meth:`scan_dates` brings the dates: the run then neither
        reads nor advances the detector, takes the scan's ``now`` and returns
        the carry after the chunk as ``scan_dates`` gave it.
        ``tally`` accounts the lines it can; only the others are returned."""
    def scan(self, data: bytes) -> ChunkScan:
        """The candidate scan of ``data`` for :meth:`run` (the GIL is released
        meanwhile)."""
    def scan_dates(
        self,
        data: bytes,
        now: float,
        last_date: float | None,
        last_time_text: str,
        *,
        evaluate: float = 0.0,
    ) -> tuple[ChunkScan, float | None, str]:
        """The candidate scan of ``data`` and the date step of every line the
        run will process, advancing the detector and the carry: a run of the
        previous chunk may go on meanwhile on another thread (the GIL is
        released), but no run that finds dates itself.  Returns the scan and
        the carry ``(last_date, last_time_text)`` after the chunk.

        ``evaluate`` (0 to 1): the exact sets (prefregex, failregexes,
        ignoreregexes) of that share of the lines, the first ones, are
        evaluated here too; a run checking every failregex (``check_all``)
        takes them, any other run evaluates them itself.  Raises
        ``ValueError`` for a share outside 0 to 1."""
    def evaluate_meanwhile(self, data: bytes, scan: ChunkScan) -> int:
        """Evaluates the regexes of the lines of ``scan`` (a
        :meth:`scan_dates` of ``data``), in order from the first not yet
        evaluated, until the run taking ``scan`` starts on another thread
        (it evaluates the rest itself) or every line is done; returns how
        many lines this call evaluated.  The GIL is released.  Raises
        ``ValueError`` for a scan without dates or of another chunk."""
    def reset(self) -> None: ...

class MultiProgram:
    """Several filters' programs behind one shared candidate scan."""

    def __init__(self, scan: PatternSet, programs: list[FilterProgram]) -> None: ...
    def run(
        self,
        data: bytes,
        now: float,
        carries: list[tuple[float | None, str, FinishSettings]],
        *,
        summarize: list[int | None] | None = None,
        scan: ChunkScan | None = None,
        tallies: list[ToolTally | None] | None = None,
    ) -> list[ProgramRun]:
        """One :meth:`FilterProgram.run` per filter; ``summarize`` and
        ``tallies`` hold each filter's ``summarize`` and ``tally`` arguments;
        ``scan`` is :meth:`scan` of ``data`` made ahead (else the run scans)."""
    def scan(self, data: bytes) -> ChunkScan:
        """The shared candidate scan of ``data`` for :meth:`run` (the GIL is
        released meanwhile)."""

class ToolTally:
    """``regex``'s statistics of the lines a :meth:`FilterProgram.run` could
    account without Python (no error or warning to log, no host name to
    resolve, a record whose text Rust writes as ``json.dumps`` would).  Lists
    are merged with the caller's own ``(0-based line, item)`` lists, both in
    line order."""

    def __init__(
        self,
        fail_count: int,
        ignore_count: int,
        *,
        list_matched: bool,
        keep_ignored: int | None,
    ) -> None:
        """``list_matched``: keep matched lines and a JSON record per failure;
        ``keep_ignored``: how many ignored lines to keep (``None``: all)."""
    def counts(self) -> tuple[int, int, int, list[int], list[int]]:
        """``(matched, ignored, prefregex, failregex hits, ignoreregex hits)``."""
    def not_missed(self) -> list[int]:
        """The 0-based numbers of the matched and ignored lines accounted here."""
    def matched_lines(self, others: list[tuple[int, str]]) -> list[str]: ...
    def ignored_lines(
        self, others: list[tuple[int, str]], limit: int | None = None
    ) -> list[str]: ...
    def matches_json(self, others: list[tuple[int, str]]) -> str:
        """The JSON records, ``others``' included, joined by ``", "``."""

class TimerWheel:
    """Hierarchical timer wheel: str keys with absolute deadlines (epoch seconds).

    ``advance(now)`` returns exactly the keys with ``deadline <= now``.
    """

    def __init__(self, *, resolution: float = 0.001) -> None: ...
    def schedule(self, key: str, deadline: float) -> None: ...
    def cancel(self, key: str) -> bool: ...
    def advance(self, now: float) -> list[str]: ...
    def next_deadline(self) -> float | None: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: object) -> bool: ...
