"""Wire format of the control socket: framing, encoding, size limits.

A connection speaks one of two dialects, chosen by its first byte:

**JSON lines** (``{``) -- hyperban's own client.  Each request is one line of
UTF-8 JSON ending in ``\\n``::

    {"cmd": ["status", "sshd"]}

and each reply is one line::

    {"ok": true, "result": <value>}
    {"ok": false, "error": {"type": "UnknownJail", "args": ["sshd"], "message": "..."}}

JSON escapes newlines inside strings, so a line is always a whole message.
A request line may be at most :data:`MAX_JSON_REQUEST` bytes; a client
accepts replies of up to :data:`MAX_JSON_REPLY` bytes.  A line that is not
valid JSON gets an error reply and the connection goes on; an oversized one
gets an error reply and the connection is closed (we could not find the next
line without reading the rest).  Several requests may share a connection.

**fail2ban pickle** (``\\x80``, pickle's PROTO opcode, or ``<`` of the close
marker) -- the stock ``fail2ban-client``.  A request is a pickled list followed
by ``<F2B_END_COMMAND>``; ``<F2B_CLOSE_COMMAND><F2B_END_COMMAND>`` ends the
session.  Requests are unpickled ONLY by :func:`safe_unpickle.safe_loads`
(plain data, no globals).  Replies are pickles of ``(0, value)`` or
``(1, exception)`` followed by the end marker, which is what the stock client
expects.  The exception is written as a reference to a builtin exception or to
fail2ban's own ``UnknownJailException``/``DuplicateJailException`` (the stock
client has fail2ban installed), so it prints fail2ban's own messages.  A frame
may be at most :data:`MAX_PICKLE_REQUEST` bytes (the stock client's ``reload``
carries the whole configuration).

Anything else as a first byte gets one JSON error line, and the connection is
closed.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from typing import Any

from .safe_unpickle import safe_loads

__all__ = [
    "F2B_CLOSE",
    "F2B_END",
    "MAX_JSON_REPLY",
    "MAX_JSON_REQUEST",
    "MAX_PICKLE_REQUEST",
    "BadFrame",
    "CloseFrame",
    "ErrorInfo",
    "FrameDecoder",
    "ProtocolError",
    "Reply",
    "Request",
    "decode_json_reply",
    "encode_json_request",
    "encode_reply",
    "to_plain",
]

F2B_END = b"<F2B_END_COMMAND>"
F2B_CLOSE = b"<F2B_CLOSE_COMMAND>"

MAX_JSON_REQUEST = 1 << 20
MAX_JSON_REPLY = 64 << 20
MAX_PICKLE_REQUEST = 8 << 20

JSON = "json"
PICKLE = "pickle"

# Error kind (see api.ControlError.kind) -> the exception class the stock
# client unpickles.  Unknown kinds become a plain builtins.Exception.
_PICKLE_ERROR_CLASSES: dict[str, tuple[str, str]] = {
    "UnknownJail": ("fail2ban.exceptions", "UnknownJailException"),
    "DuplicateJail": ("fail2ban.exceptions", "DuplicateJailException"),
    "Arity": ("builtins", "IndexError"),
    "ValueError": ("builtins", "ValueError"),
    "KeyError": ("builtins", "KeyError"),
}


class ProtocolError(Exception):
    """A reply that does not follow the protocol (client side)."""


@dataclass(frozen=True)
class ErrorInfo:
    """A failed command, as both dialects carry it."""

    kind: str
    args: tuple[Any, ...] = ()
    message: str = ""


# (0, value) on success, (1, ErrorInfo) on failure -- fail2ban's shape.
Reply = tuple[int, Any]


@dataclass
class Request:
    mode: str
    command: Any


@dataclass
class CloseFrame:
    mode: str


@dataclass
class BadFrame:
    """Undecodable input; ``fatal`` means the connection must be closed after the reply."""

    mode: str
    message: str
    fatal: bool = False


Event = Request | CloseFrame | BadFrame


def to_plain(value: Any, *, keep_tuples: bool = True) -> Any:
    """Reduce a reply value to plain data both dialects can carry.

    Sets become sorted lists, bytes stay bytes in pickle but are decoded for
    JSON (``keep_tuples=False`` also turns tuples into lists), dict keys become
    strings, and any other object its ``str()``: a reply must never make the
    stock client import one of our classes.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value) if keep_tuples else bytes(value).decode("utf-8", "replace")
    if isinstance(value, tuple):
        items = [to_plain(v, keep_tuples=keep_tuples) for v in value]
        return tuple(items) if keep_tuples else items
    if isinstance(value, list):
        return [to_plain(v, keep_tuples=keep_tuples) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v, keep_tuples=keep_tuples) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [to_plain(v, keep_tuples=keep_tuples) for v in sorted(value, key=str)]
    return str(value)


# --- encoding -------------------------------------------------------------


def encode_json_request(command: list[Any]) -> bytes:
    return json.dumps({"cmd": command}).encode() + b"\n"


def _json_reply(reply: Reply) -> bytes:
    code, value = reply
    if code == 0:
        body: dict[str, Any] = {"ok": True, "result": to_plain(value, keep_tuples=False)}
    else:
        err = value if isinstance(value, ErrorInfo) else ErrorInfo("Error", (), str(value))
        body = {
            "ok": False,
            "error": {
                "type": err.kind,
                "args": to_plain(list(err.args), keep_tuples=False),
                "message": err.message,
            },
        }
    return json.dumps(body).encode() + b"\n"


def _pickle_error(err: ErrorInfo) -> bytes:
    # Hand-assembled (protocol 2): (1, module.Class(*args)).  pickle.dumps
    # cannot write it, since fail2ban's classes need not be importable here.
    module, name = _PICKLE_ERROR_CLASSES.get(err.kind, ("builtins", "Exception"))
    args = err.args if err.kind in ("UnknownJail", "DuplicateJail") else (err.message,)
    args_body = pickle.dumps(tuple(to_plain(a) for a in args), 2)[2:-1]  # no PROTO, no STOP
    glob = b"c" + module.encode() + b"\n" + name.encode() + b"\n"
    return b"\x80\x02K\x01" + glob + args_body + b"R\x86."


def _pickle_reply(reply: Reply) -> bytes:
    code, value = reply
    if code == 0:
        return pickle.dumps((0, to_plain(value)), 4) + F2B_END
    err = value if isinstance(value, ErrorInfo) else ErrorInfo("Error", (), str(value))
    return _pickle_error(err) + F2B_END


def encode_reply(mode: str, reply: Reply) -> bytes:
    return _pickle_reply(reply) if mode == PICKLE else _json_reply(reply)


def decode_json_reply(line: bytes) -> Reply:
    """Client side: one reply line -> ``(0, value)`` or ``(1, ErrorInfo)``."""
    try:
        body = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"reply is not JSON: {exc}") from None
    if not isinstance(body, dict) or "ok" not in body:
        raise ProtocolError("reply has no 'ok' field")
    if body["ok"]:
        return 0, body.get("result")
    err = body.get("error")
    if not isinstance(err, dict):
        raise ProtocolError("error reply has no 'error' object")
    args = err.get("args") or []
    return 1, ErrorInfo(str(err.get("type", "Error")), tuple(args), str(err.get("message", "")))


# --- decoding (server side) ------------------------------------------------


@dataclass
class FrameDecoder:
    """Incremental request parser for one connection: ``feed(bytes) -> [Event]``.

    After a fatal :class:`BadFrame` it ignores all further input.
    """

    max_json: int = MAX_JSON_REQUEST
    max_pickle: int = MAX_PICKLE_REQUEST
    mode: str | None = None
    _buf: bytearray = field(default_factory=bytearray)
    _scan: int = 0  # pickle: where the end-marker search resumes
    _dead: bool = False

    def feed(self, data: bytes) -> list[Event]:
        if self._dead or not data:
            return []
        self._buf += data
        if self.mode is None:
            first = self._buf[:1]
            if first == b"{":
                self.mode = JSON
            elif first in (b"\x80", b"<"):
                self.mode = PICKLE
            else:
                return self._fail(JSON, f"unknown protocol (first byte {bytes(first)!r})")
        return self._json_events() if self.mode == JSON else self._pickle_events()

    def _fail(self, mode: str, message: str) -> list[Event]:
        self._dead = True
        self._buf.clear()
        return [BadFrame(mode, message, fatal=True)]

    def _json_events(self) -> list[Event]:
        events: list[Event] = []
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) > self.max_json:
                    return [*events, *self._fail(JSON, "request too large")]
                return events
            if end > self.max_json:
                return [*events, *self._fail(JSON, "request too large")]
            line = bytes(self._buf[:end])
            del self._buf[: end + 1]
            if line.strip():
                events.append(self._json_request(line))

    @staticmethod
    def _json_request(line: bytes) -> Event:
        try:
            body = json.loads(line)
        except (ValueError, RecursionError) as exc:
            return BadFrame(JSON, f"invalid JSON: {exc}")
        if not isinstance(body, dict) or not isinstance(body.get("cmd"), list):
            return BadFrame(JSON, "a request is an object with a 'cmd' list")
        return Request(JSON, body["cmd"])

    def _pickle_events(self) -> list[Event]:
        events: list[Event] = []
        while True:
            end = self._buf.find(F2B_END, self._scan)
            if end < 0:
                if len(self._buf) > self.max_pickle + len(F2B_END):
                    return [*events, *self._fail(PICKLE, "request too large")]
                # The marker may straddle two reads: rescan its length - 1.
                self._scan = max(0, len(self._buf) - len(F2B_END) + 1)
                return events
            frame = bytes(self._buf[:end])
            del self._buf[: end + len(F2B_END)]
            self._scan = 0
            if len(frame) > self.max_pickle:
                return [*events, *self._fail(PICKLE, "request too large")]
            if frame == F2B_CLOSE:
                events.append(CloseFrame(PICKLE))
                self._dead = True  # the stock client sends nothing after it
                return events
            try:
                events.append(Request(PICKLE, safe_loads(frame)))
            except pickle.UnpicklingError as exc:
                events.append(BadFrame(PICKLE, f"PROTO-error: load message failed: {exc}"))
