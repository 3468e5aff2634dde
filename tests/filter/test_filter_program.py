"""The Rust exact stage (``FilterProgram``) against the Python candidate path
on hand-made logs: ignoreregexes checked first, prefregex content, F-MLFID
sessions, lines without dates, dates fail2ban cannot convert, comments."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperban.filter import Filter
from hyperban.filter.dns import Address

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def make(failregex, ignoreregex=(), **kw):
    kw.setdefault("clock", lambda: NOW)
    kw.setdefault("logtimezone", "UTC")
    kw.setdefault("skip_comments", True)
    kw.setdefault("usedns", "no")
    return Filter(failregex, ignoreregex, **kw)


def outcome(flt: Filter, lines: list[str], chunk_lines: int = 3):
    data = [(line + "\n").encode() for line in lines]
    out = []
    counts = [0, 0, 0]
    first = 0
    for start in range(0, len(data), chunk_lines):
        result = flt.process_chunk(b"".join(data[start : start + chunk_lines]), first)
        first += result.lines
        counts[0] += result.lines - result.skipped
        counts[1] += result.prefregex_only
        counts[2] += result.limit_hits
        for r in result.results:
            counts[1] += r.prefregex_matched
            if r.failures or r.ignored_by or r.error:
                out.append(
                    (
                        r.number,
                        r.status,
                        r.tuple_line,
                        r.ignored_by,
                        r.error,
                        [(f.regex, f.id, f.time, f.fields(), f.matches) for f in r.failures],
                    )
                )
    return out, counts, flt.date_detector.template_hits(), flt._last_date


def both(lines, *args, chunk_lines: int = 3, **kw):
    fast = make(*args, **kw)
    assert fast._program is not None
    slow = make(*args, **kw)
    slow._program = None
    got = outcome(fast, lines, chunk_lines)
    assert got == outcome(slow, lines, chunk_lines)
    return got


FAILS = [
    r"^ a from <HOST>$",
    r"^ b from <HOST>$",
    r"^ c from <HOST>$",
    r"^ d from <HOST>$",
]


@pytest.mark.parametrize("check_all", [True, False])
def test_ignoreregex_first(check_all):
    flt = make(FAILS, [r"from 192\.0\.2\.9$"])
    assert flt._ignore_first
    out, counts, _, _ = both(
        [
            "2023-11-14 22:10:00 a from 192.0.2.9",
            "2023-11-14 22:10:01 b from 192.0.2.8",
            "2023-11-14 22:10:02 nothing from 192.0.2.7",
            "# 2023-11-14 22:10:03 c from 192.0.2.6",
            "",
            "2023-11-14 22:10:04 d from 192.0.2.5",
        ],
        FAILS,
        [r"from 192\.0\.2\.9$"],
        check_all=check_all,
    )
    assert [(o[0], o[1]) for o in out] == [(0, "ignored"), (1, "matched"), (5, "matched")]
    assert counts[0] == 4


@pytest.mark.parametrize("check_all", [True, False])
def test_ignoreregex_after_and_prefregex_content(check_all):
    out, counts, _, _ = both(
        [
            "2023-11-14 22:10:00 host sshd[1]: Invalid user x from 192.0.2.1",
            "2023-11-14 22:10:01 host sshd[2]: Invalid user y from 192.0.2.9",
            "2023-11-14 22:10:02 host sshd[3]: Accepted password for x from 192.0.2.1",
            "2023-11-14 22:10:03 host cron[4]: Invalid user z from 192.0.2.2",
        ],
        [r"^Invalid user \S+ from <HOST>$", r"^Invalid user <F-USER>\S+</F-USER> from <HOST>"],
        [r"192\.0\.2\.9"],
        prefregex=r"^ \S+ sshd\[\d+\]: <F-CONTENT>.+</F-CONTENT>$",
        check_all=check_all,
    )
    assert [(o[0], o[1]) for o in out] == [(0, "matched"), (1, "ignored")]
    assert counts[1] == 2  # prefregex hits on candidate lines


def test_mlfid_sessions_and_nofail():
    prefregex = r"^<F-MLFID> \S+ sshd\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$"
    fails = [
        r"^Failed password for <F-USER>\S+</F-USER> from <HOST>",
        r"^Accepted password for <F-USER>\S+</F-USER> from <HOST><F-NOFAIL></F-NOFAIL>",
        r"^Connection closed by <HOST><F-MLFFORGET></F-MLFFORGET>",
    ]
    lines = []
    for i in range(12):
        pid = i % 3
        head = f"2023-11-14 22:10:{i:02d} h sshd[{pid}]:"
        lines.append(f"{head} Failed password for u{i} from 192.0.2.{pid}")
        if i % 4 == 0:
            lines.append(f"{head} Accepted password for u{i} from 192.0.2.{pid}")
        if i % 5 == 0:
            lines.append(f"{head} Connection closed by 192.0.2.{pid}")
    for check_all in (True, False):
        out, _, _, _ = both(lines, fails, prefregex=prefregex, check_all=check_all)
        assert out


def test_lines_without_date_carry_the_last_one(caplog):
    lines = [
        "2023-11-14 22:12:50 a from 192.0.2.1",
        " a from 192.0.2.2",
        "[no date] b from 192.0.2.3",
        "2023-11-14 20:00:00 c from 192.0.2.4",
        " d from 192.0.2.5",
    ]
    with caplog.at_level(logging.WARNING):
        out, _, hits, last = both(lines, FAILS, chunk_lines=2)
    assert [o[0] for o in out] == [0, 1, 3, 4]
    assert out[3][5][0][2] is None  # the last date is too old to carry
    assert out[1][2] == ("", "2023-11-14 22:12:50", " a from 192.0.2.2")
    assert last == NOW - 8000  # 20:00:00
    assert any(n for _, n in hits)


def test_unconvertible_and_invalid_dates(caplog):
    lines = [
        "Nov 14 22:10:00 XYZ host: a from 192.0.2.1",
        "2023-02-30 22:10:00 a from 192.0.2.2",
        "Nov 14 22:10:01 UTC host: a from 192.0.2.3",
    ]
    with caplog.at_level(logging.ERROR):
        out, _, _, _ = both(
            lines,
            [r"host: a from <HOST>$", r"^ a from <HOST>$"],
            datepattern="^%b %d %H:%M:%S %Exz\n^%Y-%m-%d %H:%M:%S",
        )
    assert out[0][4] is not None  # unknown zone: fail2ban skips the line
    assert out[1][2] == ("", "2023-02-30 22:10:00", " a from 192.0.2.2")  # no valid date
    assert "failed to parse timeText" in caplog.text


def test_program_arguments_are_checked():
    from hyperban._core import DateDetector, FilterProgram, MultiProgram, PatternSet

    scan = PatternSet([(0, r"from (?P<ip4>\S+)")])
    fail = PatternSet([(1, r"from (?P<ip4>\S+)")], "regex")
    dd = DateDetector(None, "UTC", NOW)
    kw = dict(
        ignore_count=0,
        has_prefregex=False,
        ignore_first=False,
        skip_comments=True,
        address_of=Address.of,
    )
    program = FilterProgram(scan, None, fail, dd, fail_count=1, folds=[([], [])], **kw)
    with pytest.raises(ValueError, match="fail set"):
        FilterProgram(scan, None, fail, dd, fail_count=2, folds=[([], [])] * 2, **kw)
    with pytest.raises(ValueError, match="fold"):
        FilterProgram(scan, None, fail, dd, fail_count=1, folds=[], **kw)
    kw["folds"] = [([], [])]
    with pytest.raises(ValueError, match="scan ids"):
        FilterProgram(PatternSet([(5, "x")]), None, fail, dd, fail_count=1, **kw)
    with pytest.raises(ValueError, match="prefregex"):
        FilterProgram(scan, None, fail, dd, fail_count=1, **{**kw, "has_prefregex": True})
    with pytest.raises(ValueError):
        MultiProgram(PatternSet([(7 << 21, "x")]), [program])
    with pytest.raises(ValueError, match="one carry per filter"):
        MultiProgram(PatternSet([(0, "from")]), [program]).run(b"a from b\n", NOW, [])
    settings = (False, True, False, False, False, 600.0, NOW, True)
    run = program.run(b"2023-11-14 22:10:00 a from 192.0.2.1\n", NOW, None, "", settings)
    assert run[:5] == (False, 1, 1, 0, 0)
    line = run[5][0]
    assert line[:3] == (
        0,
        "2023-11-14 22:10:00 a from 192.0.2.1",
        ("", "2023-11-14 22:10:00", " a from 192.0.2.1"),
    )
    # one failure of failregex 0: its data, then "Address.of(text, cidr)" (kind 1)
    [(regex, _when, data, kind, text, cidr)] = line[3]
    assert (regex, kind, text, cidr) == (0, 1, "192.0.2.1", -4)
    assert data["ip4"] == "192.0.2.1" and data["matches"] == [line[2]]
    with pytest.raises(TypeError):
        program.run(b"a from b\n", NOW, None, "")  # the settings are required


def test_staged_chunks_with_dates_ahead_and_a_tally():
    """The regex tool's pipeline: each chunk scanned with its dates
    (``scan_stage(dates=True)``), run without touching the detector, its
    outcomes accounted by the tally in the run, and finished: the same
    results, tally and carry as whole chunks processed one by one."""
    from hyperban._core import ToolTally

    lines = [
        "2023-11-14 22:12:50 a from 192.0.2.1",
        " b from 192.0.2.2",  # carries the date of the chunk before
        "[no date] c from 192.0.2.3",
        "2023-11-14 20:00:00 d from 192.0.2.4",
        " a from 192.0.2.5",
        "2023-11-14 22:12:55 nothing",
    ]
    chunks = [("\n".join(lines[i : i + 2]) + "\n").encode() for i in range(0, len(lines), 2)]

    def tally() -> ToolTally:
        return ToolTally(len(FAILS), 0, list_matched=True, keep_ignored=None)

    plain = make(FAILS)
    plain.tally = tally()
    expected = [plain.process_chunk(chunk) for chunk in chunks]

    staged = make(FAILS)
    staged.tally = tally()
    scans = [staged.scan_stage(chunk, dates=True) for chunk in chunks[:2]]
    assert all(scan.has_dates for scan in scans)
    # (the scans ran ahead: the carry is the one after the second chunk)
    assert staged._last_date == NOW - 8000
    runs = [staged.run_stage(chunk, scan) for chunk, scan in zip(chunks[:2], scans, strict=True)]
    got = [staged.finish_stage(run, chunk, 0) for run, chunk in zip(runs, chunks[:2], strict=True)]
    got.append(staged.process_chunk(chunks[2]))  # no dates ahead: the run finds them
    assert staged._last_date == plain._last_date
    assert [(r.lines, r.prefregex_only) for r in got] == [
        (r.lines, r.prefregex_only) for r in expected
    ]
    assert [[x.number for x in r.results] for r in got] == [
        [x.number for x in r.results] for r in expected
    ]
    assert staged.tally.counts() == plain.tally.counts()
    assert staged.tally.counts()[0] > 0  # (not two empty tallies)
    assert staged.tally.matches_json([]) == plain.tally.matches_json([])


def test_a_share_of_lines_to_evaluate_ahead_is_between_0_and_1():
    flt = make(FAILS)
    chunk = b"2023-11-14 22:12:50 a from 192.0.2.1\n"
    for share in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="between 0 and 1"):
            flt.scan_stage(chunk, dates=True, evaluate=share)
    assert flt.scan_stage(chunk, dates=True, evaluate=1.0).has_dates


def test_evaluating_meanwhile_goes_on_from_the_share_and_stops_at_the_run():
    chunk = b"".join(b"2023-11-14 22:12:5%d a from 192.0.2.%d\n" % (i, i) for i in range(6))
    flt = make(FAILS)
    scan = flt.scan_stage(chunk, dates=True, evaluate=0.5)
    assert scan.evaluated == 3
    assert flt.evaluate_meanwhile(chunk, scan) == 3
    assert scan.evaluated == 6
    assert flt.evaluate_meanwhile(chunk, scan) == 0  # (nothing left)
    expected = make(FAILS).process_chunk(chunk)
    got = flt.finish_stage(flt.run_stage(chunk, scan), chunk, 0)
    assert scan.evaluated == 0  # (the run took them)
    assert flt.evaluate_meanwhile(chunk, scan) == 0  # (and none can be added)
    assert [(x.number, x.failures, x.ignored_by) for x in got.results] == [
        (x.number, x.failures, x.ignored_by) for x in expected.results
    ]
    assert len(got.results) == 6
    with pytest.raises(ValueError, match="without dates"):
        flt.evaluate_meanwhile(chunk, flt.scan_stage(chunk))
    with pytest.raises(ValueError, match="another chunk"):
        flt.evaluate_meanwhile(chunk + chunk, flt.scan_stage(chunk, dates=True))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=40).map(lambda b: bytes(b"#\n\r a"[x % 5] for x in b)))
def test_count_skipped_counts_comment_and_empty_lines(data: bytes):
    """fail2ban neither processes nor counts comment lines and empty lines (a
    line of ``\\r`` is empty); a final ``\\n`` ends the last line."""
    from hyperban._core import count_skipped

    body = data[:-1] if data.endswith(b"\n") else data
    lines = body.split(b"\n")
    assert count_skipped(data) == sum(
        1 for line in lines if line.startswith(b"#") or not line.strip(b"\r")
    )
