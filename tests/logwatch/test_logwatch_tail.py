"""FileTail driven by hand (no thread): every case is deterministic."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

from hyperban.logwatch import FileTail, LineFormat
from hyperban.server.database import first_line_hash


class Sink:
    """Collects emits: (generation, offset, bytes)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, bytes]] = []

    def __call__(self, gen: int, off: int, data: bytes) -> None:
        self.calls.append((gen, off, data))

    @property
    def data(self) -> bytes:
        return b"".join(c[2] for c in self.calls)


def append(path: Path, data: str | bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    p = tmp_path / "test.log"
    p.write_bytes(b"")
    return p


def make(path: Path, **kw: object) -> FileTail:
    return FileTail(str(path), rotate_grace=0.0, **kw)  # type: ignore[arg-type]


def test_append_and_partial_lines(log: Path) -> None:
    t, s = make(log), Sink()
    append(log, "one\ntw")
    assert t.poll(s)
    assert s.calls == [(0, 0, b"one\n")]
    assert t.pos == 4
    assert not t.poll(s)  # partial line waits for its newline
    append(log, "o\nthree")
    t.poll(s)
    assert s.data == b"one\ntwo\n"
    append(log, "\n")
    t.poll(s)
    assert s.data == b"one\ntwo\nthree\n"
    assert s.calls[-1][:2] == (0, 8)  # offsets are byte offsets in the file
    t.close()


def test_big_chunks_of_whole_lines(log: Path) -> None:
    lines = [f"line {i:05d}\n".encode() for i in range(1000)]
    append(log, b"".join(lines))
    t, s = make(log, chunk_size=1000), Sink()
    t.poll(s)
    assert s.data == b"".join(lines)
    assert all(c[2].endswith(b"\n") for c in s.calls)
    assert len(s.calls) == 11  # ~1000 bytes each, not one call per line
    t.close()


def test_line_longer_than_chunk(log: Path) -> None:
    append(log, "x" * 5000 + "\nshort\n")
    t, s = make(log, chunk_size=512), Sink()
    t.poll(s)
    assert s.data == b"x" * 5000 + b"\nshort\n"
    t.close()


def test_hash_matches_database(log: Path) -> None:
    append(log, "first line\nsecond\n")
    t = make(log)
    t.poll(Sink())
    assert t.hash == first_line_hash(log) != ""
    t.close()


def test_rename_and_create(log: Path) -> None:
    t, s = make(log), Sink()
    append(log, "a1\na2\n")
    t.poll(s)
    old = log.with_suffix(".log.1")
    os.rename(log, old)
    append(old, "a3\n")  # the writer has not reopened yet
    append(log, "b1\n")  # ... then it does
    append(old, "a4 unfinished")
    t.poll(s)
    # the old file is read to its end before the new one; its unfinished line is
    # emitted (completed) when the old file is closed
    assert s.data == b"a1\na2\na3\nb1\na4 unfinished\n"
    assert (1, 0, b"b1\n") in s.calls  # the new file: generation 1, from its start
    assert s.calls[-1][:2] == (0, 9)  # the old file's last line, at its offset there
    assert t.open_files() == 1  # grace 0: the old file is closed
    t.close()


def test_rotated_file_drained_during_grace(log: Path) -> None:
    t, s = FileTail(str(log), rotate_grace=3600), Sink()
    append(log, "a1\n")
    t.poll(s)
    old = log.with_suffix(".log.1")
    os.rename(log, old)
    append(log, "b1\n")
    t.poll(s)
    append(old, "a2 late\n")  # written after we switched: still read
    append(log, "b2\n")
    t.poll(s)
    assert sorted(s.data.splitlines()) == [b"a1", b"a2 late", b"b1", b"b2"]
    assert t.open_files() == 2
    t.close(s)
    assert t.open_files() == 0


def test_copytruncate_shrunk(log: Path) -> None:
    t, s = make(log), Sink()
    append(log, "a1\na2\na3\n")
    t.poll(s)
    os.truncate(log, 0)
    append(log, "b1\n")
    t.poll(s)
    assert s.data == b"a1\na2\na3\nb1\n"
    assert s.calls[-1][:2] == (1, 0)
    t.close()


def test_copytruncate_regrown_past_position(log: Path) -> None:
    t, s = make(log), Sink()
    append(log, "a1\n")
    t.poll(s)
    os.truncate(log, 0)
    append(log, "b1 longer than before\nb2\n")  # bigger than our position: size can't tell
    t.poll(s)
    assert s.data == b"a1\nb1 longer than before\nb2\n"
    t.close()


@pytest.mark.parametrize("first", ["a1 longer\n", "a\n", "a2\n"])
def test_copytruncate_regrown_with_a_first_line_like_the_old_one(log: Path, first: str) -> None:
    # The old first line's bytes are compared with what is now at its place: a new
    # first line that extends it, is shorter, or differs in one byte is seen.
    t, s = make(log), Sink()
    append(log, "a1\n")
    t.poll(s)
    os.truncate(log, 0)
    append(log, first + "b2 makes it bigger than our position\n")
    t.poll(s)
    assert s.data == b"a1\n" + first.encode() + b"b2 makes it bigger than our position\n"
    assert t.hash == hashlib.sha1(first.encode(), usedforsecurity=False).hexdigest()
    t.close()


@pytest.mark.parametrize("chunk_size", [1 << 20, 150_000])
def test_reads_return_what_is_there_up_to_the_chunk_size(log: Path, chunk_size: int) -> None:
    # A read asks for what the last stat saw plus some slack; when the file grew past
    # that since the stat, it still returns all of it, up to chunk_size.
    t, s = make(log, chunk_size=chunk_size), Sink()
    append(log, "a1\n")
    t.poll(s)
    cur = t._cur
    assert cur is not None
    grown = b"x" * 99 + b"\n"
    append(log, grown * 2000)  # 200 kB, more than the slack
    cur.size = cur.pos + 100  # as if the stat had seen only the first new line
    assert t._pread(cur, cur.pos) == (grown * 2000)[:chunk_size]
    t.poll(s)
    assert s.data == b"a1\n" + grown * 2000
    t.close()


def test_truncate_drops_partial_line(log: Path) -> None:
    t, s = make(log), Sink()
    append(log, "a1\npartial")
    t.poll(s)
    os.truncate(log, 0)
    append(log, "b1\n")
    t.poll(s)
    assert s.data == b"a1\nb1\n"  # the cut partial line is gone with the data
    t.close()


def test_delete_and_recreate(log: Path, caplog: pytest.LogCaptureFixture) -> None:
    t, s = make(log), Sink()
    append(log, "a1\n")
    t.poll(s)
    os.unlink(log)
    with caplog.at_level(logging.INFO, "hyperban.logwatch.tail"):
        for _ in range(5):
            t.poll(s)
        assert t.problem is not None and t.inode is None
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1  # one line per outage, not one per poll
        append(log, "b1\n")
        t.poll(s)
    assert t.problem is None
    assert "readable again" in caplog.text
    assert s.data == b"a1\nb1\n"
    t.close()


def test_unreadable_replaced_by_directory(log: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Tests run as root, so chmod 000 would not stop us: a directory does.
    t, s = make(log), Sink()
    append(log, "a1\n")
    t.poll(s)
    os.unlink(log)
    os.mkdir(log)
    with caplog.at_level(logging.WARNING, "hyperban.logwatch.tail"):
        for _ in range(5):
            assert not t.poll(s)
    assert len(caplog.records) == 1
    assert "not a regular file" in caplog.text
    os.rmdir(log)
    append(log, "b1\n")
    t.poll(s)
    assert s.data == b"a1\nb1\n"
    t.close()


def test_renamed_away_and_back_continues(log: Path) -> None:
    t, s = FileTail(str(log), rotate_grace=3600), Sink()
    append(log, "a1\n")
    t.poll(s)
    away = log.with_suffix(".away")
    os.rename(log, away)
    t.poll(s)
    os.rename(away, log)
    append(log, "a2\n")
    t.poll(s)
    assert s.data == b"a1\na2\n"  # same inode back: no re-read from 0
    t.close()


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("same", b"a3\n"),  # hash matches: continue at the stored position
        # stored by an earlier hyperban (MD5): still this file
        ("legacy-md5", b"a3\n"),
        ("other", b"a1\na2\na3\n"),  # rotated while we were down: from the start
        ("other-md5", b"a1\na2\na3\n"),
        ("beyond", b"a1\na2\na3\n"),  # file shorter than the position: from the start
    ],
)
def test_resume(log: Path, stored: str, expected: bytes) -> None:
    append(log, "a1\na2\na3\n")
    h = first_line_hash(log)
    md5 = hashlib.md5(b"a1\n", usedforsecurity=False).hexdigest()
    resume = {
        "same": (h, 6),
        "legacy-md5": (md5, 6),
        "other": ("0" * 40, 6),
        "other-md5": ("0" * 32, 6),
        "beyond": (h, 999),
    }[stored]
    t, s = make(log, resume=resume), Sink()
    t.poll(s)
    assert s.data == expected
    t.close()


def test_at_end_skips_existing_lines(log: Path) -> None:
    append(log, "old1\nold2\nbeing writ")
    t, s = make(log, at_end=True), Sink()
    t.poll(s)
    assert s.data == b""
    append(log, "ten\nnew\n")
    t.poll(s)
    assert s.data == b"being written\nnew\n"  # the line in progress is new
    t.close()


@pytest.mark.parametrize("enc", ["latin-1", "utf-16-le", "utf-16"])
def test_logencoding(log: Path, enc: str) -> None:
    fmt = LineFormat.for_encoding(enc)
    t, s = make(log, fmt=fmt), Sink()
    append(log, "héllo\nwörld\npar".encode(enc))
    t.poll(s)
    append(log, "t\n".encode(enc if enc != "utf-16" else "utf-16-le"))
    t.poll(s)
    assert fmt.to_utf8(s.calls[0][2]) == "héllo\nwörld\n".encode()
    assert fmt.to_utf8(s.calls[1][2]) == b"part\n"
    t.close()


def test_close_releases_fds(log: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    t = FileTail(str(log), rotate_grace=3600)
    append(log, "a\n")
    t.poll(Sink())
    os.rename(log, log.with_suffix(".1"))
    append(log, "b\n")
    t.poll(Sink())
    assert t.open_files() == 2
    t.close()
    assert len(os.listdir("/proc/self/fd")) == before
