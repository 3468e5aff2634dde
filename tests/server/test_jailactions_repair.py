"""Repeat failures of banned addresses, as fail2ban's ``Actions.__checkBan`` treats them:
the "already banned" line grows louder with the delay, the actions check their firewall
state (at most every 3 s), and a ban an action lost is applied again ("Reban") on that
action only."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest

from hyperban.actions.base import ActionBase
from hyperban.config.server import NOTICE
from hyperban.server import BanTicket, Clock, FailTicket
from hyperban.server.jailactions import JailActions

T0 = 1_700_000_000.0
IP = "192.0.2.7"


class FirewallState(ActionBase):
    """An action whose "firewall" is a set of addresses; ``lose()`` empties it the way a
    firewall reload would, and its consistency check notices and rebuilds."""

    def __init__(self, name: str) -> None:
        super().__init__(None, name)
        self.held: set[str] = set()
        self.intact = True
        self.checks = 0
        self.rebans: list[list[str]] = []

    def lose(self) -> None:
        self.held.clear()
        self.intact = False

    def ban_many(self, infos: Sequence[Any]) -> list[bool]:
        self.held.update(info["ip"] for info in infos)
        return [True] * len(infos)

    def unban_many(self, infos: Sequence[Any]) -> list[bool]:
        self.held.difference_update(info["ip"] for info in infos)
        return [True] * len(infos)

    def reban_many(self, infos: Sequence[Any]) -> list[bool]:
        self.rebans.append([info["ip"] for info in infos])
        return self.ban_many(infos)

    def consistency_check(self) -> bool:
        self.checks += 1
        if self.intact:
            return True
        self.intact = True
        self.ban_epoch += 1
        return False


def _jail(*names: str) -> tuple[JailActions, list[FirewallState]]:
    actions = JailActions("sshd", make_info=lambda t: {"ip": str(t.getID())}, clock=Clock(T0))
    states = [FirewallState(name) for name in names]
    for state in states:
        actions.add(state)
    return actions, states


def _fail(actions: JailActions, at: float, ip: str = IP) -> None:
    """A failure of ``ip`` at ``at`` reaching the ban side (maxretry reached)."""
    actions.put_ban(FailTicket(ip, at))
    actions.run_once(at)


def _levels(caplog: pytest.LogCaptureFixture, text: str) -> list[int]:
    return [r.levelno for r in caplog.records if r.getMessage() == text]


def test_ban_and_unban_are_logged_at_notice(caplog: pytest.LogCaptureFixture) -> None:
    actions, _ = _jail("nft")
    with caplog.at_level(logging.DEBUG, "hyperban"):
        _fail(actions, T0)
        actions.unban([IP], T0 + 1)
    assert _levels(caplog, f"[sshd] Ban {IP}") == [NOTICE]
    assert _levels(caplog, f"[sshd] Unban {IP}") == [NOTICE]


def test_already_banned_grows_louder_with_the_delay(caplog: pytest.LogCaptureFixture) -> None:
    actions, _ = _jail("nft")
    with caplog.at_level(logging.DEBUG, "hyperban"):
        for delay in (0, 2, 10, 59, 61, 300):
            _fail(actions, T0 + delay)
    levels = _levels(caplog, f"[sshd] {IP} already banned")
    assert levels == [logging.DEBUG, NOTICE, NOTICE, logging.WARNING, logging.WARNING]


def test_a_lost_ban_is_applied_again_on_the_next_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    actions, (nft,) = _jail("nft")
    _fail(actions, T0)
    assert nft.held == {IP}
    nft.lose()
    with caplog.at_level(logging.DEBUG, "hyperban"):
        # within 3 s of the ban: no check (the firewall may still be catching up)
        _fail(actions, T0 + 2)
        assert nft.checks == 0 and nft.held == set()
        _fail(actions, T0 + 5)
    assert nft.checks == 1
    assert nft.rebans == [[IP]]
    assert nft.held == {IP}
    assert _levels(caplog, f"[sshd] Reban {IP}, action 'nft'") == [NOTICE]
    # applied again once: the next failure finds the ban in the current epoch
    _fail(actions, T0 + 9)
    assert nft.rebans == [[IP]]


def test_checks_run_at_most_every_three_seconds() -> None:
    actions, (nft,) = _jail("nft")
    _fail(actions, T0)
    for step in range(1, 21):  # a banned address failing every half second for 10 s
        _fail(actions, T0 + 3 + step * 0.5)
    # at +3.5 (first repeat more than 3 s after the ban), then every 3 s or more
    assert nft.checks == 3


def test_only_the_action_that_lost_the_ban_applies_it_again() -> None:
    actions, (nft, mail) = _jail("nft", "mail")
    _fail(actions, T0)
    nft.lose()
    _fail(actions, T0 + 5)
    assert nft.rebans == [[IP]]
    assert mail.rebans == []
    # later the other action loses it: only that one applies it again
    mail.lose()
    _fail(actions, T0 + 10)
    assert (nft.rebans, mail.rebans) == ([[IP]], [[IP]])


def test_other_lost_bans_come_back_as_their_addresses_fail() -> None:
    actions, (nft,) = _jail("nft")
    others = ["192.0.2.8", "192.0.2.9"]
    for ip in [IP, *others]:
        _fail(actions, T0, ip)
    nft.lose()
    _fail(actions, T0 + 5)  # the check runs on this one and finds the loss
    assert nft.held == {IP}
    _fail(actions, T0 + 6, others[0])  # no new check needed: its epoch is old
    assert nft.held == {IP, others[0]}
    assert nft.checks == 1


def test_a_ticket_banned_before_its_actions_ran_is_left_alone() -> None:
    actions, (nft,) = _jail("nft")
    ticket = BanTicket(IP, T0)
    assert actions.ban_manager.addBanTicket(ticket, now=T0)  # in the list, not applied
    _fail(actions, T0 + 5)
    assert nft.checks == 0 and nft.rebans == []


class Flushing(FirewallState):
    """An action with a flush of its own (a set emptied at once)."""

    def flush(self) -> bool:
        self.held.clear()
        return True


def test_flush_is_logged_as_in_fail2ban(caplog: pytest.LogCaptureFixture) -> None:
    actions = JailActions("sshd", make_info=lambda t: {"ip": str(t.getID())}, clock=Clock(T0))
    flushing, plain = Flushing("nft"), FirewallState("mail")
    actions.add(flushing)
    actions.add(plain)
    _fail(actions, T0)
    with caplog.at_level(logging.DEBUG, "hyperban"):
        assert actions.flush(T0 + 1) == 1
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    # the action with a flush is flushed, the other unbans each address; each lifted
    # ban is logged once
    assert (NOTICE, "[sshd] Flush ticket(s) with nft") in messages
    assert messages.count((NOTICE, f"[sshd] Unban {IP}")) == 1
    assert flushing.held == set() and plain.held == set()
