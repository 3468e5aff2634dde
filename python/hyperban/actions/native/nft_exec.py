"""How the nftables action talks to the kernel: in-process libnftables, or the nft binary.

Spawning ``nft -f -`` costs 16 ms per transaction on this project's machine (24-32 ms
while another Python thread is busy, as the log reader is under load), whatever the
batch size: at tens of new bans per second that process start is the whole ban path.
``libnftables.so.1`` (Debian's ``libnftables1``, a dependency of ``nftables``) runs the
same script text in-process in about 0.1 ms, and ``ctypes`` releases the GIL during the
call.  :func:`nft_executor` picks it when the action uses the plain ``nft`` command and
the library loads; an explicit command (``nftables = ip netns exec ns nft``) keeps the
subprocess.

A libnftables context talks netlink in the network namespace it was created in; the
executor notes that namespace and makes a new context if a call comes from a thread in
another one (tests move threads between namespaces).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Protocol

from .runner import Result, run, split_command

__all__ = [
    "LibNftables",
    "NftExecutor",
    "SubprocessNft",
    "libnftables_available",
    "netns_id",
    "nft_executor",
]

# enum nft_output_flags (nftables/libnftables.h): no per-element handles or counters in
# listings, as ``nft -t`` prints them.
_OUTPUT_TERSE = 1 << 11


class NftExecutor(Protocol):
    """Runs nft scripts and single commands; never raises for a refused transaction."""

    def script(self, text: str) -> Result: ...

    def command(self, *words: str, terse: bool = False) -> Result: ...


class SubprocessNft:
    """``nft`` as a child process (``argv`` from the action's ``nftables`` parameter)."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv

    def script(self, text: str) -> Result:
        return run([*self.argv, "-f", "-"], text)

    def command(self, *words: str, terse: bool = False) -> Result:
        return run([*self.argv, *(["-t"] if terse else []), *words])


_lib: ctypes.CDLL | None = None
_lib_error: str | None = None
_lib_lock = threading.Lock()


def _load() -> ctypes.CDLL | None:
    """The library with its prototypes declared, or None (reason in ``_lib_error``)."""
    global _lib, _lib_error
    with _lib_lock:
        if _lib is not None or _lib_error is not None:
            return _lib
        name = ctypes.util.find_library("nftables") or "libnftables.so.1"
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            _lib_error = str(exc)
            return None
        # Declaring every prototype keeps ctypes from truncating the 64-bit context pointer.
        lib.nft_ctx_new.restype = ctypes.c_void_p
        lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
        lib.nft_ctx_free.restype = None
        lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
        for fn in ("nft_ctx_buffer_output", "nft_ctx_buffer_error"):
            getattr(lib, fn).restype = ctypes.c_int
            getattr(lib, fn).argtypes = [ctypes.c_void_p]
        for fn in ("nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer"):
            getattr(lib, fn).restype = ctypes.c_char_p
            getattr(lib, fn).argtypes = [ctypes.c_void_p]
        lib.nft_ctx_output_get_flags.restype = ctypes.c_uint
        lib.nft_ctx_output_get_flags.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_output_set_flags.restype = None
        lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        lib.nft_run_cmd_from_buffer.restype = ctypes.c_int
        lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        _lib = lib
        return lib


def libnftables_available() -> bool:
    return _load() is not None


def netns_id() -> int:
    """The calling thread's network namespace (a context or socket belongs to one)."""
    return os.stat("/proc/thread-self/ns/net").st_ino


class LibNftables:
    """One libnftables context; calls are serialised (a context is not thread-safe)."""

    def __init__(self) -> None:
        lib = _load()
        if lib is None:
            raise OSError(f"libnftables is not available: {_lib_error}")
        self._lib = lib
        self._lock = threading.Lock()
        self._ctx: int | None = None
        self._netns: int | None = None

    def _context(self) -> int:
        netns = netns_id()
        if self._ctx is None or self._netns != netns:
            self.close()
            ctx = self._lib.nft_ctx_new(0)  # NFT_CTX_DEFAULT
            if not ctx:
                raise OSError("libnftables: nft_ctx_new failed")
            # capture output and errors instead of printing them to our stdout/stderr
            self._lib.nft_ctx_buffer_output(ctx)
            self._lib.nft_ctx_buffer_error(ctx)
            self._ctx, self._netns = ctx, netns
        return self._ctx

    def _run(self, text: str, terse: bool) -> Result:
        with self._lock:
            ctx = self._context()
            flags = self._lib.nft_ctx_output_get_flags(ctx)
            wanted = flags | _OUTPUT_TERSE if terse else flags & ~_OUTPUT_TERSE
            self._lib.nft_ctx_output_set_flags(ctx, wanted)
            rc = self._lib.nft_run_cmd_from_buffer(ctx, text.encode("utf-8"))
            out = self._lib.nft_ctx_get_output_buffer(ctx) or b""
            err = self._lib.nft_ctx_get_error_buffer(ctx) or b""
        return Result(
            rc == 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace").strip()
        )

    def script(self, text: str) -> Result:
        return self._run(text, terse=False)

    def command(self, *words: str, terse: bool = False) -> Result:
        return self._run(" ".join(words), terse)

    def close(self) -> None:
        if self._ctx is not None:
            self._lib.nft_ctx_free(self._ctx)
            self._ctx = None

    def __del__(self) -> None:  # contexts hold a netlink socket
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass


def nft_executor(command: str, backend: str = "auto") -> NftExecutor:
    """``backend`` ``auto``: in-process libnftables for the plain ``nft`` command when the
    library loads, else the command; ``library``: libnftables or an error;
    ``subprocess``: always the command."""
    argv = split_command(command)
    if backend not in ("auto", "library", "subprocess"):
        raise ValueError(f"nftables_backend must be auto, library or subprocess, not {backend!r}")
    if backend == "library" or (backend == "auto" and argv == ["nft"]):
        try:
            return LibNftables()
        except OSError:
            if backend == "library":
                raise
    return SubprocessNft(argv)
