"""Bring hyperban's results and fail2ban's command streams to one comparable shape."""

from __future__ import annotations

import json
import shlex
from typing import Any

from hyperban.config import ActionDefinition, FilterDefinition, JailDefinition
from hyperban.config.actions import PythonActionDefinition

FILTER_STEPS = {
    "usedns",
    "maxlines",
    "prefregex",
    "addfailregex",
    "addignoreregex",
    "datepattern",
    "addjournalmatch",
}


def my_filter_steps(commands: list[tuple[str, object]]) -> list[list[Any]]:
    """hyperban's filter set-up steps in fail2ban's step notation."""
    out: list[list[Any]] = []
    for what, value in commands:
        if what in ("failregex", "ignoreregex"):
            out.append(["add" + what, list(value)])  # type: ignore[call-overload]
        elif what == "journalmatch":
            out.append(["addjournalmatch", *shlex.split(str(value))])
        else:
            out.append([what, value])
    return out


def fold_filter_steps(steps: list[list[Any]]) -> dict[str, Any]:
    """What the server ends up with after the steps: lists add up, values are replaced."""
    out: dict[str, Any] = {
        "failregex": [],
        "ignoreregex": [],
        "journalmatch": [],
        "prefregex": None,
        "maxlines": None,
        "datepattern": None,
        "usedns": None,
    }
    for step in steps:
        what = step[0]
        if what == "addfailregex":
            out["failregex"].extend(step[1])
        elif what == "addignoreregex":
            out["ignoreregex"].extend(step[1])
        elif what == "addjournalmatch":
            out["journalmatch"].append(step[1:])
        elif what in ("prefregex", "maxlines", "datepattern", "usedns"):
            out[what] = step[1]
    return out


def filter_folded(flt: FilterDefinition | None) -> dict[str, Any]:
    if flt is None:
        return fold_filter_steps([])
    return {
        "failregex": list(flt.failregex),
        "ignoreregex": list(flt.ignoreregex),
        "journalmatch": flt.journalmatch_args,
        "prefregex": flt.prefregex,
        "maxlines": flt.maxlines,
        "datepattern": flt.datepattern,
        "usedns": flt.usedns,
    }


def oracle_jail(item: dict[str, Any]) -> dict[str, Any]:
    """A jail of the oracle in the comparable shape."""
    options = dict(item["options"])
    error = options.pop("config-error", None)
    result: dict[str, Any] = {"name": item["name"], "options": options, "error": error}
    if error:
        return result
    filter_steps: list[list[Any]] = []
    settings: dict[str, Any] = {}
    actions: list[Any] = []
    backend = None
    ignoreip = None
    current: dict[str, Any] | None = None
    for step in item["steps"]:
        what = step[0]
        if what == "add":
            backend = step[2]
        elif what in FILTER_STEPS:
            filter_steps.append(step)
        elif what in "datepattern":
            # fail2ban passes filter options named like a substring of "datepattern"
            # ("a", "date", ...) on as settings the server rejects; not modelled.
            continue
        elif what == "addignoreip":
            ignoreip = step[1:]
        elif what == "addaction":
            if len(step) > 2:  # python action: name, path, json params
                actions.append(["py", step[1], step[2], json.loads(step[3])])
                current = None
            else:
                current = {}
                actions.append(["cmd", step[1], current])
        elif what == "action":
            assert current is not None
            for key, value in step[2]:
                current[key] = value
        else:
            assert len(step) == 2, step
            settings[what] = step[1]
    result.update(
        backend=backend,
        filter=fold_filter_steps(filter_steps),
        settings=settings,
        ignoreip=ignoreip,
        actions=actions,
    )
    return result


def action_settings(action: ActionDefinition) -> dict[str, Any]:
    out: dict[str, Any] = dict(action.commands)
    for flag in ("actionstart_on_demand", "actionrepair_on_unban", "norestored"):
        value = getattr(action, flag)
        if value is not None:
            out[flag] = value
    out.update(action.params)
    return out


def my_jail(jail: JailDefinition) -> dict[str, Any]:
    """A hyperban jail in the comparable shape."""
    result: dict[str, Any] = {"name": jail.name, "options": dict(jail.options), "error": jail.error}
    if jail.error:
        return result
    actions: list[Any] = []
    for act in jail.actions:
        if isinstance(act, PythonActionDefinition):
            actions.append(["py", act.name, act.file, act.params])
        else:
            actions.append(["cmd", act.name, action_settings(act)])
    result.update(
        backend=jail.backend,
        filter=filter_folded(jail.filter),
        settings=dict(jail.settings),
        ignoreip=jail.ignoreip if "ignoreip" in jail.options else None,
        actions=actions,
    )
    return result
