"""A client connection to the control socket (JSON-lines dialect)."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Any

from hyperban.control.protocol import (
    MAX_JSON_REPLY,
    ProtocolError,
    Reply,
    decode_json_reply,
    encode_json_request,
)

__all__ = ["ControlClient"]


class ControlClient:
    """``send(command) -> (0, value) | (1, ErrorInfo)`` over one connection.

    ``timeout`` (seconds, None for none) bounds the connect and each reply;
    socket errors (``OSError``, ``TimeoutError``) and :class:`ProtocolError`
    reach the caller unchanged so it can explain them.
    """

    def __init__(self, path: str, timeout: float | None = None) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._buf = bytearray()
        try:
            self._sock.connect(path)
        except BaseException:
            self._sock.close()
            raise

    def settimeout(self, timeout: float | None) -> None:
        self._sock.settimeout(timeout)

    def send(self, command: list[Any]) -> Reply:
        self._sock.sendall(encode_json_request(command))
        return decode_json_reply(self._read_line())

    def _read_line(self) -> bytes:
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[: end + 1]
                return line
            if len(self._buf) > MAX_JSON_REPLY:
                raise ProtocolError("reply too large")
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ProtocolError("connection closed by the server before its reply")
            self._buf += chunk

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
