"""Scanning behaviour of every engine: records, offsets, hostile input, errors."""

from __future__ import annotations

import subprocess
import threading

import pytest

import hyperban._core as core
from hyperban.matcher import ENGINES, PatternError, compile_patterns

SSHD = [
    (
        10,
        r"sshd\[\d+\]: Failed password for (?:invalid user )?(?P<user>\S+) "
        r"from (?P<host>\S+) port \d+",
    ),
    (11, r"sshd\[\d+\]: Invalid user (?P<user>\S*) from (?P<host>\S+)"),
]
LOG = (
    b"Nov 14 22:13:20 h sshd[1]: Accepted publickey for bob from 10.0.0.9 port 1\n"
    b"Nov 14 22:13:21 h sshd[2]: Invalid user admin from 10.0.0.2 port 40\n"
    b"Nov 14 22:13:22 h sshd[2]: Failed password for invalid user admin "
    b"from 10.0.0.2 port 40 ssh2\n"
)


@pytest.mark.parametrize("engine", ENGINES)
def test_scan_returns_only_matching_lines(engine: str) -> None:
    matches, lines, limit_hits = compile_patterns(SSHD, engine=engine).scan(LOG)
    assert lines == 3
    assert limit_hits == 0
    assert matches == [
        (1, 75, 11, {"user": "admin", "host": "10.0.0.2"}),
        (2, 143, 10, {"user": "admin", "host": "10.0.0.2"}),
    ]
    assert LOG[75:].startswith(b"Nov 14 22:13:21")


@pytest.mark.parametrize("engine", ENGINES)
def test_hostile_input_never_raises(engine: str) -> None:
    matcher = compile_patterns(SSHD, engine=engine)
    garbage = bytes(range(256)) * 64
    huge = b"x" * (1 << 20)
    data = (
        garbage
        + b"\n\x00\x00sshd[7]: Invalid user \xff\xfe from 10.1.1.1\r\n"
        + huge
        + b"\n"
        + huge
        + b" sshd[8]: Invalid user big from 10.9.9.9"
    )
    matches, _, _ = matcher.scan(data)
    users = [(m[3]["user"], m[3]["host"]) for m in matches]
    assert users == [("\ufffd\ufffd", "10.1.1.1"), ("big", "10.9.9.9")]


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_pattern_names_pattern_and_position(engine: str) -> None:
    with pytest.raises(PatternError) as info:
        compile_patterns([(1, "ok"), (2, "bro(ken")], engine=engine)
    assert "bro(ken" in str(info.value)
    assert "position 3" in str(info.value)


def test_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown engine 'pcre'"):
        compile_patterns(SSHD, engine="pcre")


def test_catastrophic_backtracking_is_bounded() -> None:
    # Python's re takes exponential time here; PCRE2's match limit stops it
    # and the line counts as not matched (reported in limit_hits).
    matcher = compile_patterns([(1, r"^(a|aa)+$")], engine="hyperscan")
    matches, lines, limit_hits = matcher.scan(b"a" * 60 + b"b\naaa\n")
    assert lines == 2
    assert [m[0] for m in matches] == [1]
    assert limit_hits in (0, 1)  # JIT may prove the failure without hitting the limit


def test_scan_from_many_threads_gives_the_same_result() -> None:
    matcher = compile_patterns(SSHD, engine="hyperscan")
    expected = matcher.scan(LOG * 1000)
    results: list[object] = []

    def work() -> None:
        results.append(matcher.scan(LOG * 1000))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


def test_extension_links_hyperscan_and_pcre2_statically() -> None:
    out = subprocess.run(["ldd", core.__file__], check=True, capture_output=True, text=True).stdout
    assert "libhs" not in out
    assert "pcre2" not in out
    assert core.HYPERSCAN_VERSION


def test_raw_scan_counts_hyperscan_matches() -> None:
    matcher = compile_patterns(SSHD, engine="hyperscan")
    assert matcher.raw_scan(LOG) >= 2
    assert compile_patterns(SSHD, engine="regex").raw_scan(LOG) is None


def test_matches_sequence_reads_like_a_list() -> None:
    matches, _, _ = compile_patterns(SSHD, engine="hyperscan").scan(LOG * 3)
    expected = compile_patterns(SSHD, engine="python").scan(LOG * 3)[0]
    assert isinstance(matches, core.Matches)
    assert len(matches) == len(expected) == 6
    assert matches == expected and expected == matches
    assert matches.tolist() == expected == list(matches)
    assert matches[0] == expected[0] and matches[-1] == expected[-1]
    assert matches[1:5:2] == expected[1:5:2]
    assert matches[::-1] == expected[::-1]
    with pytest.raises(IndexError):
        matches[6]
    with pytest.raises(IndexError):
        matches[-7]
    assert matches != expected[:-1]
    assert repr(matches).startswith("Matches([(1, 75, 11, ")


def test_matches_iterators_are_independent() -> None:
    matches, _, _ = compile_patterns(SSHD, engine="hyperscan").scan(LOG)
    first, second = iter(matches), iter(matches)
    assert next(first)[0] == 1
    assert [m[0] for m in second] == [1, 2]
    assert [m[0] for m in first] == [2]
