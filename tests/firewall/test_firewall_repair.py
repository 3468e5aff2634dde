"""A firewall that lost our bans (``nft flush ruleset``, ``iptables -F``: a firewall
service reloaded under us) heals as in fail2ban: the banned address fails again more
than 3 s after its ban, the action's check finds its chain gone, the action sets it up
again, and the ban is applied again ("Reban") -- all against a real kernel in a
namespace, through the jail's ban side."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
from fw_support import action_definition, pair_fixture  # noqa: F401 -- the fixture
from netns import NetnsPair

from hyperban.actions.info import ActionInfo
from hyperban.server import Clock, FailTicket, Ticket
from hyperban.server.jailactions import JailActions

loader = pytest.importorskip("hyperban.actions.loader")


# How each kind of firewall is wiped, as a reload of the firewall service would.
WIPE = {
    "hyperban-nftables": [["nft", "flush", "ruleset"]],
    "nftables-multiport": [["nft", "flush", "ruleset"]],
    "iptables-multiport": [["iptables", "-F"], ["iptables", "-X"]],
}


class _Jail:
    name = "sshd"
    database = None
    bantime = 600


@pytest.mark.parametrize("kind", sorted(WIPE))
def test_wiped_firewall_is_restored_and_the_ban_applied_again(
    pair: NetnsPair,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    wrappers = pair.wrap_tools(str(tmp_path / "bin"), pair.server, ["nft", "iptables"])
    monkeypatch.setenv("PATH", f"{wrappers}:{os.environ['PATH']}")
    jail = _Jail()
    t0 = time.time()

    def make_info(ticket: Ticket) -> ActionInfo:
        return ActionInfo(ticket, jail)

    actions = JailActions("sshd", make_info=make_info, clock=Clock(t0))
    client, server = pair.client_v4, pair.server_v4

    def fail(at: float) -> None:
        ticket = FailTicket(client, at)
        ticket.setRetry(5)
        actions.put_ban(ticket)
        actions.run_once(at)

    with pair.inside(pair.server):
        for action in loader.build_actions(jail, [action_definition(kind)]):
            actions.add(action)
        actions.start_actions()
        try:
            fail(t0)
            assert not pair.can_connect(server)
            for argv in WIPE[kind]:
                pair.run(pair.server, *argv)
            assert pair.can_connect(server)  # the ban is gone with the firewall
            with caplog.at_level(logging.INFO, "hyperban"):
                fail(t0 + 5)
            assert not pair.can_connect(server)
            messages = [r.getMessage() for r in caplog.records]
            assert f"[sshd] {client} already banned" in messages
            assert any(m.startswith(f"[sshd] Reban {client}") for m in messages)
        finally:
            actions.flush()
            actions.stop_actions()
