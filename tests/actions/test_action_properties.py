"""``get/set JAIL action ACT ...`` on the action objects: what a command, native or
Python action lists, answers and accepts (the client commands are in tests/control and,
side by side with fail2ban, tests/daemon/test_client_oracle.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from action_helpers import FakeJail, info_for, make_definition

from hyperban.actions import CommandAction
from hyperban.actions.base import ActionBase, ForeignAction, inspectable
from hyperban.actions.ipv6 import set_allowipv6
from hyperban.actions.native.nftables import NftablesAction


def _command_action(target: Path) -> CommandAction:
    definition = make_definition(
        {
            "actionban": "echo +<ip> <to_target>",
            "actionunban": "echo -<ip> <to_target>",
        },
        params={"target": str(target), "to_target": ">> <target>", "timeout": "30"},
    )
    return CommandAction(FakeJail(), definition)


def test_command_action_lists_fail2ban_names(tmp_path: Path) -> None:
    action = _command_action(tmp_path / "out")
    names = action.property_names()
    # the commands fail2ban's CommandAction always has, configured or not
    for name in ("actionban", "actioncheck", "actionflush", "actionrepair", "actionstop"):
        assert name in names
    assert {"actname", "banEpoch", "name", "target", "timeout", "to_target"} <= set(names)
    assert names == sorted(names)
    assert "consistencyCheck" in action.method_names()


def test_command_action_answers_resolved_values(tmp_path: Path) -> None:
    target = tmp_path / "out"
    action = _command_action(target)
    # the configuration's tags are resolved; the ban's stay for each ban to fill in
    assert action.get_property("actionban") == f"echo +<ip> >> {target}"
    assert action.get_property("to_target") == f">> {target}"
    assert action.get_property("actioncheck") == ""  # not configured: empty, as fail2ban
    assert action.get_property("timeout") == 30
    assert action.get_property("actname") == "act"
    assert action.get_property("banEpoch") == 0
    with pytest.raises(AttributeError, match="'CommandAction' object has no attribute 'nope'"):
        action.get_property("nope")


def test_command_action_set_changes_what_runs(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    action = _command_action(first)
    assert action.ban(info_for("192.0.2.1"))
    action.set_property("target", str(second))  # <to_target> follows it
    assert action.ban(info_for("192.0.2.2"))
    action.set_property("actionban", "echo banned <ip> <to_target>")
    assert action.ban(info_for("192.0.2.3"))
    assert first.read_text() == "+192.0.2.1\n"
    assert second.read_text() == "+192.0.2.2\nbanned 192.0.2.3\n"


def test_command_action_set_special_names(tmp_path: Path) -> None:
    action = _command_action(tmp_path / "out")
    action.set_property("timeout", "1m")
    assert (action.timeout, action.get_property("timeout")) == (60.0, 60)
    for bad in ("abc", "0"):
        with pytest.raises(ValueError, match="invalid action timeout"):
            action.set_property("timeout", bad)
    assert action.timeout == 60.0  # unchanged
    action.set_property("bantime", "1h")  # ignored, as fail2ban ignores it here
    assert "bantime" not in action.property_names()
    action.set_property("banEpoch", "3")
    assert action.ban_epoch == 3
    # the action's switches, not commands
    action.set_property("norestored", "true")
    action.set_property("actionstart_on_demand", "yes")
    assert action.norestored is True and action.start_on_demand is True
    assert action.command("actionstart_on_demand") == ""
    action.set_property("actionprolong", "echo <ip>")
    assert action.get_property("actionprolong") == "echo <ip>"
    action.set_property("blocktype", "reject")  # a new name is a new property
    assert action.get_property("blocktype") == "reject"
    with pytest.raises(AttributeError):
        action.set_property("ban", "x")  # a method, not a property


def test_command_action_methods(tmp_path: Path) -> None:
    action = _command_action(tmp_path / "out")
    assert action.call_method("consistencyCheck", {}) is True  # no actioncheck: sane
    with pytest.raises(AttributeError):
        action.call_method("executeCmd", {})
    with pytest.raises(TypeError):
        action.call_method("stop", {"force": True})


def test_native_action_shows_its_options_and_refuses_changes() -> None:
    action = NftablesAction(
        FakeJail("sshd"), "hyperban-nftables", {"port": "ssh", "nftables_backend": "subprocess"}
    )
    assert action.property_names() == ["actname", "banEpoch", "nftables_backend", "port"]
    assert action.get_property("port") == "ssh"
    assert action.get_property("actname") == "hyperban-nftables"
    with pytest.raises(ValueError, match="cannot change while it runs"):
        action.set_property("port", "2222")
    with pytest.raises(AttributeError):
        action.get_property("table_name")
    assert "consistencyCheck" in action.method_names()


class _MailAction(ActionBase):
    """A Python action as action.d/*.py defines them."""

    def __init__(self, jail: Any, name: str, dest: str = "root") -> None:
        super().__init__(jail, name)
        self.dest = dest

    def notify(self, subject: str = "") -> str:
        return f"mail {self.dest}: {subject}"


@pytest.mark.parametrize("wrap", [False, True])
def test_python_actions_are_inspected_as_fail2ban_does(wrap: bool) -> None:
    raw = _MailAction(FakeJail(), "mail")
    # fail2ban's own ActionBase (fail2ban importable) gets the same, through a view
    action = ForeignAction(raw) if wrap else inspectable(raw)
    assert "dest" in action.property_names() and "notify" in action.method_names()
    assert action.get_property("dest") == "root"
    action.set_property("dest", "admin")
    assert action.call_method("notify", {"subject": "hi"}) == "mail admin: hi"
    action.set_property("extra", "1")  # setattr, as fail2ban's transmitter does
    assert raw.extra == "1"  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        action.get_property("_jail")
    with pytest.raises(AttributeError):
        action.set_property("notify", "x")


def test_allowipv6_decides_the_families_started(tmp_path: Path) -> None:
    """fail2ban's ``allowipv6``: with family sections, ``inet6`` starts only when IPv6
    is allowed (``auto`` asks the system)."""
    definition = make_definition(
        {"actionstart": "echo <family> >> " + str(tmp_path / "started")},
        params={"blocktype?family=inet6": "reject"},
        actionstart_on_demand=False,
    )
    action = CommandAction(FakeJail(), definition)
    try:
        set_allowipv6("no")
        assert action.families == ["inet4"]
        set_allowipv6("yes")
        assert action.families == ["inet4", "inet6"]
        action.start()
        assert (tmp_path / "started").read_text() == "inet4\ninet6\n"
        with pytest.raises(ValueError, match="allowipv6 must be auto, yes or no"):
            set_allowipv6("sometimes")
        assert action.families == ["inet4", "inet6"]  # unchanged
    finally:
        set_allowipv6("auto")
