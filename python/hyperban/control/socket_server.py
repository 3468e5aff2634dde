"""The control socket: a Unix stream socket serving many clients at once.

* The socket file is created atomically with mode 0600: bound under a
  temporary name, chmod-ed before ``listen()`` (nobody can connect yet), then
  hard-linked to its real name, which fails rather than clobbers if the name
  appeared meanwhile.
* An existing socket file that a live server answers on stops us, ``force``
  or not.  A dead (stale) one stops us unless ``force``, which removes it.
  A path that is not a socket is never removed.
* One accept thread; one thread per connection (at most ``max_clients``), so
  a slow, silent or half-closed client never holds up the others.  Requests
  are handed to ``handler`` one at a time (a lock), so the daemon sees one
  command at a time, as with fail2ban.
* Undecodable input gets an error reply; the connection is kept when framing
  allows, closed otherwise (oversized, unknown protocol).  The server itself
  keeps serving whatever a client sends.
* ``stop()`` stops accepting, lets replies being computed finish (``grace``
  seconds), closes every connection and removes the socket file if it is
  still the one we created.  It may be called from a request handler.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import selectors
import socket
import stat
import threading
import time
from collections.abc import Callable
from typing import Any

from .protocol import (
    MAX_JSON_REQUEST,
    MAX_PICKLE_REQUEST,
    BadFrame,
    CloseFrame,
    ErrorInfo,
    FrameDecoder,
    Reply,
    encode_reply,
)

__all__ = ["ControlSocketError", "ControlSocketServer", "socket_is_live"]

log = logging.getLogger(__name__)

Handler = Callable[[Any], Reply]


class ControlSocketError(Exception):
    """The socket cannot be set up (already running, stale socket, bind failure)."""


def socket_is_live(path: str, timeout: float = 1.0) -> bool:
    """True if something accepts connections on the Unix socket ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        try:
            probe.connect(path)
        except OSError:
            return False
        return True


class ControlSocketServer:
    """Serve ``handler(command) -> reply`` on the Unix socket ``path``."""

    def __init__(
        self,
        path: str,
        handler: Handler,
        *,
        max_clients: int = 32,
        idle_timeout: float = 60.0,
        max_json: int = MAX_JSON_REQUEST,
        max_pickle: int = MAX_PICKLE_REQUEST,
        grace: float = 2.0,
    ) -> None:
        self.path = path
        self.handler = handler
        self.max_clients = max_clients
        self.idle_timeout = idle_timeout
        self.max_json = max_json
        self.max_pickle = max_pickle
        self.grace = grace
        self._listener: socket.socket | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of our file
        self._wake_r, self._wake_w = socket.socketpair()
        self._accept_thread: threading.Thread | None = None
        self._conns: dict[socket.socket, threading.Thread] = {}
        self._lock = threading.Lock()  # guards _conns, _busy, _stopping
        self._idle = threading.Condition(self._lock)
        self._busy: set[threading.Thread] = set()  # threads between request and reply
        self._dispatch_lock = threading.Lock()
        self._stopping = False

    # --- life cycle ---------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._accept_thread is not None and self._accept_thread.is_alive()

    def start(self, force: bool = False) -> None:
        """Create the socket and serve in a background thread."""
        self._check_existing(force)
        self._listener = self._bind_atomically()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="hyperban-control", daemon=True
        )
        self._accept_thread.start()

    def _check_existing(self, force: bool) -> None:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise ControlSocketError(f"{self.path} exists and is not a socket")
        if socket_is_live(self.path):
            raise ControlSocketError(f"a server is already running on {self.path}")
        if not force:
            raise ControlSocketError(
                f"stale socket {self.path} (no server answers); start with force to remove it"
            )
        log.warning("removing stale socket %s", self.path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _bind_atomically(self) -> socket.socket:
        directory = os.path.dirname(self.path) or "."
        tmp = os.path.join(directory, f".hb-{secrets.token_hex(4)}.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(tmp)
            try:
                os.chmod(tmp, 0o600)
                sock.listen(16)
                try:
                    os.link(tmp, self.path)  # atomic, never replaces
                except OSError as exc:
                    if exc.errno == errno.EEXIST:
                        raise ControlSocketError(f"{self.path} appeared meanwhile") from None
                    if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP):
                        raise
                    os.rename(tmp, self.path)  # file systems without hard links
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            st = os.lstat(self.path)
            self._identity = (st.st_dev, st.st_ino)
        except ControlSocketError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            raise ControlSocketError(f"unable to bind socket {self.path}: {exc}") from exc
        sock.setblocking(False)
        return sock

    def stop(self) -> None:
        """Stop serving and remove the socket; safe to call twice or from a handler."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        me = threading.current_thread()
        if self._accept_thread is None:  # never started: nothing else to wind down
            self._wake_r.close()
            self._wake_w.close()
            return
        if self._accept_thread is not me:
            self._accept_thread.join(timeout=5)
        # Let replies being computed or sent go out (our own, if a handler
        # called stop(), is excluded: it is sent after we return).
        with self._idle:
            self._idle.wait_for(lambda: not (self._busy - {me}), timeout=self.grace)
            conns = list(self._conns.items())
        for conn, thread in conns:
            if thread is not me:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 2.0  # in all, however many clients
        for _conn, thread in conns:
            if thread is not me:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._remove_socket_file()

    def _remove_socket_file(self) -> None:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        # Someone may have forced their own socket in place of ours: leave it.
        if self._identity == (st.st_dev, st.st_ino):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    # --- accepting ------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self._listener, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping:
                for key, _ in sel.select():
                    if key.fileobj is self._wake_r:
                        break
                    self._accept_one()
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def _accept_one(self) -> None:
        assert self._listener is not None
        try:
            conn, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # EMFILE and the like: log, keep the loop alive
            log.warning("control socket accept failed: %s", exc)
            return
        conn.setblocking(True)  # accepted sockets inherit non-blocking on some systems
        with self._lock:
            if self._stopping or len(self._conns) >= self.max_clients:
                log.warning("control socket: too many clients, refusing one")
                conn.close()
                return
            thread = threading.Thread(
                target=self._serve_conn, args=(conn,), name="hyperban-control-client", daemon=True
            )
            self._conns[conn] = thread
        thread.start()

    # --- one client -------------------------------------------------------------
    def _serve_conn(self, conn: socket.socket) -> None:
        decoder = FrameDecoder(max_json=self.max_json, max_pickle=self.max_pickle)
        try:
            conn.settimeout(self.idle_timeout)
            while not self._stopping:
                try:
                    data = conn.recv(65536)
                except (TimeoutError, OSError):
                    return  # idle too long, reset, or shut down by stop()
                if not data:
                    return  # EOF: a half-closed client got its replies already
                if not self._handle_events(conn, decoder.feed(data)):
                    return
        finally:
            with self._lock:
                self._conns.pop(conn, None)
            with contextlib.suppress(OSError):
                conn.close()

    def _handle_events(self, conn: socket.socket, events: list[Any]) -> bool:
        """Answer each event; False when the connection must close."""
        for event in events:
            if isinstance(event, CloseFrame):
                return False
            if isinstance(event, BadFrame):
                log.warning("control socket: %s", event.message)
                reply: Reply = (1, ErrorInfo("Protocol", (), event.message))
                if not self._send(conn, event.mode, reply):
                    return False
                if event.fatal:
                    self._drain(conn)
                    return False
                continue
            me = threading.current_thread()
            with self._lock:
                self._busy.add(me)
            try:
                reply = self._dispatch(event.command)
                if not self._send(conn, event.mode, reply):
                    return False
            finally:
                with self._idle:
                    self._busy.discard(me)
                    self._idle.notify_all()
        return True

    def _drain(self, conn: socket.socket, limit: int = 32 << 20, seconds: float = 2.0) -> None:
        """Discard what the client is still sending before closing.

        Closing a Unix socket with unread input resets the connection, and the
        client would lose the error reply it has not read yet.
        """
        deadline = time.monotonic() + seconds  # in all: a trickling client cannot hold us
        with contextlib.suppress(OSError, ValueError):
            conn.shutdown(socket.SHUT_WR)
            while limit > 0:
                conn.settimeout(max(0.0, deadline - time.monotonic()))
                chunk = conn.recv(65536)
                if not chunk:
                    break
                limit -= len(chunk)

    def _dispatch(self, command: Any) -> Reply:
        with self._dispatch_lock:
            if self._stopping:  # queued behind the request that stopped us
                return 1, ErrorInfo("Error", (), "the server is shutting down")
            try:
                return self.handler(command)
            except Exception as exc:  # the handler should not raise; never let it kill us
                log.exception("control handler failed on %r", command)
                return 1, ErrorInfo("Error", (), str(exc) or type(exc).__name__)

    def _send(self, conn: socket.socket, mode: str, reply: Reply) -> bool:
        try:
            data = encode_reply(mode, reply)
        except Exception as exc:  # an unencodable value: say so rather than hang up
            log.exception("control reply cannot be encoded")
            data = encode_reply(mode, (1, ErrorInfo("Error", (), f"unencodable reply: {exc}")))
        try:
            conn.sendall(data)  # bounded by idle_timeout if the client stops reading
        except OSError:
            return False
        return True
