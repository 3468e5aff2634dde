"""Set-element batches straight to the kernel over nf_tables netlink.

A ban adds elements to two existing sets.  Through libnftables each such transaction
parses a script and first fetches a ruleset cache from the kernel (tables, chains, sets:
several netlink dumps) before sending one small batch: about 65 µs of CPU per
transaction in a warm loop here, and 200-430 µs when the actions thread has just woken
up, as it has at every batch of a running daemon.  The batch itself needs none of that:
we made the sets, so we know their names and key types.  :class:`NetlinkSetElements`
builds the same batch (``NFT_MSG_NEWSETELEM`` / ``NFT_MSG_DELSETELEM`` between
``NFNL_MSG_BATCH_BEGIN`` and ``NFNL_MSG_BATCH_END``, one kernel transaction) and sends
it on a ``NETLINK_NETFILTER`` socket: 18 µs warm, about 150 µs after a wake-up.

The kernel applies a batch entirely or not at all, exactly as for nft.  Every message
asks for an acknowledgement, so the answer tells which message (if any) was refused and
why (an errno, reported like nft's "Could not process rule" line).

Message layout (``linux/netfilter/nf_tables.h``, ``linux/netfilter/nfnetlink.h``)::

    nlmsghdr | nfgenmsg(family, version 0, res_id) | attributes
    NFTA_SET_ELEM_LIST_TABLE     string
    NFTA_SET_ELEM_LIST_SET       string
    NFTA_SET_ELEM_LIST_ELEMENTS  nested: NFTA_LIST_ELEM nested:
        NFTA_SET_ELEM_KEY        nested: NFTA_DATA_VALUE (the address, network order)
        NFTA_SET_ELEM_TIMEOUT    be64 milliseconds (absent: no timeout)

A ``DELSETELEM`` without an element list empties the set (nft's ``flush set``).

The socket belongs to the network namespace it was opened in; as for the libnftables
context, a call from a thread in another namespace opens a new one.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .nft_exec import netns_id
from .runner import Result

__all__ = ["ElementOp", "NetlinkSetElements", "netlink_available"]

NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10  # acknowledgements carry the request's header only, not its payload
# SO_SNDBUF beyond net.core.wmem_max (CAP_NET_ADMIN, which changing the ruleset needs
# anyway); Python's socket module does not name it
SO_SNDBUFFORCE = 32

NLMSG_ERROR = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_CREATE = 0x400
NLA_F_NESTED = 0x8000

NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN = 0x10
NFNL_MSG_BATCH_END = 0x11
NFT_MSG_NEWSETELEM = 12
NFT_MSG_DELSETELEM = 14

NFPROTO_UNSPEC = 0
NFPROTO_INET = 1

NFTA_SET_ELEM_LIST_TABLE = 1
NFTA_SET_ELEM_LIST_SET = 2
NFTA_SET_ELEM_LIST_ELEMENTS = 3
NFTA_LIST_ELEM = 1
NFTA_SET_ELEM_KEY = 1
NFTA_SET_ELEM_TIMEOUT = 4
NFTA_DATA_VALUE = 1

# An attribute's length is 16 bits, so one message's element list holds at most ~64 KB:
# 1000 elements (40 bytes each at most) stay well inside it.
ELEMENTS_PER_MESSAGE = 1000

_HEADER = struct.Struct("=IHHII")  # nlmsghdr: len, type, flags, seq, pid
_NFGEN = struct.Struct("=BBH")  # nfgenmsg: family, version, res_id (big-endian)
_ATTR = struct.Struct("=HH")  # nlattr: len, type
_ERROR = struct.Struct("=i")  # nlmsgerr.error, after the header


#: ``(operation, set name, elements)``; an element is ``(address bytes, timeout in s or
#: None)``; ``flush`` takes no elements.
ElementOp = tuple[Literal["add", "delete", "flush"], str, Sequence[tuple[bytes, int | None]]]


def _attr(kind: int, payload: bytes) -> bytes:
    size = _ATTR.size + len(payload)
    return _ATTR.pack(size, kind) + payload + b"\0" * (-size % 4)


def _string(kind: int, text: str) -> bytes:
    return _attr(kind, text.encode() + b"\0")


def _element(key: bytes, timeout: int | None) -> bytes:
    body = _attr(NFTA_SET_ELEM_KEY | NLA_F_NESTED, _attr(NFTA_DATA_VALUE, key))
    if timeout is not None:
        body += _attr(NFTA_SET_ELEM_TIMEOUT, struct.pack(">Q", timeout * 1000))
    return _attr(NFTA_LIST_ELEM | NLA_F_NESTED, body)


@dataclass
class _Message:
    kind: int
    flags: int
    family: int
    res_id: int
    body: bytes

    def pack(self, seq: int) -> bytes:
        payload = _NFGEN.pack(self.family, 0, socket.htons(self.res_id)) + self.body
        return _HEADER.pack(_HEADER.size + len(payload), self.kind, self.flags, seq, 0) + payload


def _batch_marker(kind: int) -> _Message:
    """A batch's begin or end: it names the subsystem in ``res_id`` and gets no answer."""
    return _Message(kind, NLM_F_REQUEST, NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES, b"")


def _messages(table: str, ops: Iterable[ElementOp]) -> list[_Message]:
    head = _string(NFTA_SET_ELEM_LIST_TABLE, table)
    out: list[_Message] = []
    for op, set_name, elements in ops:
        where = head + _string(NFTA_SET_ELEM_LIST_SET, set_name)
        kind = (NFNL_SUBSYS_NFTABLES << 8) | (
            NFT_MSG_NEWSETELEM if op == "add" else NFT_MSG_DELSETELEM
        )
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_CREATE if op == "add" else 0)
        if op == "flush":
            out.append(_Message(kind, flags, NFPROTO_INET, 0, where))
            continue
        for start in range(0, len(elements), ELEMENTS_PER_MESSAGE):
            part = elements[start : start + ELEMENTS_PER_MESSAGE]
            listed = b"".join(_element(key, timeout) for key, timeout in part)
            body = where + _attr(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED, listed)
            out.append(_Message(kind, flags, NFPROTO_INET, 0, body))
    return out


def _make_room(sock: socket.socket, size: int) -> None:
    """A send buffer for a ``size``-byte batch: the kernel refuses a netlink message
    larger than the buffer (``net.core.wmem_max`` caps a plain ``SO_SNDBUF``)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, size)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def _refused(errno_value: int) -> Result:
    reason = os.strerror(errno_value) if errno_value > 0 else "unknown error"
    return Result(False, "", f"Error: Could not process rule: {reason}")


class NetlinkSetElements:
    """Element batches on the sets of one ``inet`` table, one kernel transaction each.

    Calls are serialised (one socket, one sequence of answers).
    """

    def __init__(self, table: str, timeout: float = 10.0) -> None:
        self.table = table
        self.timeout = timeout
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._netns: int | None = None
        self._seq = 0
        #: Transactions sent (tests count batches with it).
        self.transactions = 0

    def _socket(self) -> socket.socket:
        netns = netns_id()
        if self._sock is None or self._netns != netns:
            self.close()
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
            try:
                sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
                sock.bind((0, 0))
                sock.settimeout(self.timeout)
            except OSError:
                sock.close()
                raise
            self._sock, self._netns = sock, netns
        return self._sock

    def apply(self, ops: Sequence[ElementOp]) -> Result:
        """Run ``ops`` in one transaction: all applied, or none (``ok`` False, the
        kernel's reason in ``stderr``)."""
        messages = _messages(self.table, ops)
        if not messages:
            return Result(True, "", "")
        with self._lock:
            try:
                sock = self._socket()
                return self._transact(sock, messages)
            except OSError as exc:
                # a broken socket is not reused: the next call opens a fresh one
                self.close()
                return Result(False, "", f"netlink: {exc.strerror or exc}")

    def _transact(self, sock: socket.socket, messages: list[_Message]) -> Result:
        seq = self._seq
        parts = [_batch_marker(NFNL_MSG_BATCH_BEGIN).pack(seq + 1)]
        parts += [m.pack(seq + 2 + i) for i, m in enumerate(messages)]
        parts.append(_batch_marker(NFNL_MSG_BATCH_END).pack(seq + 2 + len(messages)))
        self._seq = seq + 3 + len(messages)
        batch = b"".join(parts)
        if len(batch) > 200_000:  # a restore of many bans: room for the whole batch
            _make_room(sock, len(batch))
        sock.sendall(batch)
        self.transactions += 1
        pending = set(range(seq + 2, seq + 2 + len(messages)))
        refused: list[int] = []
        while pending:
            data = sock.recv(1 << 16)
            offset = 0
            while offset + _HEADER.size <= len(data):
                size, kind, _flags, number, _pid = _HEADER.unpack_from(data, offset)
                if size < _HEADER.size:
                    return Result(False, "", "netlink: malformed answer from the kernel")
                if kind == NLMSG_ERROR:
                    (code,) = _ERROR.unpack_from(data, offset + _HEADER.size)
                    if number in pending:
                        pending.discard(number)
                        if code:
                            refused.append(-code)
                    elif number == seq + 1 and code:
                        # the batch as a whole was refused (no CAP_NET_ADMIN: EPERM);
                        # its messages get no answer of their own
                        return _refused(-code)
                offset += (size + 3) & ~3
        if refused:
            return _refused(refused[0])
        return Result(True, "", "")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def netlink_available() -> bool:
    """Whether a ``NETLINK_NETFILTER`` socket opens here (Linux, nf_tables loaded or
    loadable; no privilege is needed to open one, only to change the ruleset)."""
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    except (OSError, AttributeError):  # AttributeError: no AF_NETLINK off Linux
        return False
    sock.close()
    return True
