"""Command dispatch: shapes, arity, unknown commands and jails, never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from control_helpers import DictTarget

from hyperban.control import ControlTarget, Transmitter
from hyperban.control.protocol import ErrorInfo


@pytest.fixture
def target() -> DictTarget:
    return DictTarget()


@pytest.fixture
def tx(target: DictTarget) -> Transmitter:
    return Transmitter(target)


def ok(tx: Transmitter, *cmd: Any) -> Any:
    code, value = tx.proceed(list(cmd))
    assert code == 0, value
    return value


def err(tx: Transmitter, *cmd: Any) -> ErrorInfo:
    code, value = tx.proceed(list(cmd))
    assert code == 1 and isinstance(value, ErrorInfo), value
    return value


def test_dict_target_satisfies_the_protocol(target: DictTarget) -> None:
    assert isinstance(target, ControlTarget)


def test_basic_commands(tx: Transmitter) -> None:
    assert ok(tx, "ping") == "pong"
    assert ok(tx, "ping", 0.1) == "pong"  # the stock client sends its timeout
    assert ok(tx, "version") == "0.1.0"
    assert ok(tx, "echo", "a", "b") == ["a", "b"]
    assert ok(tx, "server-status") == "Server ready"
    assert ok(tx, "flushlogs") == "flushed"
    assert ok(tx, "status") == [("Number of jail", 2), ("Jail list", "nginx, sshd")]


def test_status_jail_and_flavor(tx: Transmitter) -> None:
    basic = ok(tx, "status", "sshd")
    assert basic[1][1][2] == ("Banned IP list", ["192.0.2.1", "192.0.2.2"])
    short = ok(tx, "status", "sshd", "short")
    assert [k for k, _ in short[1][1]] == ["Currently banned", "Total banned"]


@pytest.mark.parametrize(
    "cmd",
    [
        ["status", "nope"],
        ["start", "nope"],
        ["stop", "nope"],
        ["get", "nope", "maxretry"],
        ["get", "nope", "banned"],
        ["get", "nope", "banip"],
        ["set", "nope", "maxretry", "3"],
        ["set", "nope", "banip", "192.0.2.9"],
        ["set", "nope", "unbanip", "192.0.2.9"],
        ["set", "nope", "addignoreip", "192.0.2.9"],
        ["set", "nope", "addlogpath", "/x"],
        ["reload", "nope"],
    ],
)
def test_unknown_jail(tx: Transmitter, cmd: list[str]) -> None:
    e = err(tx, *cmd)
    assert e.kind == "UnknownJail" and e.args == ("nope",)


@pytest.mark.parametrize(
    "cmd",
    [
        ["ping", "1", "2"],
        ["version", "x"],
        ["status", "sshd", "basic", "extra"],
        ["start"],
        ["start", "a", "b"],
        ["stop", "a", "b"],
        ["unban"],
        ["get"],
        ["get", "sshd"],
        ["get", "loglevel", "extra"],
        ["get", "sshd", "maxretry", "extra"],
        ["get", "sshd", "banip", "a", "b"],
        ["set"],
        ["set", "loglevel"],
        ["set", "loglevel", "INFO", "extra"],
        ["set", "sshd", "maxretry"],
        ["set", "sshd", "maxretry", "1", "2"],
        ["set", "sshd", "banip"],
        ["set", "sshd", "unbanip"],
        ["set", "sshd", "unbanip", "--report-absent"],
        ["set", "sshd", "addignoreip"],
        ["set", "sshd", "delignoreip"],
        ["set", "sshd", "addlogpath"],
        ["set", "sshd", "addlogpath", "/a", "tail", "x"],
        ["set", "sshd", "dellogpath"],
        ["flushlogs", "x"],
        ["reload", "a", "b"],
    ],
)
def test_arity(tx: Transmitter, cmd: list[str]) -> None:
    assert err(tx, *cmd).kind == "Arity"


@pytest.mark.parametrize(
    "cmd",
    [
        [],
        "status",
        None,
        42,
        {"cmd": "ping"},
        [1, 2],
        [["ping"]],
        ["frobnicate"],
        ["get", "sshd", "nosuchparam"],
        ["set", "sshd", "nosuchparam", "1"],
        ["status", ["sshd"]],
        ["set", "sshd", "banip", {"ip": 1}],
        ["reload", "--bogus", "sshd"],
        ["reload", "--all", ["--bogus"], []],
        ["get", ["loglevel"], "x"],
        ["set", {"a": 1}, "x"],
        ["get", "sshd", ["maxretry"]],
    ],
)
def test_invalid_commands(tx: Transmitter, cmd: Any) -> None:
    code, value = tx.proceed(cmd)
    assert code == 1 and value.kind == "InvalidCommand", value


@pytest.mark.parametrize(
    "cmd",
    [
        ["add", "jail", "auto"],
        ["multi-set", "sshd", "action", "x", []],
    ],
)
def test_unsupported(tx: Transmitter, cmd: list[str]) -> None:
    e = err(tx, *cmd)
    assert e.kind == "Unsupported" and "not supported" in e.message


def test_action_properties_and_methods(tx: Transmitter, target: DictTarget) -> None:
    act = "iptables-multiport"
    assert ok(tx, "get", "sshd", "actionproperties", act) == ["actionban", "port"]
    assert "consistencyCheck" in ok(tx, "get", "sshd", "actionmethods", act)
    assert ok(tx, "get", "sshd", "action", act, "port") == "ssh"
    assert ok(tx, "set", "sshd", "action", act, "port", "2222") == "2222"
    assert ok(tx, "get", "sshd", "action", act, "port") == "2222"
    # a method name is a call, with its keyword arguments as a JSON object
    assert ok(tx, "set", "sshd", "action", act, "flush") is True
    assert ok(tx, "set", "sshd", "action", act, "stop", '{"force": 1}') is True
    assert target.calls[-2:] == [
        ("call_action_method", ("sshd", act, "flush", {})),
        ("call_action_method", ("sshd", act, "stop", {"force": 1})),
    ]


@pytest.mark.parametrize(
    ("cmd", "kind"),
    [
        (["get", "sshd", "action", "iptables-multiport"], "Arity"),
        (["get", "sshd", "action", "iptables-multiport", "port", "x"], "Arity"),
        (["get", "sshd", "actionproperties"], "Arity"),
        (["set", "sshd", "action", "iptables-multiport", "port"], "Arity"),
        (["set", "sshd", "action", "iptables-multiport", "stop", "[1]"], "ValueError"),
        (["set", "sshd", "action", "iptables-multiport", "stop", "{bad"], "ValueError"),
        (["set", "sshd", "action", "iptables-multiport", "stop", ["no", "t"]], "InvalidCommand"),
        (["set", "sshd", "addaction", "py", "/x/py.py", {"a": 1}], "InvalidCommand"),
        (["set", "sshd", "attempt", ["192.0.2.1"]], "InvalidCommand"),
        (["get", "sshd", "action", "nope", "port"], "KeyError"),
        (["get", "sshd", "actionmethods", "nope"], "KeyError"),
        (["get", "sshd", "action", "iptables-multiport", "nope"], "ValueError"),
        (["get", "nope", "action", "iptables-multiport", "port"], "UnknownJail"),
    ],
)
def test_action_command_errors(tx: Transmitter, cmd: list[str], kind: str) -> None:
    assert err(tx, *cmd).kind == kind


def test_add_and_delete_actions(tx: Transmitter, target: DictTarget) -> None:
    assert ok(tx, "set", "sshd", "addaction", "extra") == "extra"
    assert ok(tx, "set", "sshd", "addaction", "py", "/x/py.py", '{"dest": "root"}') == "py"
    assert target.actions["sshd"]["py"] == {"file": "/x/py.py", "dest": "root"}
    assert err(tx, "set", "sshd", "addaction", "extra").kind == "ValueError"
    assert err(tx, "set", "sshd", "addaction", "py2", "/x/py.py").kind == "Arity"
    assert err(tx, "set", "sshd", "addaction", "py2", "/x/py.py", "[1]").kind == "ValueError"
    assert ok(tx, "set", "sshd", "delaction", "extra") is None
    assert err(tx, "set", "sshd", "delaction", "extra").kind == "KeyError"


def test_journal_matches(tx: Transmitter) -> None:
    assert ok(tx, "set", "sshd", "addjournalmatch", "_COMM=sshd", "+", "_COMM=b") == [
        ["_COMM=sshd", "+", "_COMM=b"]
    ]
    assert err(tx, "set", "sshd", "deljournalmatch", "_COMM=x").kind == "ValueError"
    assert err(tx, "set", "sshd", "addjournalmatch").kind == "Arity"


def test_attempt(tx: Transmitter, target: DictTarget) -> None:
    assert ok(tx, "set", "sshd", "attempt", "192.0.2.5") == 1
    assert ok(tx, "set", "sshd", "attempt", "192.0.2.6", "line one", "line two") == 1
    assert target.attempts == [
        ("sshd", "192.0.2.5", []),
        ("sshd", "192.0.2.6", ["line one", "line two"]),
    ]
    assert err(tx, "set", "sshd", "attempt").kind == "Arity"


def test_bans(tx: Transmitter, target: DictTarget) -> None:
    assert ok(tx, "set", "sshd", "banip", "198.51.100.1", "198.51.100.2") == 2
    assert ok(tx, "set", "sshd", "banip", "198.51.100.1") == 0
    assert ok(tx, "get", "sshd", "banned", "198.51.100.1") == 1
    assert ok(tx, "get", "sshd", "banned", "198.51.100.1", "203.0.113.1") == [1, 0]
    assert ok(tx, "banned", "198.51.100.1") == [["sshd"]]
    assert ok(tx, "get", "sshd", "banip", "--with-time")[0].startswith("192.0.2.1 \t")
    assert ok(tx, "get", "sshd", "banip", ",") == target.jails["sshd"].banned
    assert ok(tx, "set", "sshd", "unbanip", "198.51.100.1", "203.0.113.1") == 1
    e = err(tx, "set", "sshd", "unbanip", "--report-absent", "203.0.113.1")
    assert e.kind == "ValueError" and "not banned" in e.message
    assert ok(tx, "unban", "198.51.100.2") == 1
    assert ok(tx, "unban", "--all") == 2
    assert ok(tx, "banned") == [{"sshd": []}, {"nginx": []}]


def test_jail_params(tx: Transmitter, target: DictTarget) -> None:
    assert ok(tx, "get", "sshd", "maxretry") == 5
    assert ok(tx, "set", "sshd", "maxretry", "7") == 7
    assert target.calls[-1] == ("set_jail_param", ("sshd", "maxretry", 7))
    assert ok(tx, "set", "sshd", "findtime", "10m") == "10m"  # the target parses times
    assert ok(tx, "set", "sshd", "bantime.increment", "true") == "true"
    assert ok(tx, "get", "sshd", "bantime.increment") == "true"
    assert ok(tx, "set", "sshd", "idle", "on") is True
    e = err(tx, "set", "sshd", "idle", "maybe")
    assert e.kind == "ValueError"
    e = err(tx, "set", "sshd", "maxretry", "many")
    assert e.kind == "ValueError" and "invalid literal" in e.message
    assert ok(tx, "set", "sshd", "addignoreip", "10.0.0.0/8", "::2") == [
        "127.0.0.1/8", "::1", "10.0.0.0/8", "::2"
    ]  # fmt: skip
    assert ok(tx, "set", "sshd", "delignoreip", "::1") == ["127.0.0.1/8", "10.0.0.0/8", "::2"]
    assert ok(tx, "set", "sshd", "addlogpath", "/var/log/x", "tail") == [
        "/var/log/auth.log", "/var/log/x"
    ]  # fmt: skip
    assert target.calls[-1] == ("add_log_path", ("sshd", "/var/log/x", True))
    assert err(tx, "set", "sshd", "addlogpath", "/y", "middle").kind == "ValueError"
    assert ok(tx, "set", "sshd", "dellogpath", "/var/log/x") == ["/var/log/auth.log"]
    # regexes: added, then removed by index; an index out of range changes nothing
    assert ok(tx, "set", "sshd", "addfailregex", "^x <HOST>$")[-1] == "^x <HOST>$"
    assert ok(tx, "set", "sshd", "delfailregex", "0") == ["^x <HOST>$"]
    assert ok(tx, "set", "sshd", "delfailregex", "7") == ["^x <HOST>$"]
    assert err(tx, "set", "sshd", "delfailregex", "first").kind == "ValueError"
    assert ok(tx, "set", "sshd", "addignoreregex", "^y$") == ["^y$"]
    assert ok(tx, "set", "sshd", "delignoreregex", "0") == []


def test_server_params(tx: Transmitter) -> None:
    assert ok(tx, "get", "loglevel") == "INFO"
    assert ok(tx, "set", "loglevel", "debug") == "DEBUG"
    assert err(tx, "set", "loglevel", "LOUD").kind == "ValueError"
    assert ok(tx, "get", "logtarget") == "STDERR"
    assert ok(tx, "set", "logtarget", "/var/log/hyperban.log") == "/var/log/hyperban.log"
    assert ok(tx, "set", "dbpurgeage", "3600") == 3600
    assert ok(tx, "set", "dbfile", "None") is None
    assert ok(tx, "get", "syslogsocket") == "auto"


def test_jail_control(tx: Transmitter, target: DictTarget) -> None:
    assert ok(tx, "start", "sshd") is None
    assert ok(tx, "stop", "nginx") is None
    assert "nginx" not in target.jails
    assert ok(tx, "stop", "--all") is None
    assert target.jails == {}
    assert ok(tx, "stop") is None
    assert target.stopped.is_set()


@pytest.mark.parametrize(
    ("cmd", "call"),
    [
        (["reload"], (None, False, False, False)),
        (["reload", "--all"], (None, False, False, False)),
        (["reload", "--restart", "--unban", "sshd"], ("sshd", True, True, False)),
        (["reload", "--if-exists", "gone"], ("gone", False, False, True)),
        # The stock client's shape, with its configuration stream (ignored).
        (["reload", "--all", [], [["start", "sshd"]]], (None, False, False, False)),
        (["reload", "sshd", ["--restart"], []], ("sshd", True, False, False)),
    ],
)
def test_reload(tx: Transmitter, target: DictTarget, cmd: list[Any], call: tuple) -> None:
    assert ok(tx, *cmd) == "OK"
    assert target.calls[-1] == ("reload", call)


def test_target_bug_becomes_an_error_reply(tx: Transmitter, target: DictTarget) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    target.ping = broken  # type: ignore[method-assign]
    e = err(tx, "ping")
    assert e.kind == "Error" and e.message == "boom"
    target.version = lambda: {}["x"]  # type: ignore[method-assign]  # a bare KeyError
    assert err(tx, "version").kind == "Error"  # not mistaken for an unknown jail
