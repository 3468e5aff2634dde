"""hyperban-ipset (and the fallback of hyperban-nftables without nft), in a namespace."""

from __future__ import annotations

import shutil
import time
from typing import Any

import pytest
from fw_support import PORT, FakeJail, pair_fixture  # noqa: F401 -- the fixture
from netns import NetnsPair

from hyperban.actions.native import IpsetAction, create_native_action

pytestmark = pytest.mark.skipif(
    shutil.which("ipset") is None or shutil.which("iptables") is None,
    reason="ipset/iptables not installed (apt-get install ipset iptables)",
)


def ban(ip: str, bantime: float = 600) -> dict[str, Any]:
    return {"ip": ip, "bantime": bantime, "time": time.time()}


def action(pair: NetnsPair, kind: str = "hyperban-ipset", **params: str) -> IpsetAction:
    with pair.inside(pair.server):
        act = create_native_action(kind, FakeJail("sshd"), kind, {"port": str(PORT), **params})
    assert isinstance(act, IpsetAction)
    return act


@pytest.mark.parametrize("family", [4, 6])
def test_ipset_drops_then_flows(pair: NetnsPair, family: int) -> None:
    act = action(pair)
    client = pair.client_v4 if family == 4 else pair.client_v6
    server = pair.server_v4 if family == 4 else pair.server_v6
    with pair.inside(pair.server):
        act.start()
        act.start()  # idempotent: one rule, not two
        assert act.ban_many([ban(client)]) == [True]
        assert not pair.can_connect(server)
        assert act.unban_many([ban(client), ban(client)]) == [True, True]
        assert pair.can_connect(server)
        act.stop()
    rules = pair.run(pair.server, "iptables-save") + pair.run(pair.server, "ip6tables-save")
    assert "hb-sshd" not in rules
    assert "hb-sshd" not in pair.run(pair.server, "ipset", "list", "-n")


def test_nftables_falls_back_to_ipset_without_nft(pair: NetnsPair) -> None:
    act = action(pair, "hyperban-nftables", nftables="/nonexistent/nft")
    with pair.inside(pair.server):
        act.start()
        assert act.ban_many([ban(pair.client_v4), ban("10.9.0.1"), ban("bad")]) == [
            True,
            True,
            False,
        ]
        assert not pair.can_connect(pair.server_v4)
        act.stop()


def test_ipset_isolates_a_refused_line(pair: NetnsPair) -> None:
    act = action(pair, maxelem="4")  # the 5th distinct entry does not fit
    with pair.inside(pair.server):
        act.start()
        result = act.ban_many([ban(f"10.9.0.{i}") for i in range(1, 7)])
        act.stop()
    assert result == [True] * 4 + [False] * 2
