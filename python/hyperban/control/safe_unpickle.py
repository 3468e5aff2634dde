"""A restricted unpickler for requests from the stock ``fail2ban-client``.

fail2ban's client speaks pickle, and a plain ``pickle.loads`` of bytes read
from the control socket would run any code the sender chooses (a ``REDUCE``
of ``os.system``, say).  hyperban only unpickles socket data here, and this
unpickler admits plain data only:

    str, bytes, int, float, bool, None, list, tuple, dict

How that is enforced:

* every way a pickle names a Python object (``GLOBAL``, ``STACK_GLOBAL``,
  ``INST``, ``OBJ``, the ``EXT*`` extension registry) goes through
  ``find_class``, which always raises; without a class or callable there is
  nothing for ``REDUCE``, ``NEWOBJ`` or ``BUILD`` to call;
* ``persistent_load`` raises; out-of-band buffers are refused (``buffers=()``);
* the result is then walked (iteratively, each container once, so shared or
  cyclic references cannot blow up time or the stack) and any other type
  (``set``/``frozenset``/``bytearray``, which have opcodes of their own) is
  refused.

The caller bounds the input size; the data can then be at most a few times
that size in memory.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

__all__ = ["ALLOWED_TYPES", "UnsafePickleError", "safe_loads"]

ALLOWED_TYPES: tuple[type, ...] = (str, bytes, int, float, bool, type(None), list, tuple, dict)


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names an object, or builds a type that is not plain data."""


class _DataOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # Also reached from the EXT1/2/4 opcodes, after the registry lookup.
        raise UnsafePickleError(f"forbidden global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("persistent ids are not allowed")


def _check_plain(value: Any) -> None:
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)  # exact types: a subclass would need a global anyway
        if kind not in ALLOWED_TYPES:
            raise UnsafePickleError(f"type {kind.__name__} is not allowed")
        if kind in (list, tuple, dict):
            if id(item) in seen:
                continue
            seen.add(id(item))
            if kind is dict:
                stack.extend(item.keys())
                stack.extend(item.values())
            else:
                stack.extend(item)


def safe_loads(data: bytes) -> Any:
    """Unpickle ``data`` admitting plain data only; raise ``UnpicklingError`` otherwise.

    Malformed input raises ``pickle.UnpicklingError`` too (whatever the
    underlying parser raised is chained), so callers catch one type.
    """
    try:
        value = _DataOnlyUnpickler(io.BytesIO(data), buffers=()).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # truncated, bad opcode, bad memo index, ...
        raise pickle.UnpicklingError(f"malformed pickle: {exc}") from exc
    _check_plain(value)
    return value
