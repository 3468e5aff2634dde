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
    @property
    def templates(self) -> list[str]: ...

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
