"""fail2ban's own nftables-multiport and iptables-multiport, run through our loader.

The stock action.d files call ``nft``/``iptables`` by name from shell commands; wrapper
scripts first in PATH run them inside the server namespace (and the calling thread is in
it too), so the host's firewall is never touched -- which the test also checks.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fw_support import FakeJail, action_definition, host_ruleset, pair_fixture  # noqa: F401 -- the fixture
from netns import NetnsPair

loader = pytest.importorskip("hyperban.actions.loader", reason="actions.loader not written yet")


@pytest.mark.parametrize(
    "kind",
    [
        "nftables-multiport",
        "nftables-allports",
        "iptables-multiport",
        "iptables-allports",
        "iptables-ipset-proto6",
        "iptables-ipset-proto6-allports",
        "route",
        "hyperban-nftables",
    ],
)
@pytest.mark.parametrize("family", [4, 6])
def test_action_drops_then_flows(
    pair: NetnsPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, family: int
) -> None:
    # not "ip": the wrappers themselves run "ip netns exec"; route's "ip route" runs in
    # the namespace anyway, as a child of this thread (which is inside it)
    tools = ["nft", "iptables", "ip6tables", "ipset"]
    wrappers = pair.wrap_tools(str(tmp_path / "bin"), pair.server, tools)
    monkeypatch.setenv("PATH", f"{wrappers}:{os.environ['PATH']}")
    before = host_ruleset()
    client = pair.client_v4 if family == 4 else pair.client_v6
    server = pair.server_v4 if family == 4 else pair.server_v6
    info = {
        "ip": client,
        "family": f"inet{family}",
        "bantime": 600,
        "time": time.time(),
        "failures": 5,
    }
    with pair.inside(pair.server):
        (act,) = loader.build_actions(FakeJail("sshd"), [action_definition(kind)])
        act.start()
        try:
            assert pair.can_connect(server)
            assert act.ban_many([info]) == [True]
            assert not pair.can_connect(server)
            assert act.unban_many([info]) == [True]
            assert pair.can_connect(server)
        finally:
            act.stop()
    assert host_ruleset() == before
