"""The Unix socket server: creation, stale sockets, hostile clients, shutdown."""

from __future__ import annotations

import json
import os
import pickle
import socket
import stat
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from control_helpers import DictTarget, raw_exchange, running_server, short_tmp_dir

from hyperban.client import ControlClient
from hyperban.control import ControlSocketError, ControlSocketServer, Transmitter
from hyperban.control.protocol import F2B_CLOSE, F2B_END, ErrorInfo, encode_json_request


@pytest.fixture
def sock_path(tmp_path: Any) -> Iterator[str]:
    path = os.path.join(short_tmp_dir(tmp_path), f"hb-{os.getpid()}-{time.monotonic_ns()}.sock")
    yield path
    if os.path.lexists(path):
        os.unlink(path)


def ping(path: str) -> Any:
    with ControlClient(path, timeout=5) as c:
        return c.send(["ping"])


def test_socket_is_0600_and_created_without_leftovers(sock_path: str) -> None:
    before = set(os.listdir(os.path.dirname(sock_path)))
    with running_server(sock_path):
        st = os.lstat(sock_path)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600
        after = set(os.listdir(os.path.dirname(sock_path)))
        assert after - before == {os.path.basename(sock_path)}  # no temporary name left
        assert ping(sock_path) == (0, "pong")
    assert not os.path.exists(sock_path)  # removed on stop


def test_refuses_when_a_live_server_answers(sock_path: str) -> None:
    with running_server(sock_path):
        for force in (False, True):
            other = ControlSocketServer(sock_path, lambda c: (0, None))
            with pytest.raises(ControlSocketError, match="already running"):
                other.start(force=force)
        assert ping(sock_path) == (0, "pong")  # the first server is untouched


def _stale_socket(path: str) -> None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()  # the file stays; nobody listens


def test_stale_socket_needs_force(sock_path: str) -> None:
    _stale_socket(sock_path)
    server = ControlSocketServer(sock_path, Transmitter(DictTarget()).proceed)
    with pytest.raises(ControlSocketError, match="stale"):
        server.start()
    server.start(force=True)
    try:
        assert ping(sock_path) == (0, "pong")
        assert stat.S_IMODE(os.lstat(sock_path).st_mode) == 0o600
    finally:
        server.stop()
    assert not os.path.exists(sock_path)


def test_never_removes_a_file_that_is_not_a_socket(sock_path: str) -> None:
    with open(sock_path, "w") as f:
        f.write("precious")
    with pytest.raises(ControlSocketError, match="not a socket"):
        ControlSocketServer(sock_path, lambda c: (0, None)).start(force=True)
    with open(sock_path) as f:
        assert f.read() == "precious"


def test_bind_failure_is_reported(tmp_path: Any) -> None:
    path = os.path.join(short_tmp_dir(tmp_path), "no-such-dir", "x.sock")
    with pytest.raises(ControlSocketError, match="unable to bind"):
        ControlSocketServer(path, lambda c: (0, None)).start()


def test_stop_leaves_a_socket_that_replaced_ours(sock_path: str) -> None:
    with running_server(sock_path) as (server, _):
        os.unlink(sock_path)
        _stale_socket(sock_path)  # someone else's now
    assert os.path.exists(sock_path)
    server.stop()  # twice is fine


def test_garbage_clients_do_not_disturb_others(sock_path: str) -> None:
    with running_server(sock_path, max_json=4096) as (_, _target):
        # Unknown protocol: one error line, then closed.
        reply = raw_exchange(sock_path, b"\x00\x01\x02garbage\n", until=b"\xff")
        assert json.loads(reply)["error"]["type"] == "Protocol"
        # HTTP is not welcome either.
        reply = raw_exchange(sock_path, b"GET / HTTP/1.1\r\n\r\n", until=b"\xff")
        assert b"unknown protocol" in reply
        # Oversized JSON: error reply, then closed.
        reply = raw_exchange(sock_path, b'{"cmd": ["' + b"x" * 10000, until=b"\xff")
        assert b"too large" in reply
        # Oversized pickle frame: pickled error reply, then closed.
        reply = raw_exchange(sock_path, b"\x80" + b"x" * (9 << 20), until=b"\xff", timeout=20)
        code, exc = pickle.loads(reply[: -len(F2B_END)])
        assert code == 1 and "too large" in str(exc)
        assert ping(sock_path) == (0, "pong")


def test_bad_json_line_keeps_the_connection(sock_path: str) -> None:
    with running_server(sock_path):
        data = b"{this is not json\n" + encode_json_request(["ping"])
        reply = raw_exchange(sock_path, data, until=b"pong")
        first, second = reply.splitlines()
        assert json.loads(first)["ok"] is False
        assert json.loads(second) == {"ok": True, "result": "pong"}


def test_malicious_pickle_over_the_socket(sock_path: str, tmp_path: Any) -> None:
    marker = tmp_path / "pwned"
    evil = b"\x80\x02cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR." + F2B_END
    with running_server(sock_path):
        reply = raw_exchange(sock_path, evil, until=F2B_END)
        code, exc = pickle.loads(reply[: -len(F2B_END)])
        assert code == 1 and "forbidden global" in str(exc)
        assert ping(sock_path) == (0, "pong")
    assert not marker.exists()


def test_stock_style_session(sock_path: str) -> None:
    # Two requests and the close marker on one connection, as fail2ban-client does.
    with running_server(sock_path):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(sock_path)
            for cmd, want in ((["ping"], "pong"), (["get", "loglevel"], "INFO")):
                s.sendall(pickle.dumps(cmd, 4) + F2B_END)
                buf = b""
                while not buf.endswith(F2B_END):
                    buf += s.recv(4096)
                assert pickle.loads(buf[: -len(F2B_END)]) == (0, want)
            s.sendall(F2B_CLOSE + F2B_END)
            assert s.recv(10) == b""  # the server hangs up after the close marker


def test_half_closed_client_gets_its_reply(sock_path: str) -> None:
    with running_server(sock_path):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(sock_path)
            s.sendall(encode_json_request(["ping"]))
            s.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        assert json.loads(data) == {"ok": True, "result": "pong"}


def test_silent_and_vanishing_clients(sock_path: str) -> None:
    with running_server(sock_path, idle_timeout=0.5):
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        silent.connect(sock_path)
        partial = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        partial.connect(sock_path)
        partial.sendall(b'{"cmd": ["pi')  # half a request, then gone
        partial.close()
        assert ping(sock_path) == (0, "pong")  # answered while `silent` holds its slot
        silent.settimeout(5)
        assert silent.recv(10) == b""  # the idle client was dropped
        silent.close()


def test_max_clients(sock_path: str) -> None:
    with running_server(sock_path, max_clients=2) as (server, _):
        held = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(2)]
        for s in held:
            s.connect(sock_path)
        deadline = time.monotonic() + 5
        while len(server._conns) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises((OSError, Exception)):
            ping(sock_path)  # refused: closed without a reply
        for s in held:
            s.close()
        deadline = time.monotonic() + 5
        while server._conns and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ping(sock_path) == (0, "pong")


def test_many_concurrent_clients(sock_path: str) -> None:
    errors: list[Any] = []

    def worker(n: int) -> None:
        try:
            with ControlClient(sock_path, timeout=10) as c:
                for i in range(20):
                    code, value = c.send(["echo", str(n), str(i)])
                    assert (code, value) == (0, [str(n), str(i)])
        except Exception as exc:  # collected: assertions in threads are lost otherwise
            errors.append(exc)

    with running_server(sock_path):
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == []


def test_handler_exception_is_an_error_reply(sock_path: str) -> None:
    def handler(command: Any) -> Any:
        if command == ["boom"]:
            raise RuntimeError("kaboom")
        return 0, "fine"

    server = ControlSocketServer(sock_path, handler)
    server.start()
    try:
        with ControlClient(sock_path, timeout=5) as c:
            assert c.send(["boom"]) == (1, ErrorInfo("Error", (), "kaboom"))
            assert c.send(["other"]) == (0, "fine")
    finally:
        server.stop()


def test_stop_from_a_request_sends_the_reply_first(sock_path: str) -> None:
    target = DictTarget()
    server = ControlSocketServer(sock_path, Transmitter(target).proceed)
    target.on_stop = server.stop  # the daemon's shutdown, in another thread
    server.start()
    with ControlClient(sock_path, timeout=5) as c:
        assert c.send(["stop"]) == (0, None)
    deadline = time.monotonic() + 5
    while os.path.exists(sock_path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not os.path.exists(sock_path)
    assert not server.active


def test_stop_called_inside_the_handler(sock_path: str) -> None:
    holder: dict[str, ControlSocketServer] = {}

    def handler(command: Any) -> Any:
        holder["s"].stop()  # synchronous: must not deadlock, reply still goes out
        return 0, "bye"

    server = holder["s"] = ControlSocketServer(sock_path, handler)
    server.start()
    with ControlClient(sock_path, timeout=5) as c:
        assert c.send(["stop"]) == (0, "bye")
    assert not os.path.exists(sock_path)


def test_stop_closes_idle_connections(sock_path: str) -> None:
    server = ControlSocketServer(sock_path, Transmitter(DictTarget()).proceed)
    server.start()
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(sock_path)
    idle.settimeout(5)
    deadline = time.monotonic() + 5
    while not server._conns and time.monotonic() < deadline:
        time.sleep(0.01)  # accepted, so it is a connection of ours, not a backlog entry
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 3
    assert idle.recv(10) == b""
    idle.close()
