"""The contract between the command dispatcher and the daemon: ``ControlTarget``.

The dispatcher (:mod:`hyperban.control.transmitter`) parses a client's command,
checks its arity, converts values, calls ONE method below, and turns the
return value (or exception) into a reply.  The daemon's ``Server`` implements
these methods; nothing else in the control package touches the daemon.

Threading: the socket server calls the dispatcher from one thread at a time
(it holds a lock around each dispatch), but that thread is never the daemon's
main thread.  Methods must therefore be safe to call from another thread, and
should return promptly: a slow method delays every other client.

Errors: a method raises

* :class:`UnknownJailError` (a ``KeyError``) when the jail named does not
  exist; clients print "Sorry but the jail 'NAME' does not exist";
* ``ValueError`` for a bad value (unparsable time, wrong log level, an IP that
  is not banned under ``--report-absent``: ``not banned: [...]``); the message is shown
  to the user;
* :class:`UnsupportedError` for something hyperban does not do (yet);
* anything else is a bug: it is logged with its traceback and the client gets
  its message.

Reply values must be plain data (str, int, float, bool, None, list, tuple,
dict with str keys).  Use **lists** for lists of values (IPs, files): like
fail2ban's client, the beautifier joins lists with spaces but prints tuples
as they are.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = [
    "JAIL_GET_PARAMS",
    "JAIL_INT_PARAMS",
    "JAIL_SET_PARAMS",
    "SERVER_PARAMS",
    "ArityError",
    "ControlError",
    "ControlTarget",
    "DuplicateJailError",
    "InvalidCommandError",
    "JailStatus",
    "ServerStatus",
    "UnknownActionError",
    "UnknownJailError",
    "UnsupportedError",
]

# ``status`` -> [("Number of jail", 2), ("Jail list", "nginx, sshd")]
ServerStatus = list[tuple[str, Any]]
# ``status sshd`` -> [("Filter", [("Currently failed", 0), ("Total failed", 5),
#                                 ("File list", ["/var/log/auth.log"])]),
#                     ("Actions", [("Currently banned", 1), ("Total banned", 1),
#                                  ("Banned IP list", ["192.0.2.1"])])]
# A journal (``backend = systemd``) jail has ("Journal matches", ["A=1 B=2 + C=3"]) in
# place of "File list", as fail2ban's FilterSystemd.status.
JailStatus = list[tuple[str, list[tuple[str, Any]]]]

# Server-wide parameters of ``get NAME`` / ``set NAME VALUE``.  Values arrive
# as the user typed them (str); ``get`` returns what fail2ban returns:
#   loglevel      -> str, e.g. "INFO" (as set, upper-cased)
#   logtarget     -> str, e.g. "STDERR" or a file path
#   syslogsocket  -> str, "auto" or a path
#   dbfile        -> str path, or None when the database is disabled
#                    (``set dbfile None`` disables it)
#   dbpurgeage    -> int seconds, or None without a database
#   dbmaxmatches  -> int, or None without a database
#   allowipv6     -> str, "auto"/"yes"/"no" (fail2ban has only the set)
#   thread        -> dict, {"stacksize": KiB}; set from its JSON text
SERVER_PARAMS: frozenset[str] = frozenset(
    {
        "loglevel", "logtarget", "syslogsocket", "dbfile", "dbpurgeage", "dbmaxmatches",
        "allowipv6", "thread",
    }
)  # fmt: skip

# Jail parameters readable with ``get JAIL NAME`` (and ``bantime.*`` names,
# e.g. ``bantime.increment``, ``bantime.factor``).  Shapes:
#   logpath, ignoreip, failregex, ignoreregex, actions -> list[str]
#   journalmatch -> list[list[str]], one list of FIELD=value words per alternative
#                   (fail2ban's getJournalMatch); None for a jail that reads files
#   maxretry, maxmatches, maxlines, findtime, bantime -> int (seconds for times)
#   usedns, logencoding, ignorecommand, prefregex, logtimezone -> str (or None)
#   ignoreself, idle -> bool
#   ignorecache -> dict or None
#   datepattern -> None, or a tuple (pattern, name); (None, "Default Detectors")
#                  when unset, like fail2ban
JAIL_GET_PARAMS: frozenset[str] = frozenset(
    {
        "logpath", "logencoding", "journalmatch", "ignoreself", "ignoreip", "ignorecommand",
        "ignorecache", "prefregex", "failregex", "ignoreregex", "usedns", "findtime",
        "datepattern", "logtimezone", "maxmatches", "maxretry", "maxlines", "bantime",
        "actions", "idle",
    }
)  # fmt: skip

# Jail parameters writable with ``set JAIL NAME VALUE`` (plus ``bantime.*``).
# The dispatcher converts the value before calling ``set_jail_param``:
# int for these three, bool for ``idle`` (from on/off), str otherwise.
JAIL_INT_PARAMS: frozenset[str] = frozenset({"maxretry", "maxmatches", "maxlines"})
JAIL_SET_PARAMS: frozenset[str] = frozenset(
    {
        "maxretry", "maxmatches", "maxlines", "findtime", "bantime", "usedns", "ignoreself",
        "ignorecommand", "ignorecache", "logencoding", "datepattern", "logtimezone",
        "prefregex", "idle",
    }
)  # fmt: skip


class ControlError(Exception):
    """Base of the errors a target raises on purpose; ``kind`` names it on the wire."""

    kind = "Error"


class UnknownJailError(ControlError, KeyError):
    """No jail of that name.  ``args == (name,)``."""

    kind = "UnknownJail"

    def __str__(self) -> str:  # KeyError would print the repr of the name
        return f"Sorry but the jail {self.args[0]!r} does not exist"


class UnknownActionError(ControlError, KeyError):
    """No action of that name in the jail.  ``args == (message,)``; fail2ban raises a
    ``KeyError``, so its client prints the message quoted."""

    kind = "KeyError"

    def __str__(self) -> str:
        return str(self.args[0])


class DuplicateJailError(ControlError):
    """A jail of that name exists already.  ``args == (name,)``."""

    kind = "DuplicateJail"


class ArityError(ControlError, IndexError):
    """Too few or too many arguments (fail2ban's client calls it an invalid command)."""

    kind = "Arity"


class InvalidCommandError(ControlError):
    """A command or parameter name the dispatcher does not know."""

    kind = "InvalidCommand"


class UnsupportedError(ControlError):
    """A fail2ban command that hyperban does not implement."""

    kind = "Unsupported"


@runtime_checkable
class ControlTarget(Protocol):
    """What the dispatcher calls.  ``jail`` is always a jail name (str)."""

    # --- server -----------------------------------------------------------
    def ping(self) -> str:
        """Liveness check; return ``"pong"``."""
        ...

    def version(self) -> str:
        """The daemon's version string, e.g. ``"0.1.0"``."""
        ...

    def status(self) -> ServerStatus:
        """``status``: ``[("Number of jail", n), ("Jail list", "a, b")]`` (names sorted)."""
        ...

    def stop(self) -> None:
        """``stop``: ask the daemon to shut down, and return at once.

        The reply ("Shutdown successful") is sent after this returns, so the
        shutdown itself (stopping jails, then ``ControlSocketServer.stop()``)
        must run in another thread; the socket server lets in-flight replies
        finish before it closes connections.
        """
        ...

    def reload(self, jail: str | None, *, restart: bool, unban: bool, if_exists: bool) -> None:
        """``reload [--restart] [--unban] [--if-exists] [JAIL|--all]``.

        ``jail`` is None for every jail.  The daemon re-reads the configuration
        itself (the config stream the stock client sends along is ignored).
        ``restart`` restarts the jail(s) rather than updating them in place;
        ``unban`` also lifts their bans; ``if_exists`` makes a jail that is
        absent from the new configuration not an error.
        """
        ...

    def flush_logs(self) -> str:
        """``flushlogs``: reopen a file log target; return ``"rolled over"`` or ``"flushed"``."""
        ...

    def get_server_param(self, name: str) -> Any:
        """``get NAME`` for NAME in :data:`SERVER_PARAMS`; shapes are listed there."""
        ...

    def set_server_param(self, name: str, value: str) -> None:
        """``set NAME VALUE``; raise ``ValueError`` for a value that cannot be applied."""
        ...

    # --- jails ------------------------------------------------------------
    def status_jail(self, jail: str, flavor: str) -> JailStatus:
        """``status JAIL [FLAVOR]`` (flavor defaults to ``"basic"``; ``"short"`` omits the
        IP list).  Shape: see :data:`JailStatus`."""
        ...

    def start_jail(self, jail: str) -> None:
        """``start JAIL``: start a jail that is configured but stopped."""
        ...

    def stop_jail(self, jail: str) -> None:
        """``stop JAIL``: stop the jail and remove it from the running set."""
        ...

    def stop_all_jails(self) -> None:
        """``stop --all``: stop every jail, keep the daemon running."""
        ...

    def get_jail_param(self, jail: str, name: str) -> Any:
        """``get JAIL NAME`` for NAME in :data:`JAIL_GET_PARAMS` or ``bantime.*``."""
        ...

    def set_jail_param(self, jail: str, name: str, value: Any) -> None:
        """``set JAIL NAME VALUE`` for NAME in :data:`JAIL_SET_PARAMS` or ``bantime.*``.

        ``value`` is converted already: int for :data:`JAIL_INT_PARAMS`, bool for
        ``idle``, else the str the user typed.  The dispatcher replies with
        ``get_jail_param(jail, name)`` afterwards.
        """
        ...

    def add_ignore_ip(self, jail: str, ip: str) -> None:
        """``set JAIL addignoreip IP...`` (called once per IP; IP may be a CIDR or a host)."""
        ...

    def del_ignore_ip(self, jail: str, ip: str) -> None:
        """``set JAIL delignoreip IP``."""
        ...

    def add_fail_regex(self, jail: str, regex: str) -> None:
        """``set JAIL addfailregex REGEX``: the running jail's filter gets one more."""
        ...

    def del_fail_regex(self, jail: str, index: int) -> None:
        """``set JAIL delfailregex INDEX`` (an index out of range changes nothing)."""
        ...

    def add_ignore_regex(self, jail: str, regex: str) -> None:
        """``set JAIL addignoreregex REGEX``."""
        ...

    def del_ignore_regex(self, jail: str, index: int) -> None:
        """``set JAIL delignoreregex INDEX`` (an index out of range changes nothing)."""
        ...

    def add_log_path(self, jail: str, path: str, tail: bool) -> None:
        """``set JAIL addlogpath FILE [head|tail]``; ``tail`` starts at the end of the file."""
        ...

    def del_log_path(self, jail: str, path: str) -> None:
        """``set JAIL dellogpath FILE``."""
        ...

    # --- bans -------------------------------------------------------------
    def ban_ip(self, jail: str, ips: list[str]) -> int:
        """``set JAIL banip IP...``: ban now; return how many were newly banned."""
        ...

    def unban_ip(self, jail: str | None, ips: list[str], *, report_absent: bool = False) -> int:
        """``set JAIL unbanip [--report-absent] IP...`` / ``unban IP...`` (``jail`` None:
        every jail and the database).  Return the number of bans lifted.  With
        ``report_absent`` (only ever with a jail) the IPs that are banned are unbanned,
        then ``ValueError("not banned: [IP, ...]")`` names the others; otherwise they are
        skipped."""
        ...

    def unban_all(self) -> int:
        """``unban --all``: lift every ban in every jail and the database; return the count."""
        ...

    def banned(self, jail: str | None, ips: list[str]) -> Any:
        """``banned [IP...]`` (jail None) and ``get JAIL banned [IP...]``; fail2ban's shapes:

        * jail None, no IPs: ``[{"sshd": ["192.0.2.1"]}, {"nginx": []}]``
        * jail None, IPs: one list of jail names per IP: ``[["sshd"], []]``
        * jail, no IPs: ``["192.0.2.1", ...]``
        * jail, one IP: ``1`` or ``0``; several IPs: ``[1, 0, ...]``
        """
        ...

    def add_action(
        self, jail: str, name: str, python_file: str | None, kwargs: dict[str, Any]
    ) -> str:
        """``set JAIL addaction ACT [PYTHONFILE JSONKWARGS]``: a command action without
        commands (set them with ``set JAIL action``), or a Python action's ``Action``;
        returns ``ACT``.  ``ValueError`` if the jail has one of that name already."""
        ...

    def del_action(self, jail: str, name: str) -> None:
        """``set JAIL delaction ACT``: the action leaves the jail (it is not stopped).
        :class:`UnknownActionError` if the jail has none of that name."""
        ...

    def add_journal_match(self, jail: str, words: list[str]) -> None:
        """``set JAIL addjournalmatch FIELD=value... [+ FIELD=value...]``: alternatives
        added to a journal jail's matches.  ``ValueError`` for a jail that reads files
        or a word that is not ``FIELD=value``."""
        ...

    def del_journal_match(self, jail: str, words: list[str]) -> None:
        """``set JAIL deljournalmatch FIELD=value...``: the alternative that is exactly
        these words is removed (``ValueError`` "Match [...] not found" otherwise)."""
        ...

    def add_attempt(self, jail: str, ip: str, failures: list[str]) -> int:
        """``set JAIL attempt IP [FAILURE...]``: a failure of ``IP`` now, counted once per
        failure text (once without any); bans at ``maxretry``.  Returns 1 (fail2ban's
        answer).  ``ValueError`` for an invalid address."""
        ...

    def action_names(self, jail: str, action: str, methods: bool) -> list[str]:
        """``get JAIL actionproperties ACT`` (``methods`` False) or ``actionmethods``.
        :class:`UnknownActionError` for an action the jail does not have."""
        ...

    def get_action_property(self, jail: str, action: str, name: str) -> Any:
        """``get JAIL action ACT NAME``: the property's value (``ValueError`` for an
        unknown one, with fail2ban's "... object has no attribute ..." message)."""
        ...

    def set_action_property(self, jail: str, action: str, name: str, value: str) -> Any:
        """``set JAIL action ACT NAME VALUE``; returns the new value."""
        ...

    def call_action_method(self, jail: str, action: str, name: str, kwargs: dict[str, Any]) -> Any:
        """``set JAIL action ACT METHOD [JSON]``: the method's return value."""
        ...

    def get_ban_list(self, jail: str, with_time: bool) -> list[str]:
        """``get JAIL banip [SEP|--with-time]``: banned IPs ordered by end of ban.

        With ``with_time`` each entry is ``"IP \\tBANSTART + BANTIME = BANEND"`` as in
        fail2ban (times as ``%Y-%m-%d %H:%M:%S``)."""
        ...
