"""Multi-pattern line matching: one interface, three engines.

``compile_patterns(patterns, engine)`` returns a matcher with the same API and
the same results whatever the engine:

* ``hyperscan`` (default) — one Hyperscan pass per chunk finds candidate
  lines, PCRE2 confirms them and extracts groups (Rust, GIL released);
* ``regex`` — the Rust ``regex`` crate's ``RegexSet`` per line, PCRE2 for
  what it cannot express;
* ``python`` — every pattern tried in turn with Python's ``re``, the way
  fail2ban does it (the reference and the baseline).

A match is ``(line_number, byte_offset, pattern_id, groups)``; ``scan``
returns ``(matches, lines, limit_hits)``.
"""

from hyperban.matcher.engines import (
    ENGINES,
    Match,
    Matcher,
    PatternError,
    ScanResult,
    compile_patterns,
)

__all__ = ["ENGINES", "Match", "Matcher", "PatternError", "ScanResult", "compile_patterns"]
