"""Framing, limits and reply encoding of both dialects."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
from typing import Any

import pytest
from control_helpers import SYSTEM_PYTHON, have_fail2ban

from hyperban.control.protocol import (
    F2B_CLOSE,
    F2B_END,
    BadFrame,
    CloseFrame,
    ErrorInfo,
    FrameDecoder,
    ProtocolError,
    Request,
    decode_json_reply,
    encode_json_request,
    encode_reply,
    to_plain,
)


def _feed_bytewise(decoder: FrameDecoder, data: bytes) -> list[Any]:
    events: list[Any] = []
    for i in range(len(data)):
        events += decoder.feed(data[i : i + 1])
    return events


# --- JSON lines ---------------------------------------------------------------


def test_json_request_round_trip_in_any_chunking() -> None:
    data = encode_json_request(["status", "sshd"]) + encode_json_request(["ping"])
    assert data.count(b"\n") == 2
    whole = FrameDecoder().feed(data)
    assert whole == [Request("json", ["status", "sshd"]), Request("json", ["ping"])]
    assert _feed_bytewise(FrameDecoder(), data) == whole


def test_json_newlines_inside_strings_stay_in_one_line() -> None:
    data = encode_json_request(["set", "sshd", "addignoreip", "a\nb"])
    assert data.count(b"\n") == 1
    assert FrameDecoder().feed(data) == [Request("json", ["set", "sshd", "addignoreip", "a\nb"])]


def test_json_bad_line_is_not_fatal() -> None:
    dec = FrameDecoder()
    events = dec.feed(b'{"cmd": [1,\n{"nocmd": 1}\n{"cmd": "notalist"}\n\n{"cmd": ["ping"]}\n')
    assert [type(e) for e in events] == [BadFrame, BadFrame, BadFrame, Request]
    assert not any(e.fatal for e in events[:3])
    assert events[3].command == ["ping"]


def test_json_deep_nesting_is_a_bad_frame() -> None:
    events = FrameDecoder().feed(b'{"cmd": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    assert isinstance(events[0], BadFrame)


@pytest.mark.parametrize("newline", [True, False])
def test_json_oversized_is_fatal(newline: bool) -> None:
    dec = FrameDecoder(max_json=100)
    body = b'{"cmd": ["' + b"x" * 200 + b'"]}' + (b"\n" if newline else b"")
    events = dec.feed(body)
    assert len(events) == 1 and isinstance(events[0], BadFrame) and events[0].fatal
    assert "too large" in events[0].message
    assert dec.feed(encode_json_request(["ping"])) == []  # dead after a fatal frame


def test_json_request_at_the_limit_is_accepted() -> None:
    line = encode_json_request(["echo", "x" * 50])
    dec = FrameDecoder(max_json=len(line) - 1)  # the limit excludes the newline
    assert isinstance(dec.feed(line)[0], Request)


@pytest.mark.parametrize("first", [b"\x00", b"GET / HTTP/1.0\r\n", b" {", b"\xff\xfe"])
def test_unknown_first_byte_is_fatal(first: bytes) -> None:
    events = FrameDecoder().feed(first)
    assert isinstance(events[0], BadFrame) and events[0].fatal and events[0].mode == "json"


def test_json_replies() -> None:
    ok = encode_reply("json", (0, [("Number of jail", 1), ("Jail list", "sshd")]))
    assert ok.endswith(b"\n") and ok.count(b"\n") == 1
    assert decode_json_reply(ok) == (0, [["Number of jail", 1], ["Jail list", "sshd"]])
    err = encode_reply("json", (1, ErrorInfo("UnknownJail", ("sshd",), "no such jail")))
    assert decode_json_reply(err) == (1, ErrorInfo("UnknownJail", ("sshd",), "no such jail"))
    assert json.loads(err)["error"]["type"] == "UnknownJail"


@pytest.mark.parametrize("line", [b"nope", b"[]", b'{"ok": false}', b'{"ok": false, "error": 1}'])
def test_json_bad_replies(line: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_json_reply(line)


# --- fail2ban pickle --------------------------------------------------------------


def _stock_frame(command: list[Any]) -> bytes:
    # What fail2ban's client sends: a pickle (highest protocol), then the marker.
    return pickle.dumps(command, pickle.HIGHEST_PROTOCOL) + F2B_END


def test_pickle_frames_in_any_chunking() -> None:
    data = _stock_frame(["status"]) + _stock_frame(["ping", 0.1]) + F2B_CLOSE + F2B_END
    whole = FrameDecoder().feed(data)
    assert whole == [
        Request("pickle", ["status"]),
        Request("pickle", ["ping", 0.1]),
        CloseFrame("pickle"),
    ]
    assert _feed_bytewise(FrameDecoder(), data) == whole


def test_pickle_marker_split_at_every_position() -> None:
    frame = _stock_frame(["status", "sshd"])
    for cut in range(1, len(frame)):
        dec = FrameDecoder()
        assert dec.feed(frame[:cut]) == []
        assert dec.feed(frame[cut:]) == [Request("pickle", ["status", "sshd"])]


def test_pickle_malicious_frame_is_refused_and_stream_goes_on(tmp_path: Any) -> None:
    marker = tmp_path / "pwned"
    evil = b"\x80\x02cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR." + F2B_END
    events = FrameDecoder().feed(evil + _stock_frame(["ping"]))
    assert isinstance(events[0], BadFrame) and not events[0].fatal
    assert "forbidden global" in events[0].message
    assert events[1] == Request("pickle", ["ping"])
    assert not marker.exists()


def test_protocol_0_pickle_is_not_taken_for_the_stock_client() -> None:
    # The stock client always writes protocol >= 2 (first byte PROTO, 0x80).
    events = FrameDecoder().feed(b"cos\nsystem\n(S'id'\ntR." + F2B_END)
    assert isinstance(events[0], BadFrame) and events[0].fatal


def test_pickle_oversized_is_fatal() -> None:
    dec = FrameDecoder(max_pickle=1000)
    events = dec.feed(b"\x80" + b"x" * 2000)
    assert isinstance(events[0], BadFrame) and events[0].fatal
    dec = FrameDecoder(max_pickle=1000)
    events = dec.feed(pickle.dumps(["x" * 2000], 4) + F2B_END)
    assert isinstance(events[0], BadFrame) and events[0].fatal


def test_pickle_success_reply_keeps_tuples() -> None:
    value = [("Filter", [("Currently failed", 0), ("File list", ["/a"])])]
    data = encode_reply("pickle", (0, value))
    assert data.endswith(F2B_END)
    assert pickle.loads(data[: -len(F2B_END)]) == (0, value)


def test_pickle_reply_never_references_our_classes() -> None:
    class Custom:
        def __str__(self) -> str:
            return "custom"

    data = encode_reply("pickle", (0, {"a": Custom(), "s": {3, 1}}))
    assert b"hyperban" not in data
    assert pickle.loads(data[: -len(F2B_END)]) == (0, {"a": "custom", "s": [1, 3]})


def test_to_plain() -> None:
    assert to_plain((1, b"x", {2}), keep_tuples=False) == [1, "x", [2]]
    assert to_plain({1: (2,)}) == {"1": (2,)}
    assert to_plain(None) is None


ERRORS = [
    (ErrorInfo("UnknownJail", ("sshd",), "m"), "UnknownJailException", "('sshd',)"),
    (ErrorInfo("DuplicateJail", ("sshd",), "m"), "DuplicateJailException", "('sshd',)"),
    (ErrorInfo("Arity", (), "usage: start JAIL"), "IndexError", "('usage: start JAIL',)"),
    (ErrorInfo("ValueError", (), "bad value"), "ValueError", "('bad value',)"),
    (ErrorInfo("InvalidCommand", (), "Invalid command"), "Exception", "('Invalid command',)"),
    (ErrorInfo("Protocol", (), "junk"), "Exception", "('junk',)"),
]


@pytest.mark.skipif(not have_fail2ban(), reason="needs Debian's fail2ban")
def test_pickle_error_replies_unpickle_as_fail2bans_exceptions(tmp_path: Any) -> None:
    # The stock client unpickles with plain pickle.loads and fail2ban importable.
    paths = []
    for n, (err, _, _) in enumerate(ERRORS):
        path = tmp_path / f"reply{n}"
        path.write_bytes(encode_reply("pickle", (1, err))[: -len(F2B_END)])
        paths.append(str(path))
    script = (
        "import pickle, sys\n"
        "for p in sys.argv[1:]:\n"
        "    code, exc = pickle.loads(open(p, 'rb').read())\n"
        "    print(code, type(exc).__name__, exc.args)\n"
    )
    out = subprocess.run(
        [SYSTEM_PYTHON, "-c", script, *paths],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin")},
    ).stdout.splitlines()
    assert out == [f"1 {cls} {args}" for _, cls, args in ERRORS]
