from __future__ import annotations

import pytest

from hyperban.logwatch import LineFormat, LogPath, expand, parse_logpath


def test_utf8_is_passthrough() -> None:
    fmt = LineFormat.for_encoding("utf-8")
    assert (fmt.newline, fmt.unit, fmt.passthrough) == (b"\n", 1, True)
    assert fmt.whole_lines_end(b"a\nb\nc") == 4
    assert fmt.whole_lines_end(b"abc") == 0
    assert fmt.to_utf8(b"\xff\n") == b"\xff\n"  # the matcher repairs invalid UTF-8


def test_latin1_transcoded() -> None:
    fmt = LineFormat.for_encoding("latin-1")
    assert fmt.to_utf8("é\n".encode("latin-1")) == "é\n".encode()


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_wide_newlines_only_at_aligned_offsets(enc: str) -> None:
    fmt = LineFormat.for_encoding(enc)
    text = "a\u0a00b\nc\u0a0a\nd"  # U+0A00/U+0A0A contain a 0x0A byte
    raw = text.encode(enc)
    cut = fmt.whole_lines_end(raw)
    assert fmt.to_utf8(raw[:cut]) == "a\u0a00b\nc\u0a0a\n".encode()
    assert fmt.find(raw) == len("a\u0a00b".encode(enc))


def test_utf16_with_bom() -> None:
    fmt = LineFormat.for_encoding("utf-16")
    assert fmt.unit == 2
    raw = "x\ny\n".encode("utf-16")  # BOM + text
    assert fmt.whole_lines_end(raw) == len(raw)
    assert fmt.to_utf8(raw) == b"x\ny\n"


def test_first_line_start_at_or_after() -> None:
    fmt = LineFormat.for_encoding("utf-8")
    data = b"aa\nbb\ncc\n"
    assert fmt.first_line_start_at_or_after(data, 0) == 0
    assert fmt.first_line_start_at_or_after(data, 3) == 3
    assert fmt.first_line_start_at_or_after(data, 4) == 6  # mid-line: skip that line
    assert fmt.first_line_start_at_or_after(data, 99) == len(data)


def test_unknown_encoding() -> None:
    with pytest.raises(LookupError):
        LineFormat.for_encoding("no-such-codec")


def test_parse_logpath() -> None:
    lp = parse_logpath("/var/log/x.log tail")
    assert (lp.pattern, lp.tail) == ("/var/log/x.log", True)
    lp = parse_logpath("/var/log/x.log  HEAD")
    assert (lp.pattern, lp.tail) == ("/var/log/x.log", False)
    assert not parse_logpath("/var/log/*.log").tail
    assert parse_logpath("/var/log/*.log").is_glob
    with pytest.raises(ValueError, match="head' or 'tail"):
        parse_logpath("/var/log/my file.log")
    assert LogPath("/a/*/b.log").directory == "/a/*"


def test_expand(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "b.log").write_text("")
    (tmp_path / "a.log").write_text("")
    (tmp_path / "dangling.log").symlink_to(tmp_path / "nowhere")
    assert expand(str(tmp_path / "*.log")) == [str(tmp_path / "a.log"), str(tmp_path / "b.log")]
    missing = str(tmp_path / "missing.log")
    assert expand(missing) == [missing]  # a plain path is watched until it appears
