"""Test helpers: a dict-backed ControlTarget and a running socket server."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hyperban.control import ControlSocketServer, Transmitter, UnknownJailError
from hyperban.control.api import UnknownActionError

F2B_CLIENT = "/usr/bin/fail2ban-client"
SYSTEM_PYTHON = "/usr/bin/python3"
F2B_PACKAGE = "/usr/lib/python3/dist-packages/fail2ban"


def have_fail2ban() -> bool:
    return os.path.exists(F2B_CLIENT) and os.path.isdir(F2B_PACKAGE)


ACTION_METHODS = ("ban", "consistencyCheck", "flush", "start", "stop", "unban")


@dataclass
class FakeJail:
    banned: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    failed: int = 0
    total_failed: int = 0
    total_banned: int = 0
    running: bool = True


class DictTarget:
    """A small ControlTarget backed by dicts: just enough to exercise dispatch.

    ``calls`` records every call (name, args) so tests can check what the
    dispatcher asked for.
    """

    def __init__(self) -> None:
        self.jails: dict[str, FakeJail] = {
            "sshd": FakeJail(
                banned=["192.0.2.1", "192.0.2.2"],
                params={
                    "maxretry": 5, "findtime": 600, "bantime": 600, "maxmatches": 5,
                    "maxlines": 1, "usedns": "warn", "logpath": ["/var/log/auth.log"],
                    "ignoreip": ["127.0.0.1/8", "::1"], "failregex": ["^fail (?P<host>\\S+)$"],
                    "ignoreregex": [], "actions": ["iptables-multiport"], "idle": False,
                    "datepattern": (None, "Default Detectors"), "logencoding": "UTF-8",
                    "ignoreself": True, "bantime.increment": False,
                },
                failed=3, total_failed=17, total_banned=4,
            ),
            "nginx": FakeJail(params={"logpath": [], "ignoreip": [], "maxretry": 3}),
        }  # fmt: skip
        self.server: dict[str, Any] = {
            "loglevel": "INFO", "logtarget": "STDERR", "syslogsocket": "auto",
            "dbfile": "/var/lib/fail2ban/fail2ban.sqlite3", "dbpurgeage": 86400,
            "dbmaxmatches": 10, "allowipv6": "auto",
        }  # fmt: skip
        # jail -> action -> its properties; every action has the methods in ACTION_METHODS
        self.actions: dict[str, dict[str, dict[str, Any]]] = {
            "sshd": {"iptables-multiport": {"actionban": "iptables -I <ip>", "port": "ssh"}}
        }
        self.attempts: list[tuple[str, str, list[str]]] = []
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.stopped = threading.Event()
        self.on_stop: Any = None

    def _jail(self, name: str) -> FakeJail:
        try:
            return self.jails[name]
        except KeyError:
            raise UnknownJailError(name) from None

    def _log(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))

    def ping(self) -> str:
        return "pong"

    def version(self) -> str:
        return "0.1.0"

    def status(self) -> list[tuple[str, Any]]:
        names = sorted(self.jails)
        return [("Number of jail", len(names)), ("Jail list", ", ".join(names))]

    def stop(self) -> None:
        self._log("stop")
        self.stopped.set()
        if self.on_stop is not None:
            threading.Thread(target=self.on_stop, daemon=True).start()

    def reload(self, jail: str | None, *, restart: bool, unban: bool, if_exists: bool) -> None:
        if jail is not None and not if_exists:
            self._jail(jail)
        self._log("reload", jail, restart, unban, if_exists)

    def flush_logs(self) -> str:
        return "flushed"

    def get_server_param(self, name: str) -> Any:
        return self.server[name]

    def set_server_param(self, name: str, value: str) -> None:
        if name == "loglevel":
            if value.upper() not in ("INFO", "DEBUG", "WARNING", "ERROR", "CRITICAL", "NOTICE"):
                raise ValueError(f"Invalid log level {value!r}")
            value = value.upper()
        if name in ("dbpurgeage", "dbmaxmatches"):
            self.server[name] = int(value)
            return
        self.server[name] = None if (name == "dbfile" and value == "None") else value

    def status_jail(self, jail: str, flavor: str) -> list[tuple[str, list[tuple[str, Any]]]]:
        j = self._jail(jail)
        actions: list[tuple[str, Any]] = [
            ("Currently banned", len(j.banned)),
            ("Total banned", j.total_banned),
        ]
        if flavor != "short":
            actions.append(("Banned IP list", list(j.banned)))
        return [
            (
                "Filter",
                [
                    ("Currently failed", j.failed),
                    ("Total failed", j.total_failed),
                    ("File list", list(j.params.get("logpath", []))),
                ],
            ),
            ("Actions", actions),
        ]

    def start_jail(self, jail: str) -> None:
        self._jail(jail).running = True
        self._log("start_jail", jail)

    def stop_jail(self, jail: str) -> None:
        self._jail(jail)
        del self.jails[jail]
        self._log("stop_jail", jail)

    def stop_all_jails(self) -> None:
        self.jails.clear()
        self._log("stop_all_jails")

    def get_jail_param(self, jail: str, name: str) -> Any:
        return self._jail(jail).params.get(name)

    def set_jail_param(self, jail: str, name: str, value: Any) -> None:
        self._jail(jail).params[name] = value
        self._log("set_jail_param", jail, name, value)

    def add_fail_regex(self, jail: str, regex: str) -> None:
        self._jail(jail).params.setdefault("failregex", []).append(regex)

    def del_fail_regex(self, jail: str, index: int) -> None:
        regexes = self._jail(jail).params.setdefault("failregex", [])
        if 0 <= index < len(regexes):
            del regexes[index]

    def add_ignore_regex(self, jail: str, regex: str) -> None:
        self._jail(jail).params.setdefault("ignoreregex", []).append(regex)

    def del_ignore_regex(self, jail: str, index: int) -> None:
        regexes = self._jail(jail).params.setdefault("ignoreregex", [])
        if 0 <= index < len(regexes):
            del regexes[index]

    def add_ignore_ip(self, jail: str, ip: str) -> None:
        self._jail(jail).params.setdefault("ignoreip", []).append(ip)

    def del_ignore_ip(self, jail: str, ip: str) -> None:
        lst = self._jail(jail).params.setdefault("ignoreip", [])
        if ip in lst:
            lst.remove(ip)

    def add_log_path(self, jail: str, path: str, tail: bool) -> None:
        self._jail(jail).params.setdefault("logpath", []).append(path)
        self._log("add_log_path", jail, path, tail)

    def del_log_path(self, jail: str, path: str) -> None:
        lst = self._jail(jail).params.setdefault("logpath", [])
        if path in lst:
            lst.remove(path)

    def ban_ip(self, jail: str, ips: list[str]) -> int:
        j = self._jail(jail)
        new = [ip for ip in dict.fromkeys(ips) if ip not in j.banned]
        j.banned.extend(new)
        j.total_banned += len(new)
        return len(new)

    def unban_ip(self, jail: str | None, ips: list[str], *, report_absent: bool = False) -> int:
        jails = [self._jail(jail)] if jail is not None else list(self.jails.values())
        count = 0
        missed = []
        for j in jails:
            for ip in ips:
                if ip in j.banned:
                    j.banned.remove(ip)
                    count += 1
                elif report_absent:
                    missed.append(ip)
        if missed:
            raise ValueError(f"not banned: {missed!r}")
        return count

    def unban_all(self) -> int:
        count = sum(len(j.banned) for j in self.jails.values())
        for j in self.jails.values():
            j.banned.clear()
        return count

    def banned(self, jail: str | None, ips: list[str]) -> Any:
        if jail is not None:
            lst = self._jail(jail).banned
            if not ips:
                return list(lst)
            flags = [1 if ip in lst else 0 for ip in ips]
            return flags[0] if len(flags) == 1 else flags
        if ips:
            return [[n for n, j in self.jails.items() if ip in j.banned] for ip in ips]
        return [{n: list(j.banned)} for n, j in self.jails.items()]

    def add_action(
        self, jail: str, name: str, python_file: str | None, kwargs: dict[str, Any]
    ) -> str:
        actions = self.actions.setdefault(jail, {})
        self._jail(jail)
        if name in actions:
            raise ValueError(f"Action {name} already exists")
        actions[name] = {"file": python_file, **kwargs} if python_file else {}
        return name

    def del_action(self, jail: str, name: str) -> None:
        self._action(jail, name)
        del self.actions[jail][name]

    def add_journal_match(self, jail: str, words: list[str]) -> None:
        self._jail(jail).params.setdefault("journalmatch", []).append(words)

    def del_journal_match(self, jail: str, words: list[str]) -> None:
        groups = self._jail(jail).params.setdefault("journalmatch", [])
        if words not in groups:
            raise ValueError(f"Match {words!r} not found")
        groups.remove(words)

    def add_attempt(self, jail: str, ip: str, failures: list[str]) -> int:
        self._jail(jail)
        self.attempts.append((jail, ip, failures))
        return 1

    def _action(self, jail: str, action: str) -> dict[str, Any]:
        self._jail(jail)
        found = self.actions.get(jail, {}).get(action)
        if found is None:
            raise UnknownActionError(f"Invalid Action name: {action}")
        return found

    def action_names(self, jail: str, action: str, methods: bool) -> list[str]:
        props = self._action(jail, action)
        return list(ACTION_METHODS) if methods else sorted(props)

    def get_action_property(self, jail: str, action: str, name: str) -> Any:
        props = self._action(jail, action)
        if name not in props:
            raise ValueError(f"'CommandAction' object has no attribute {name!r}")
        return props[name]

    def set_action_property(self, jail: str, action: str, name: str, value: str) -> Any:
        self._action(jail, action)[name] = value
        return value

    def call_action_method(self, jail: str, action: str, name: str, kwargs: dict[str, Any]) -> Any:
        self._action(jail, action)
        self._log("call_action_method", jail, action, name, kwargs)
        return True

    def get_ban_list(self, jail: str, with_time: bool) -> list[str]:
        lst = list(self._jail(jail).banned)
        if with_time:
            stamp = "2026-01-01 00:00:00 + 600 = 2026-01-01 00:10:00"
            return [f"{ip} \t{stamp}" for ip in lst]
        return lst


def short_tmp_dir(tmp_path: Any) -> str:
    """A directory whose socket paths fit AF_UNIX's 108 bytes."""
    path = str(tmp_path)
    return path if len(path) < 80 else "/tmp"


@contextmanager
def running_server(path: str, target: DictTarget | None = None, **kw: Any) -> Iterator[Any]:
    target = target or DictTarget()
    server = ControlSocketServer(path, Transmitter(target).proceed, **kw)
    server.start()
    try:
        yield server, target
    finally:
        server.stop()


def raw_exchange(path: str, data: bytes, *, until: bytes = b"\n", timeout: float = 5.0) -> bytes:
    """Send bytes, read until ``until`` (or EOF) and return what came back."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server hung up on an oversized request; its reply is queued
        out = b""
        while until not in out:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out


def run_stock_client(sock: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SYSTEM_PYTHON, F2B_CLIENT, "-s", sock, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        check=False,
    )
