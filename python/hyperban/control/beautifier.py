"""Turn replies into the text fail2ban-client prints for them.

Scripts parse fail2ban-client's output (``status sshd | grep 'Banned IP
list'``), so hyperban's client must print the same bytes.  ``beautify`` and
``beautify_error`` take the command as sent and the reply value; the tests
compare them with fail2ban's own beautifier on the same data.

A reply that cannot be formatted the expected way (wrong shape) is printed as
``repr(response) * 2``-style diagnostics like fail2ban does, never raised.
"""

from __future__ import annotations

import logging
from typing import Any

from .protocol import ErrorInfo

__all__ = ["beautify", "beautify_error"]

log = logging.getLogger(__name__)

# Level names as fail2ban's logging setup prints them for a numeric level.
_LEVEL_NAMES = {
    0: "NOTSET", 5: "HEAVY", 7: "TRACE", 10: "DEBUG", 18: "MSG", 20: "INFO",
    25: "NOTICE", 30: "WARNING", 40: "ERROR", 50: "CRITICAL",
}  # fmt: skip


def _level_name(level: int) -> str:
    if level in _LEVEL_NAMES:
        return _LEVEL_NAMES[level]
    return f"#{level:02d}-Lev." if 0 < level < 50 else f"Level {level}"


def _tree(items: list[Any], line: str = "{}") -> str:
    """``|- a`` lines, the last one ``\\`- z``."""
    out = [("`- " if i == len(items) - 1 else "|- ") + line.format(x) for i, x in enumerate(items)]
    return "\n".join(out)


def _value(v: Any) -> Any:
    # Lists print space-separated; anything else (tuples too) as it is.
    return " ".join(map(str, v)) if isinstance(v, list) else v


def _status(cmd: list[Any], response: Any) -> str:
    if len(cmd) > 1:
        lines = [f"Status for the jail: {cmd[1]}"]
        for n, (section, entries) in enumerate(response):
            last = n == len(response) - 1
            lines.append(("`- " if last else "|- ") + str(section))
            indent = "   " if last else "|  "
            for m, (key, val) in enumerate(entries):
                branch = "`-" if m == len(entries) - 1 else "|-"
                lines.append(f"{indent}{branch} {key}:\t{_value(val)}")
        return "\n".join(lines)
    lines = ["Status"]
    for n, (key, val) in enumerate(response):
        branch = "`-" if n == len(response) - 1 else "|-"
        lines.append(f"{branch} {key}:\t{_value(val)}")
    return "\n".join(lines)


def _server_param(cmd: list[Any], response: Any) -> Any:
    what = cmd[1]
    if what == "syslogsocket":
        return "Current syslog socket is:\n`- " + response
    if what == "logtarget":
        return "Current logging target is:\n`- " + response
    if what == "loglevel":
        name = _level_name(response) if isinstance(response, int) else response
        return "Current logging level is " + repr(name)
    if what in ("dbfile", "dbpurgeage") and response is None:
        return "Database currently disabled"
    if what == "dbfile":
        return "Current database file is:\n`- " + response
    if what == "dbpurgeage":
        return "Current database purge age is:\n`- %iseconds" % response  # noqa: UP031 (%i truncates floats)
    return None


def _jail_param(cmd: list[Any], response: Any) -> Any:
    what = cmd[2]
    if what in ("logpath", "addlogpath", "dellogpath"):
        if not response:
            return "No file is currently monitored"
        return "Current monitored log file(s):\n" + _tree(response)
    if what == "logencoding":
        return "Current log encoding is set to:\n" + response
    if what in ("journalmatch", "addjournalmatch", "deljournalmatch"):
        # len(): None (the reply for a jail that reads files) fails as in fail2ban
        if len(response) == 0:
            return "No journal match filter set"
        return "Current match filter:\n" + " + ".join(" ".join(m) for m in response)
    if what == "datepattern":
        if response is None:
            return "Current date pattern set to: Not set/required"
        if response[0] is None:
            return f"Current date pattern set to: {response[1]}"
        return "Current date pattern set to: {} ({})".format(*response)
    if what in ("ignoreip", "addignoreip", "delignoreip"):
        if not response:
            return "No IP address/network is ignored"
        return "These IP addresses/networks are ignored:\n" + _tree(response)
    if what in (
        "failregex", "addfailregex", "delfailregex",
        "ignoreregex", "addignoreregex", "delignoreregex",
    ):  # fmt: skip
        if not response:
            return "No regular expression is defined"
        numbered = [f"[{i}]: {r}" for i, r in enumerate(response)]
        return "The following regular expression are defined:\n" + _tree(numbered)
    if what == "actions":
        if not response:
            return f"No actions for jail {cmd[1]}"
        return f"The jail {cmd[1]} has the following actions:\n" + ", ".join(response)
    if what in ("actionproperties", "actionmethods"):
        kind = "properties" if what == "actionproperties" else "methods"
        if not response:
            return f"No {kind} for jail {cmd[1]} action {cmd[3]}"
        return f"The jail {cmd[1]} action {cmd[3]} has the following {kind}:\n" + ", ".join(
            response
        )
    if what == "banip" and cmd[0] == "get" and isinstance(response, list):
        sep = " " if len(cmd) <= 3 else cmd[3]
        return ("\n" if sep == "--with-time" else sep).join(response)
    return None


def _beautify(cmd: list[Any], response: Any) -> Any:
    head = cmd[0] if cmd else None
    if head == "ping":
        return "Server replied: " + response
    if head == "version":
        return response
    if head == "start":
        return "Jail started"
    if head == "stop":
        if response is None:
            return "Shutdown successful" if len(cmd) == 1 else "Jail stopped"
        return response
    if head == "add":
        return "Added jail " + response
    if head == "flushlogs":
        return "logs: " + response
    if head == "echo":
        return " ".join(response)
    if head == "status":
        return _status(cmd, response)
    if len(cmd) >= 2 and isinstance(cmd[1], str):
        text = _server_param(cmd, response)
        if text is not None:
            return text
    if len(cmd) >= 3 and isinstance(cmd[2], str):
        text = _jail_param(cmd, response)
        if text is not None:
            return text
    return response


def beautify(cmd: list[Any], response: Any) -> str:
    """The text fail2ban-client prints for a successful ``cmd``."""
    try:
        return str(_beautify(cmd, response))
    except Exception:  # a reply of an unexpected shape: show it raw, as fail2ban does
        log.warning("Beautifier error. Please report the error")
        return repr(response) + repr(response)


def beautify_error(cmd: list[Any], error: ErrorInfo) -> str:
    """The text fail2ban-client prints for a failed ``cmd``."""
    if error.kind == "UnknownJail" and error.args:
        return f"Sorry but the jail '{error.args[0]}' does not exist"
    if error.kind == "Arity":
        return "Sorry but the command is invalid"
    if error.kind == "KeyError":
        return repr(error.message)  # as str() of a KeyError
    if error.kind == "DuplicateJail" and error.args:
        return f"The jail '{error.args[0]}' already exists"
    return error.message
