"""The filter's line semantics, the fast path and bad input."""

from __future__ import annotations

import io
import os
import tempfile
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperban.filter import Filter, FilterError, read_chunks
from hyperban.filter.dns import Resolver

ENGINES = ["hyperscan", "regex", "python"]
NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def make(failregex, ignoreregex=(), **kw):
    kw.setdefault("clock", lambda: NOW)
    kw.setdefault("logtimezone", "UTC")
    return Filter(failregex, ignoreregex, **kw)


def chunk_results(flt, lines):
    data = "".join(line + "\n" for line in lines).encode()
    return {r.number: r for r in flt.process_chunk(data).results}


@pytest.mark.parametrize("engine", ENGINES)
def test_basic_match_id_time_fields(engine):
    flt = make(
        [r"^ Failed password for <F-USER>\S+</F-USER> from <HOST> port \d+$"],
        engine=engine,
        usedns="no",
    )
    out = chunk_results(
        flt,
        [
            "2023-11-14 10:00:00 host sshd[1]: noise",
            "2023-11-14 10:00:01 Failed password for bob from 192.0.2.5 port 22",
            "2023-11-14 10:00:02 Failed password for eve from 2001:DB8::7 port 22",
        ],
    )
    assert sorted(out) == [1, 2]
    (f1,), (f2,) = out[1].failures, out[2].failures
    assert (f1.id, f1.data["user"], f1.time) == ("192.0.2.5", "bob", 1699956001.0)
    assert f2.id == "2001:db8::7"
    assert out[1].status == "matched"


@pytest.mark.parametrize("engine", ENGINES)
def test_prefregex_content_and_ignoreregex(engine):
    flt = make(
        [r"^Invalid user <F-USER>\S+</F-USER> from <HOST>", r"^Bad guy <HOST>"],
        [r"from 192\.0\.2\.99"],
        prefregex=r"^\s*\S+ sshd\[\d+\]: <F-CONTENT>.+</F-CONTENT>$",
        engine=engine,
        check_all=True,
    )
    out = chunk_results(
        flt,
        [
            "Nov 14 10:00:00 host sshd[1]: Invalid user a from 192.0.2.1",
            "Nov 14 10:00:00 host cron[1]: Invalid user a from 192.0.2.1",
            "Nov 14 10:00:00 host sshd[1]: Invalid user a from 192.0.2.99",
        ],
    )
    assert [f.id for f in out[0].failures] == ["192.0.2.1"]
    assert out[0].prefregex_matched
    assert 1 not in out or not out[1].failures
    assert out[2].status == "ignored" and out[2].ignored_by == [0]


def test_nofail_and_multiline_id():
    flt = make(
        [
            r"^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>",
            r"^Failed \S+ for <F-USER>\S+</F-USER>",
            r"^<F-MLFFORGET>Disconnected</F-MLFFORGET>",
        ],
        prefregex=r"^\s*\S+ (?P<mlfid>sshd\[\d+\]): <F-CONTENT>.+</F-CONTENT>$",
        check_all=True,
    )
    out = chunk_results(
        flt,
        [
            "Nov 14 10:00:00 h sshd[7]: Connection from 192.0.2.3",
            "Nov 14 10:00:01 h sshd[7]: Failed password for root",
            "Nov 14 10:00:02 h sshd[7]: Failed password for admin",
            "Nov 14 10:00:03 h sshd[7]: Disconnected",
        ],
    )
    assert out[0].status == "ignored"  # nofail
    assert [f.id for f in out[1].found] == ["192.0.2.3"]  # id from the session
    assert out[2].found[0].data["users"] == {"root", "admin"}
    # the nofail line is part of the first failure; later ones start afresh
    assert len(out[1].found[0].data["matches"]) == 2
    assert len(out[2].found[0].data["matches"]) == 1
    # MLFFORGET without NOFAIL is a failure too, and ends the session
    assert [f.id for f in out[3].found] == ["192.0.2.3"]
    assert flt._mlfid_cache.get("sshd[7]") is None


def test_multiline_buffer_and_skiplines():
    flt = make(
        [
            r"^.* sshd\[(?P<pid>\d+)\]: Connection from <HOST><SKIPLINES>^.* sshd\[(?P=pid)\]: "
            r"Failed password"
        ],
        maxlines=5,
        check_all=True,
    )
    out = chunk_results(
        flt,
        [
            "Nov 14 10:00:00 h sshd[7]: Connection from 192.0.2.3",
            "Nov 14 10:00:00 h cron[9]: unrelated",
            "Nov 14 10:00:01 h sshd[7]: Failed password",
        ],
    )
    failure = out[2].failures[0]
    assert failure.id == "192.0.2.3"
    assert len(failure.data["matches"]) == 2  # the unrelated line was skipped
    assert out[2].absorbed == [0]


def test_usedns_modes():
    resolver = Resolver(lambda name: ["192.0.2.77"] if name == "bad.example" else [])
    lines = ["2023-11-14 10:00:00 Attack from bad.example"]
    for usedns, ids in (
        ("yes", ["192.0.2.77"]),
        ("warn", ["192.0.2.77"]),
        ("no", []),
        ("raw", ["bad.example"]),
    ):
        flt = make([r"Attack from <HOST>"], usedns=usedns, resolver=resolver)
        found = chunk_results(flt, lines)
        assert [f.id for r in found.values() for f in r.found] == ids, usedns


def test_logencoding_latin1():
    flt = make([r"^ Failed for (?P<user>\S+) from <HOST>$"], logencoding="latin-1")
    raw = "2023-11-14 10:00:00 Failed for jos\u00e9 from 192.0.2.8\n".encode("latin-1")
    chunks = list(read_chunks(io.BytesIO(raw), "latin-1"))
    assert chunks == ["2023-11-14 10:00:00 Failed for jos\u00e9 from 192.0.2.8\n".encode()]
    (result,) = flt.process_chunk(chunks[0]).results
    assert result.failures[0].data["user"] == "jos\u00e9"


def test_read_chunks_cut_at_lines_and_incomplete_tail():
    data = b"a\nbb\n" + b"x" * 100 + b"\ntail"
    chunks = list(read_chunks(io.BytesIO(data), "utf-8", chunk_size=4))
    assert b"".join(chunks) == data[: data.rfind(b"\n") + 1]
    assert all(c.endswith(b"\n") for c in chunks)
    assert list(read_chunks(io.BytesIO(b"tail"), "utf-8", incomplete=True)) == [b"tail\n"]


@given(
    lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=12),
    tail=st.binary(max_size=6).map(lambda b: b.replace(b"\n", b"")),
    chunk_size=st.integers(1, 20),
    incomplete=st.booleans(),
)
def test_read_chunks_are_the_whole_lines_in_order(lines, tail, chunk_size, incomplete):
    data = b"".join(line + b"\n" for line in lines) + tail
    chunks = list(read_chunks(io.BytesIO(data), "utf-8", chunk_size, incomplete))
    assert all(c.endswith(b"\n") for c in chunks)
    # each chunk of whole lines holds at least chunk_size bytes, but the last
    whole = chunks[:-1] if incomplete and tail else chunks
    assert all(len(c) >= chunk_size for c in whole[:-1])
    expected = data[: data.rfind(b"\n") + 1]
    if incomplete and tail:
        expected += tail + b"\n"
    assert b"".join(chunks) == expected


@given(
    lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=12),
    tail=st.binary(max_size=6).map(lambda b: b.replace(b"\n", b"")),
    chunk_size=st.integers(1, 20),
    incomplete=st.booleans(),
    skip=st.integers(0, 8),
)
def test_read_chunks_of_a_file_equal_those_of_the_stream(lines, tail, chunk_size, incomplete, skip):
    # A regular file is read with pread at the chunks' offsets; a pipe or an
    # in-memory stream with read and readline.  Both must cut the same chunks,
    # also from a stream already read into, and leave the position at the end.
    data = b"".join(line + b"\n" for line in lines) + tail
    skip = min(skip, len(data))
    with tempfile.TemporaryFile() as fh:
        fh.write(data)
        fh.seek(0)
        fh.read(skip)
        chunks = list(read_chunks(fh, "utf-8", chunk_size, incomplete))
        assert fh.tell() == len(data)
    stream = io.BytesIO(data)
    stream.read(skip)
    assert chunks == list(read_chunks(stream, "utf-8", chunk_size, incomplete))


def test_read_chunks_of_a_file_find_line_ends_past_the_edge_read(tmp_path):
    # lines longer than one read at a chunk's edge, and a file without a
    # last line end
    data = b"a" * 10_000 + b"\n" + b"b\n" + b"c" * 9_000
    path = tmp_path / "long.log"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        assert list(read_chunks(fh, "utf-8", chunk_size=3)) == [b"a" * 10_000 + b"\n", b"b\n"]
    with open(path, "rb") as fh:
        chunks = list(read_chunks(fh, "utf-8", chunk_size=3, incomplete=True))
    assert chunks[-1] == b"c" * 9_000 + b"\n"


def test_read_chunks_of_a_pipe():
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as out:
        out.write(b"one\ntwo\nthr")
    with os.fdopen(read_end, "rb") as fh:
        assert list(read_chunks(fh, "utf-8", chunk_size=2, incomplete=True)) == [
            b"one\n",
            b"two\n",
            b"thr\n",
        ]


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_input_never_crashes(engine):
    flt = make([r"Failed from <HOST>"], engine=engine, skip_comments=True)
    garbage = bytes(range(256)) * 50
    data = (
        b"2023-11-14 10:00:00 Failed from 192.0.2.1\x00 with NUL\n"
        + b"\xff\xfe\xfa invalid utf-8 Failed from 192.0.2.2\n"
        + garbage.replace(b"\n", b" ")
        + b"\n"
        + b"y" * (1 << 20)
        + b" Failed from 192.0.2.3\n"
        + b"# comment Failed from 192.0.2.4\n\n\r\n"
    )
    result = flt.process_chunk(data)
    assert result.lines == 7 and result.skipped == 3
    ids = [f.id for r in result.results for f in r.found]
    assert ids == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]


@pytest.mark.parametrize("engine", ["hyperscan", "regex"])
def test_catastrophic_regex_stays_bounded(engine):
    # Python's re needs ~2**30 steps for this line; PCRE2's match limit stops it.
    flt = make([r"^(?:a+)+b (?P<fid>\S+)$"], engine=engine, datepattern="{NONE}")
    line = "a" * 40 + "!b x"  # a candidate line (contains "b x") that does not match
    start = time.monotonic()
    result = flt.process_chunk((line + "\n").encode() * 3)
    assert time.monotonic() - start < 20
    assert not any(r.failures for r in result.results)
    assert result.limit_hits == 3  # counted as "no match", and reported


def test_filter_errors():
    with pytest.raises(FilterError, match="No failure-id"):
        make([r"no id"])
    with pytest.raises(FilterError) as info:
        make([r"ok <HOST>", r"bad (<HOST>"])
    assert info.value.source == "bad (<HOST>"
    with pytest.raises(FilterError, match="maxlines"):
        make([r"<HOST>"], maxlines=0)
    with pytest.raises(FilterError, match="logencoding"):
        make([r"<HOST>"], logencoding="no-such-codec")


def test_fast_path_equals_exact_path_on_generated_log():
    from hyperban.bench.genlog import generate
    from hyperban.config import read_filter

    text = "".join(line + "\n" for line in generate("auth", lines=3000, attack_ratio=0.2, seed=3))
    data = text.encode()
    definition = read_filter("sshd")
    fast = Filter.from_definition(definition, check_all=True)
    exact = Filter.from_definition(definition, check_all=True, one_pass=False)

    def sig(flt):
        return [
            (r.number, [(f.regex, f.id, f.time) for f in r.failures], r.ignored_by)
            for r in flt.process_chunk(data).results
            if r.failures or r.ignored_by
        ]

    assert sig(fast) == sig(exact)
