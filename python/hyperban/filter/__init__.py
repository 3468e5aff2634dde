"""fail2ban filter semantics on top of the one-pass matcher.

* :class:`Filter` — a filter (failregex, ignoreregex, prefregex, maxlines,
  datepattern, usedns, logencoding …): :meth:`Filter.process_chunk` (the fast
  path: one scan per chunk, exact work on candidate lines only),
  :meth:`Filter.process_line` / :meth:`Filter.process_lines` (exact path),
  :meth:`Filter.process_file` (a stream read in chunks);
  :meth:`Filter.from_definition` builds one from
  :class:`hyperban.config.FilterDefinition`; single-line filters on a Rust
  engine run their exact stage in Rust (``hyperban._core.FilterProgram``);
* :class:`MultiFilter` — several filters over one log in a single pass;
* :class:`LineResult`, :class:`Failure` — what was found;
* :class:`Regex`, :class:`FailRegex`, :func:`expand_tags` — fail2ban's tagged
  regexes;
* :class:`Address`, :class:`Resolver` — failure ids and ``usedns``;
* :func:`candidate_pattern` — the scan pattern of a failregex;
* :func:`read_chunks` — a log read as chunks of whole UTF-8 lines.
"""

from hyperban.filter.candidate import candidate_pattern, relaxed_pattern
from hyperban.filter.dns import Address, ExpiringCache, Resolver, normalize_usedns
from hyperban.filter.failure import Failure, LineResult
from hyperban.filter.filter import ChunkResult, Filter, FilterError
from hyperban.filter.multi import MultiFilter
from hyperban.filter.regex import FailRegex, Regex, RegexError, buffer_text
from hyperban.filter.source import DEFAULT_CHUNK_SIZE, normalize_encoding, read_chunks
from hyperban.filter.tags import expand_tags

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Address",
    "ChunkResult",
    "ExpiringCache",
    "FailRegex",
    "Failure",
    "Filter",
    "FilterError",
    "LineResult",
    "MultiFilter",
    "Regex",
    "RegexError",
    "Resolver",
    "buffer_text",
    "candidate_pattern",
    "expand_tags",
    "normalize_encoding",
    "normalize_usedns",
    "read_chunks",
    "relaxed_pattern",
]
