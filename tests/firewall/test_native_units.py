"""The pure parts of the native actions: no root, no kernel."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from hyperban.actions.native.errors import NativeActionError
from hyperban.actions.native.isolate import apply_isolating
from hyperban.actions.native.items import parse_item
from hyperban.actions.native.names import safe_name
from hyperban.actions.native.ports import parse_match


def test_timeout_is_remaining_time_plus_grace() -> None:
    info = {"ip": "192.0.2.1", "bantime": 600, "time": 1000.0}
    assert parse_item(info, grace=60, now=1100.0).timeout == 560  # type: ignore[union-attr]
    assert parse_item({**info, "bantime": -1}, now=1100.0).timeout is None  # type: ignore[union-attr]
    # Over already: a short timeout, never a negative one.
    assert parse_item(info, grace=0, now=9999.0).timeout == 1  # type: ignore[union-attr]
    # Beyond what the firewall takes: no timeout, the daemon's unban lifts it.
    assert parse_item({**info, "bantime": 10**9}, now=1000.0).timeout is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("192.0.2.1", ("192.0.2.1", 4)),
        ("2001:DB8:0::1", ("2001:db8::1", 6)),
        ("192.0.2.1/32", ("192.0.2.1", 4)),
        ("192.0.2.0/24", None),
        ("010.0.0.1", None),
        ("example.com", None),
        ("1.2.3.4 } ; flush ruleset", None),
    ],
)
def test_addresses_are_checked(raw: str, expected: tuple[str, int] | None) -> None:
    item = parse_item({"ip": raw, "bantime": 1})
    assert (None if item is None else (item.ip, item.version)) == expected


def test_ports_and_protocols() -> None:
    match = parse_match({"port": "ssh,8000:8100", "protocol": "tcp,udp"}, allports=False)
    assert match.nft_rules() == ["tcp dport { ssh, 8000-8100 }", "udp dport { ssh, 8000-8100 }"]
    assert match.iptables_rules()[0] == [
        "-p",
        "tcp",
        "-m",
        "multiport",
        "--dports",
        "ssh,8000:8100",
    ]
    assert parse_match({"protocol": "tcp"}, allports=True).nft_rules() == ["meta l4proto { tcp }"]
    assert parse_match({"protocol": "all"}, allports=True).nft_rules() == [""]
    for bad in ({"port": "22; flush ruleset"}, {"protocol": "tcp }"}, {"port": ""}):
        with pytest.raises(NativeActionError):
            parse_match(bad, allports=False)


def test_names_are_safe_and_distinct() -> None:
    assert safe_name("sshd") == "sshd"
    assert safe_name("my jail") != safe_name("my_jail")
    assert safe_name("0day")[0].isalpha()
    assert len(safe_name("x" * 80, limit=26)) <= 26


def test_bisection_finds_each_bad_item_and_skips_when_unhealthy() -> None:
    bad = {3, 17}
    calls: list[int] = []

    def apply(part: Sequence[int]) -> bool:
        calls.append(len(part))
        return not bad.intersection(part)

    flags = apply_isolating(list(range(32)), apply, lambda: True, chunk=1000)
    assert [i for i, ok in enumerate(flags) if not ok] == [3, 17]
    assert len(calls) < 32  # log-many transactions, not one per item

    calls.clear()
    assert apply_isolating(list(range(32)), apply, lambda: False, chunk=1000) == [False] * 32
    assert calls == [32]  # the firewall is broken: no bisection


def test_chunks_are_separate_transactions() -> None:
    sizes: list[int] = []
    apply_isolating(list(range(25)), lambda p: sizes.append(len(p)) or True, lambda: True, chunk=10)
    assert sizes == [10, 10, 5]
