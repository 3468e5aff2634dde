"""Shared helpers of the action tests: a minimal jail, definitions and tickets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hyperban.actions.info import ActionInfo
from hyperban.config.actions import ActionDefinition
from hyperban.server.ticket import BanTicket


@dataclass
class FakeJail:
    """Satisfies hyperban.actions.info.JailInfo."""

    name: str = "test"
    database: Any = None
    bantime: int = 600
    extra: dict[str, Any] = field(default_factory=dict)


def make_definition(
    commands: dict[str, str], params: dict[str, str] | None = None, **flags: Any
) -> ActionDefinition:
    return ActionDefinition(
        name=flags.pop("name", "act"),
        action="act",
        jail="test",
        file="<test>",
        files=[],
        commands=commands,
        params={"name": "test", "actname": "act", **(params or {})},
        **flags,
    )


def info_for(ip: str = "192.0.2.1", jail: Any = None, **data: Any) -> ActionInfo:
    matches = data.pop("matches", None)
    restored = data.pop("restored", False)
    ticket = BanTicket(ip, 1_700_000_000.0, matches=matches, data=data or None)
    ticket.restored = restored
    return ActionInfo(ticket, jail or FakeJail())
