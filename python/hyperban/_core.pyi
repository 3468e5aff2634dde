"""Type stubs for hyperban's Rust core (built from rust/ by maturin)."""

__version__: str
HYPERSCAN_VERSION: str

class PatternError(ValueError):
    """A regular expression no engine accepts; names the pattern and position."""

class PatternSet:
    """Many Python-syntax patterns matched in one pass per chunk.

    A match is ``(line_number, byte_offset, pattern_id, {group: value})``;
    ``scan`` and ``match_line`` return ``(matches, lines, limit_hits)``.
    """

    def __init__(
        self,
        patterns: list[tuple[int, str]],
        engine: str = "hyperscan",
        multiline: bool = False,
    ) -> None: ...
    def scan(
        self, data: bytes
    ) -> tuple[list[tuple[int, int, int, dict[str, str | None]]], int, int]: ...
    def match_line(
        self, record: str
    ) -> tuple[list[tuple[int, int, int, dict[str, str | None]]], int, int]: ...
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

#: Bits of a :class:`MultiProgram` scan id that hold the filter's own id.
MULTI_SHIFT: int

#: ``(line, text, before, date_text, after, when, no_date, last_date, pre,
#: fail, error, invalid_date)``; ``pre``/``fail`` map pattern ids to groups.
ProgramRecord = tuple[
    int,
    str,
    str,
    str,
    str,
    float | None,
    bool,
    float | None,
    dict[int, dict[str, str | None]] | None,
    dict[int, dict[str, str | None]] | None,
    str | None,
    bool,
]
#: ``(scan_limit_hit, lines, processed, prefregex_only, limit_hits, records,
#: last_date, last_time_text)``.
ProgramRun = tuple[bool, int, int, int, int, list[ProgramRecord], float | None, str]

class FilterProgram:
    """A single-line filter's exact stage (date cut, prefregex, failregex,
    ignoreregex) over one chunk per call; shares the filter's sets and its
    date detector."""

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
    ) -> None: ...
    def run(
        self, data: bytes, now: float, last_date: float | None, last_time_text: str
    ) -> ProgramRun: ...

class MultiProgram:
    """Several filters' programs behind one shared candidate scan."""

    def __init__(self, scan: PatternSet, programs: list[FilterProgram]) -> None: ...
    def run(
        self, data: bytes, now: float, carries: list[tuple[float | None, str]]
    ) -> list[ProgramRun]: ...

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
