"""Command dispatch: a client's token list -> one ``ControlTarget`` call -> a reply.

The command language is fail2ban-client's (``status sshd``, ``set sshd banip
192.0.2.1``, ...), so both hyperban's client and the stock client work.
:meth:`Transmitter.proceed` never raises: every failure becomes an error
reply ``(1, ErrorInfo)``, with the kinds the clients turn into fail2ban's
messages (unknown jail, invalid command, wrong arity).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from .api import (
    JAIL_GET_PARAMS,
    JAIL_INT_PARAMS,
    JAIL_SET_PARAMS,
    SERVER_PARAMS,
    ArityError,
    ControlError,
    ControlTarget,
    InvalidCommandError,
    UnsupportedError,
)
from .protocol import ErrorInfo, Reply

__all__ = ["Transmitter"]

log = logging.getLogger(__name__)

# fail2ban commands hyperban knows but does not implement: a clear error
# rather than "Invalid command".
_UNSUPPORTED_TOP = frozenset({"add", "multi-set", "server-stream", "sleep", "config-error"})
_RELOAD_OPTIONS = frozenset({"--restart", "--unban", "--if-exists"})


def _is_reload_option(token: Any) -> bool:
    return isinstance(token, str) and token.startswith("--") and token != "--all"


def _is_server_param(token: Any) -> bool:
    return isinstance(token, str) and token in SERVER_PARAMS  # a list is unhashable


def _arity(args: list[Any], low: int, high: int | None, usage: str) -> None:
    if len(args) < low or (high is not None and len(args) > high):
        raise ArityError(f"usage: {usage}")


def _name(value: Any, what: str = "jail name") -> str:
    # The stock client sends strings; a list or dict here is a malformed request.
    if not isinstance(value, str) or not value:
        raise InvalidCommandError(f"Invalid {what} {value!r}")
    return value


def _strings(values: list[Any], what: str) -> list[str]:
    return [_name(v, what) for v in values]


class Transmitter:
    """Turns commands into ``ControlTarget`` calls; ``proceed`` is the socket server's handler."""

    def __init__(self, target: ControlTarget) -> None:
        self.target = target
        self._commands: dict[str, Callable[[list[Any]], Any]] = {
            "ping": self._ping,
            "version": self._version,
            "echo": lambda args: list(args),
            "server-status": self._server_status,
            "status": self._status,
            "stop": self._stop,
            "start": self._start,
            "reload": self._reload,
            "unban": self._unban,
            "banned": lambda args: self.target.banned(None, _strings(args, "IP")),
            "flushlogs": self._flushlogs,
            "get": self._get,
            "set": self._set,
        }

    def proceed(self, command: Any) -> Reply:
        """Run one command; ``(0, value)`` or ``(1, ErrorInfo)``, never an exception."""
        try:
            return 0, self._dispatch(command)
        except ControlError as exc:
            log.debug("command %r failed: %s", command, exc)
            return 1, ErrorInfo(exc.kind, tuple(exc.args), str(exc))
        except ValueError as exc:
            log.debug("command %r failed: %s", command, exc)
            return 1, ErrorInfo("ValueError", (), str(exc))
        except Exception as exc:  # a bug in the target: log it, keep serving
            log.exception("command %r failed", command)
            return 1, ErrorInfo("Error", (), str(exc) or type(exc).__name__)

    def _dispatch(self, command: Any) -> Any:
        if isinstance(command, tuple):
            command = list(command)
        if not isinstance(command, list) or not command or not isinstance(command[0], str):
            raise InvalidCommandError("Invalid command")
        name, args = command[0], command[1:]
        if name in _UNSUPPORTED_TOP:
            raise UnsupportedError(f"{name!r} is not supported by hyperban")
        handler = self._commands.get(name)
        if handler is None:
            raise InvalidCommandError("Invalid command")
        return handler(args)

    # --- server -----------------------------------------------------------
    def _ping(self, args: list[Any]) -> Any:
        _arity(args, 0, 1, "ping [TIMEOUT]")  # the timeout is the client's business
        return self.target.ping()

    def _version(self, args: list[Any]) -> Any:
        _arity(args, 0, 0, "version")
        return self.target.version()

    def _server_status(self, args: list[Any]) -> Any:
        _arity(args, 0, 0, "server-status")
        return "Server ready"

    def _flushlogs(self, args: list[Any]) -> Any:
        _arity(args, 0, 0, "flushlogs")
        return self.target.flush_logs()

    def _status(self, args: list[Any]) -> Any:
        _arity(args, 0, 2, "status [JAIL [FLAVOR]]")
        if not args:
            return self.target.status()
        flavor = _name(args[1], "flavor") if len(args) > 1 else "basic"
        return self.target.status_jail(_name(args[0]), flavor)

    def _stop(self, args: list[Any]) -> Any:
        _arity(args, 0, 1, "stop [JAIL|--all]")
        if not args:
            self.target.stop()
        elif args[0] == "--all":
            self.target.stop_all_jails()
        else:
            self.target.stop_jail(_name(args[0]))
        return None

    def _start(self, args: list[Any]) -> Any:
        _arity(args, 1, 1, "start JAIL")
        self.target.start_jail(_name(args[0]))
        return None

    def _reload(self, args: list[Any]) -> Any:
        # Stock client: ["reload", JAIL|"--all", [OPTIONS], CONFIG_STREAM]; the
        # stream is ignored (the daemon reads its configuration itself).
        # Flat form (typed by hand): ["reload", OPTIONS..., [JAIL|--all]].
        if len(args) >= 2 and isinstance(args[1], list):
            _arity(args, 2, 3, "reload [OPTIONS] [JAIL|--all]")
            jail_arg: Any = args[0]
            options = _strings(args[1], "reload option")
        else:
            options = [a for a in args if _is_reload_option(a)]
            rest = [a for a in args if not _is_reload_option(a)]
            _arity(rest, 0, 1, "reload [--restart] [--unban] [--if-exists] [JAIL|--all]")
            jail_arg = rest[0] if rest else "--all"
        unknown = [o for o in options if o not in _RELOAD_OPTIONS]
        if unknown:
            raise InvalidCommandError(f"Invalid reload option(s) {unknown!r}")
        jail = None if jail_arg == "--all" else _name(jail_arg)
        self.target.reload(
            jail,
            restart="--restart" in options,
            unban="--unban" in options,
            if_exists="--if-exists" in options,
        )
        return "OK"

    def _unban(self, args: list[Any]) -> Any:
        _arity(args, 1, None, "unban --all | unban IP...")
        if args == ["--all"]:
            return self.target.unban_all()
        return self.target.unban_ip(None, _strings(args, "IP"))

    # --- get ----------------------------------------------------------------
    def _get(self, args: list[Any]) -> Any:
        _arity(args, 1, None, "get PARAM | get JAIL PARAM ...")
        if _is_server_param(args[0]):
            _arity(args, 1, 1, f"get {args[0]}")
            return self.target.get_server_param(args[0])
        _arity(args, 2, None, "get JAIL PARAM ...")
        jail, param, rest = _name(args[0]), _name(args[1], "parameter"), args[2:]
        if param == "banned":
            return self.target.banned(jail, _strings(rest, "IP"))
        if param == "banip":
            # The separator only changes how the client prints the list.
            _arity(rest, 0, 1, "get JAIL banip [SEP|--with-time]")
            return self.target.get_ban_list(jail, bool(rest) and rest[0] == "--with-time")
        if param in JAIL_GET_PARAMS or param.startswith("bantime."):
            _arity(rest, 0, 0, f"get JAIL {param}")
            return self.target.get_jail_param(jail, param)
        if param == "action":
            _arity(rest, 2, 2, "get JAIL action ACT PROPERTY")
            action, name = _name(rest[0], "action name"), _name(rest[1], "property")
            return self.target.get_action_property(jail, action, name)
        if param in ("actionproperties", "actionmethods"):
            _arity(rest, 1, 1, f"get JAIL {param} ACT")
            action = _name(rest[0], "action name")
            return self.target.action_names(jail, action, methods=param == "actionmethods")
        raise InvalidCommandError("Invalid command (no get action or not yet implemented)")

    # --- set ----------------------------------------------------------------
    def _set(self, args: list[Any]) -> Any:
        _arity(args, 2, None, "set PARAM VALUE | set JAIL PARAM VALUE...")
        if _is_server_param(args[0]):
            _arity(args, 2, 2, f"set {args[0]} VALUE")
            self.target.set_server_param(args[0], str(args[1]))
            return self.target.get_server_param(args[0])
        jail, param, rest = _name(args[0]), _name(args[1], "parameter"), args[2:]
        special = self._SET_SPECIAL.get(param)
        if special is not None:
            return special(self, jail, rest)
        if param in JAIL_SET_PARAMS or param.startswith("bantime."):
            _arity(rest, 1, 1, f"set JAIL {param} VALUE")
            value: Any = rest[0]
            if param in JAIL_INT_PARAMS:
                value = int(value)  # ValueError -> error reply, as in fail2ban
            elif param == "idle":
                if value not in ("on", "off"):
                    raise ValueError("Invalid idle option, must be 'on' or 'off'")
                value = value == "on"
            else:
                value = str(value)
            self.target.set_jail_param(jail, param, value)
            return self.target.get_jail_param(jail, param)
        raise InvalidCommandError(
            f"Invalid command {param!r} (no set action or not yet implemented)"
        )

    def _set_banip(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, None, "set JAIL banip IP...")
        return self.target.ban_ip(jail, _strings(rest, "IP"))

    def _set_unbanip(self, jail: str, rest: list[Any]) -> Any:
        report_absent = bool(rest) and rest[0] == "--report-absent"
        ips = rest[1:] if report_absent else rest
        _arity(ips, 1, None, "set JAIL unbanip [--report-absent] IP...")
        return self.target.unban_ip(jail, _strings(ips, "IP"), report_absent=report_absent)

    def _set_addignoreip(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, None, "set JAIL addignoreip IP...")
        for ip in _strings(rest, "IP"):
            self.target.add_ignore_ip(jail, ip)
        return self.target.get_jail_param(jail, "ignoreip")

    def _set_delignoreip(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, 1, "set JAIL delignoreip IP")
        self.target.del_ignore_ip(jail, _name(rest[0], "IP"))
        return self.target.get_jail_param(jail, "ignoreip")

    def _set_addlogpath(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, 2, "set JAIL addlogpath FILE [head|tail]")
        where = str(rest[1]).lower() if len(rest) > 1 else "head"
        if where not in ("head", "tail"):
            raise ValueError("File option must be 'head' or 'tail'")
        self.target.add_log_path(jail, _name(rest[0], "file"), where == "tail")
        return self.target.get_jail_param(jail, "logpath")

    def _set_dellogpath(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, 1, "set JAIL dellogpath FILE")
        self.target.del_log_path(jail, _name(rest[0], "file"))
        return self.target.get_jail_param(jail, "logpath")

    def _set_addfailregex(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, 1, "set JAIL addfailregex REGEX")
        self.target.add_fail_regex(jail, _name(rest[0], "regex"))
        return self.target.get_jail_param(jail, "failregex")

    def _set_delfailregex(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, 1, "set JAIL delfailregex INDEX")
        self.target.del_fail_regex(jail, int(rest[0]))
        return self.target.get_jail_param(jail, "failregex")

    def _set_addignoreregex(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, 1, "set JAIL addignoreregex REGEX")
        self.target.add_ignore_regex(jail, _name(rest[0], "regex"))
        return self.target.get_jail_param(jail, "ignoreregex")

    def _set_delignoreregex(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, 1, "set JAIL delignoreregex INDEX")
        self.target.del_ignore_regex(jail, int(rest[0]))
        return self.target.get_jail_param(jail, "ignoreregex")

    def _set_addjournalmatch(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, None, "set JAIL addjournalmatch MATCH...")
        self.target.add_journal_match(jail, _strings(rest, "journal match"))
        return self.target.get_jail_param(jail, "journalmatch")

    def _set_deljournalmatch(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, None, "set JAIL deljournalmatch MATCH...")
        self.target.del_journal_match(jail, _strings(rest, "journal match"))
        return self.target.get_jail_param(jail, "journalmatch")

    def _set_addaction(self, jail: str, rest: list[Any]) -> Any:
        # fail2ban: ACT alone (a command action, configured by "set JAIL action ACT ...")
        # or ACT PYTHONFILE JSONKWARGS
        if len(rest) == 2:
            raise ArityError("usage: set JAIL addaction ACT [PYTHONFILE JSONKWARGS]")
        _arity(rest, 1, 3, "set JAIL addaction ACT [PYTHONFILE JSONKWARGS]")
        name = _name(rest[0], "action name")
        if len(rest) == 1:
            return self.target.add_action(jail, name, None, {})
        kwargs = json.loads(_name(rest[2], "JSON object"))
        if not isinstance(kwargs, dict):
            raise ValueError(f"the options of {name} must be a JSON object, not {rest[2]!r}")
        return self.target.add_action(jail, name, _name(rest[1], "Python file"), kwargs)

    def _set_delaction(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, 1, "set JAIL delaction ACT")
        self.target.del_action(jail, _name(rest[0], "action name"))
        return None

    def _set_attempt(self, jail: str, rest: list[Any]) -> Any:
        _arity(rest, 1, None, "set JAIL attempt IP [FAILURE...]")
        return self.target.add_attempt(jail, _name(rest[0], "IP"), _strings(rest[1:], "failure"))

    def _set_action(self, jail: str, rest: list[Any]) -> Any:
        # fail2ban: a method of the action is called (with the JSON object of keyword
        # arguments, if given); any other name is a property to set.
        _arity(rest, 2, 3, "set JAIL action ACT PROPERTY VALUE | set JAIL action ACT METHOD [JSON]")
        action, key = _name(rest[0], "action name"), _name(rest[1], "property")
        if key in self.target.action_names(jail, action, methods=True):
            kwargs = json.loads(_name(rest[2], "JSON object")) if len(rest) > 2 else {}
            if not isinstance(kwargs, dict):
                raise ValueError(f"the arguments of {key} must be a JSON object, not {rest[2]!r}")
            return self.target.call_action_method(jail, action, key, kwargs)
        _arity(rest, 3, 3, "set JAIL action ACT PROPERTY VALUE")
        return self.target.set_action_property(jail, action, key, str(rest[2]))

    _SET_SPECIAL: ClassVar[dict[str, Callable[[Transmitter, str, list[Any]], Any]]] = {
        "banip": _set_banip,
        "unbanip": _set_unbanip,
        "addignoreip": _set_addignoreip,
        "delignoreip": _set_delignoreip,
        "addlogpath": _set_addlogpath,
        "dellogpath": _set_dellogpath,
        "addfailregex": _set_addfailregex,
        "delfailregex": _set_delfailregex,
        "addignoreregex": _set_addignoreregex,
        "delignoreregex": _set_delignoreregex,
        "addjournalmatch": _set_addjournalmatch,
        "deljournalmatch": _set_deljournalmatch,
        "addaction": _set_addaction,
        "delaction": _set_delaction,
        "attempt": _set_attempt,
        "action": _set_action,
    }
