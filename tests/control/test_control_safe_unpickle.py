"""The restricted unpickler admits plain data and nothing that can run code."""

from __future__ import annotations

import copyreg
import os
import pickle
import pickletools
import time
from typing import Any

import pytest

from hyperban.control.safe_unpickle import UnsafePickleError, safe_loads

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


class _Reduce:
    """Pickles as ``func(*args)``: what an attacker sends."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return self.func, self.args


class _Plain:
    def __init__(self) -> None:
        self.x = 1


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_plain_data_round_trips(proto: int) -> None:
    value = [
        "status",
        "sshd",
        0,
        -(2**70),
        1.5,
        True,
        False,
        None,
        ("tuple", ["nested", {"k": [1, 2]}]),
        {"str": "v", 1: 2, (1, "t"): None},
        "ünïcødé",
    ]
    if proto >= 3:  # before protocol 3, bytes pickle as a call to _codecs.encode
        value.append(b"\x00bytes")
    assert safe_loads(pickle.dumps(value, proto)) == value


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_reduce_payload_is_refused_and_never_runs(proto: int, tmp_path: Any) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Reduce(os.system, f"touch {marker}"), proto)
    with pytest.raises(UnsafePickleError, match=r"forbidden global (os|posix)\.system"):
        safe_loads(payload)
    assert not marker.exists()


def test_payload_is_real() -> None:
    # The same construction through plain pickle.loads does call the function:
    # the refusals above are the unpickler's doing, not a broken payload.
    payload = pickle.dumps(_Reduce(os.getpid), 2)
    assert pickle.loads(payload) == os.getpid()
    assert "REDUCE" in {op.name for op, _, _ in pickletools.genops(payload)}
    with pytest.raises(UnsafePickleError):
        safe_loads(payload)


@pytest.mark.parametrize("proto", PROTOCOLS)
@pytest.mark.parametrize("func", [eval, exec, __import__, getattr, open])
def test_builtin_callables_refused(proto: int, func: Any) -> None:
    with pytest.raises(UnsafePickleError, match=r"forbidden global (builtins|__builtin__|io)\."):
        safe_loads(pickle.dumps(_Reduce(func, "1"), proto))


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_payload_hidden_in_a_command_list(proto: int) -> None:
    payload = pickle.dumps(["set", "sshd", "banip", [_Reduce(os.system, "id")]], proto)
    with pytest.raises(UnsafePickleError):
        safe_loads(payload)


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_objects_refused(proto: int) -> None:
    with pytest.raises(UnsafePickleError):
        safe_loads(pickle.dumps(_Plain(), proto))


@pytest.mark.parametrize(
    "payload",
    [
        b"cos\nsystem\n.",  # GLOBAL alone
        b"\x80\x04\x8c\x02os\x8c\x06system\x93.",  # STACK_GLOBAL alone
        b"(S'echo hi'\nios\nsystem\n.",  # INST
        b"(cos\nsystem\nS'echo hi'\no.",  # OBJ
        b"cos\nsystem\n(S'echo hi'\ntR.",  # GLOBAL + REDUCE
        b"\x80\x02cbuiltins\nobject\n)\x81.",  # NEWOBJ
        b"\x80\x04cbuiltins\nobject\n)}\x92.",  # NEWOBJ_EX
        b"\x80\x02ccopyreg\n_reconstructor\n.",  # the helper pickle uses for objects
    ],
)
def test_hand_written_opcodes_refused(payload: bytes) -> None:
    with pytest.raises(UnsafePickleError):
        safe_loads(payload)


def test_extension_registry_refused() -> None:
    code = 0x7FFF0001  # EXT4: a code far from any registered one
    copyreg.add_extension("os", "system", code)
    try:
        payload = b"\x80\x02\x84" + code.to_bytes(4, "little") + b"X\x02\x00\x00\x00idq\x85R."
        with pytest.raises(UnsafePickleError, match=r"os\.system"):
            safe_loads(payload)
    finally:
        copyreg.remove_extension("os", "system", code)


@pytest.mark.parametrize("payload", [b"P1\n.", b"\x80\x02K\x01Q."])
def test_persistent_ids_refused(payload: bytes) -> None:
    with pytest.raises(UnsafePickleError, match="persistent"):
        safe_loads(payload)


@pytest.mark.parametrize(
    "value", [{1, 2}, frozenset({"a"}), bytearray(b"x")], ids=["set", "frozenset", "bytearray"]
)
def test_other_builtin_types_refused(value: Any) -> None:
    for proto in PROTOCOLS:
        with pytest.raises(UnsafePickleError):
            safe_loads(pickle.dumps(value, proto))


def test_out_of_band_buffer_refused() -> None:
    with pytest.raises(pickle.UnpicklingError):
        safe_loads(b"\x80\x05\x97.")  # NEXT_BUFFER


def test_build_on_plain_data_refused() -> None:
    with pytest.raises(pickle.UnpicklingError):
        safe_loads(b"}(S'a'\nI1\ndb.")  # BUILD on a dict: setstate needs an object


@pytest.mark.parametrize(
    "payload", [b"", b"\x80", b"\x80\x04\x95", b"garbage", b"(lp0\n", b"\x80\x02h\x05."]
)
def test_malformed_raises_unpickling_error(payload: bytes) -> None:
    with pytest.raises(pickle.UnpicklingError):
        safe_loads(payload)


def test_cycles_and_shared_references_are_cheap() -> None:
    cyclic: list[Any] = ["a"]
    cyclic.append(cyclic)
    out = safe_loads(pickle.dumps(cyclic, 4))
    assert out[1] is out
    # 2**200 paths, 200 distinct lists: the check must visit each list once.
    node: list[Any] = []
    for _ in range(200):
        node = [node, node]
    payload = pickle.dumps(node, 4)
    start = time.monotonic()
    safe_loads(payload)
    assert time.monotonic() - start < 1.0


def test_deep_nesting_does_not_overflow_the_checker() -> None:
    # Build the pickle by hand: 100,000 nested lists, no recursion involved.
    payload = b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b"."
    value = safe_loads(payload)
    assert isinstance(value, list)
