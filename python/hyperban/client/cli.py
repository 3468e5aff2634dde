"""Command line of ``python -m hyperban.client``: options, one command, exit status.

Options come before the command (parsing stops at the first non-option, as
in fail2ban-client, so ``unban --all`` reaches the daemon intact).  Replies
go to stdout as fail2ban-client prints them; diagnostics go to stderr.
Exit status: 0 on success, 255 on any failure, like fail2ban-client.
"""

from __future__ import annotations

import errno
import getopt
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from hyperban.config import ConfigError
from hyperban.config.options import time_span_value
from hyperban.config.server import read_server_config
from hyperban.control.beautifier import beautify, beautify_error
from hyperban.control.protocol import ErrorInfo, ProtocolError

from .connection import ControlClient
from .interactive import interact
from .starter import restart_daemon, start_daemon
from .usage import usage

__all__ = ["main"]

log = logging.getLogger("hyperban.client")

OK, FAILED = 0, 255
DEFAULT_TIMEOUT = 60.0


class UsageError(Exception):
    """A command the client refuses before contacting the daemon."""


@dataclass
class Options:
    conf: str = "/etc/fail2ban"
    socket: str | None = None
    pidfile: str | None = None
    verbose: int = 1
    timeout: float = DEFAULT_TIMEOUT
    test: bool = False  # -t: test the configuration, contact no daemon
    force: bool = False  # -x: start even if a stale socket file is left
    foreground: bool = False  # -f: start the daemon in the foreground (-b: background)
    interactive: bool = False  # -i: read commands at a prompt


def _parse(argv: list[str]) -> tuple[Options | None, list[str], int | None]:
    """(options, command, exit status if we are done already)."""
    try:
        opts, args = getopt.getopt(
            argv,
            "hc:s:p:vqVtxbfid",
            [
                *("conf=", "socket=", "pidfile=", "timeout=", "help", "version", "test"),
                *("str2sec=", "dp", "dump-pretty"),
            ],
        )
    except getopt.GetoptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(usage(), file=sys.stderr)
        return None, [], FAILED
    o = Options()
    for name, value in opts:
        if name in ("-h", "--help"):
            print(usage())
            return None, [], OK
        if name in ("-V", "--version"):
            from hyperban import __version__

            print(f"hyperban v{__version__}")
            return None, [], OK
        if name == "--str2sec":  # fail2ban-client's: no daemon involved
            try:
                print(time_span_value(value))
            except ValueError as exc:
                print(f"ERROR: {exc}", file=sys.stderr)
                return None, [], FAILED
            return None, [], OK
        if name in ("-d", "--dp", "--dump-pretty"):
            # fail2ban-client prints the command stream it would send a new server;
            # hyperban's daemon reads the configuration itself, so there is none
            print(
                f"error: {name}: there is no configuration stream to dump (the daemon reads "
                "the configuration itself); -t tests it",
                file=sys.stderr,
            )
            return None, [], FAILED
        if name in ("-t", "--test"):
            o.test = True
        elif name == "-x":
            o.force = True
        elif name == "-i":
            o.interactive = True
        elif name in ("-b", "-f"):
            o.foreground = name == "-f"
        elif name in ("-c", "--conf"):
            o.conf = value
        elif name in ("-s", "--socket"):
            o.socket = value
        elif name in ("-p", "--pidfile"):
            o.pidfile = value
        elif name == "-v":
            o.verbose += 1
        elif name == "-q":
            o.verbose -= 1
        elif name == "--timeout":
            try:
                o.timeout = float(value)
            except ValueError:
                print(f"error: --timeout needs seconds, not {value!r}", file=sys.stderr)
                return None, [], FAILED
    return o, args, None


def _setup_logging(verbose: int) -> None:
    levels = {1: logging.WARNING, 2: logging.INFO}
    level = logging.ERROR if verbose <= 0 else levels.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s %(message)s"))
    # One handler for the package: the config reader logs through it too.
    root = logging.getLogger("hyperban")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # "option not defined, using default" notes concern the daemon, not us.
    logging.getLogger("hyperban.config").setLevel(max(level, logging.ERROR if verbose <= 1 else 0))


def _rewrite(command: list[str]) -> list[Any]:
    """Client-side forms of fail2ban-client: reload/restart options, ``help``."""
    name = command[0]
    if name == "restart":  # (without a jail: see starter.restart_daemon)
        return _rewrite(["reload", "--restart", *command[1:]])
    if name == "reload":
        # Unknown --options go along; the daemon names them in its error.
        options = [a for a in command[1:] if a.startswith("--") and a != "--all"]
        rest = [a for a in command[1:] if a not in options]
        if len(rest) > 1:
            raise UsageError(f"Unexpected argument(s) for reload: {rest!r}")
        # The shape the stock client sends; the configuration stream is empty
        # because the daemon reads its configuration itself.
        return ["reload", rest[0] if rest else "--all", options, []]
    return list(command)


def _explain_socket_error(exc: OSError, o: Options, path: str) -> str:
    if isinstance(exc, TimeoutError):
        return f"Timed out after {o.timeout:g} s waiting for the server on {path}"
    if exc.errno == errno.ENOENT or not os.path.exists(path):
        text = f"Failed to access socket path: {path}. Is hyperban running?"
        pid = _pid_from(o.pidfile)
        if pid is not None:
            text += f" (pid file {o.pidfile} names running process {pid})"
        return text
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"Permission denied to socket: {path}, (you must be root)"
    return f"Unable to contact server on {path}: {exc.strerror or exc}. Is it running?"


def _pid_from(pidfile: str | None) -> int | None:
    if not pidfile:
        return None
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _socket_path(o: Options) -> str:
    if o.socket:
        return o.socket
    return read_server_config(o.conf).socket


def run(o: Options, command: list[str]) -> int:
    try:
        if command in (["start"], ["restart"]):
            return _start(o, command[0], _socket_path(o))
        request = _rewrite(command)
        path = _socket_path(o)
    except (UsageError, ConfigError) as exc:
        log.error("%s", exc)
        return FAILED
    timeout: float | None = o.timeout
    if request[0] == "ping" and len(request) > 1:
        try:
            timeout = float(request[1])
        except ValueError:
            log.error("ping needs a timeout in seconds, not %r", request[1])
            return FAILED
    log.debug("socket %s, command %r", path, request)
    try:
        with ControlClient(path, timeout) as client:
            code, value = client.send(request)
    except OSError as exc:
        log.error("%s", _explain_socket_error(exc, o, path))
        return FAILED
    except ProtocolError as exc:
        log.error("Invalid reply from the server: %s", exc)
        return FAILED
    log.debug("reply %r", (code, value))
    if code == 0:
        print(beautify(request, value))
        return OK
    err = value if isinstance(value, ErrorInfo) else ErrorInfo("Error", (), str(value))
    log.error("NOK: %s", err.message)
    print(beautify_error(request, err))
    return FAILED


def _start(o: Options, name: str, path: str) -> int:
    """``start`` or ``restart`` of the daemon itself (see :mod:`.starter`)."""
    if name == "start":
        return start_daemon(o, path)
    gone = FileNotFoundError(errno.ENOENT, "no socket")
    return restart_daemon(o, path, lambda: _explain_socket_error(gone, o, path))


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `... | head`: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK


def _main(argv: list[str] | None) -> int:
    o, command, done = _parse(list(sys.argv[1:] if argv is None else argv))
    if o is None:
        return done if done is not None else FAILED
    _setup_logging(o.verbose)
    if o.test:
        # fail2ban-client -t: the daemon's own configuration test (no daemon needed)
        from hyperban.daemon.main import test_config
        from hyperban.daemon.server import Server, ServerOptions

        return test_config(Server(ServerOptions(confdir=o.conf)))
    if o.interactive:
        try:
            return interact(command, lambda words: run(o, words))
        except KeyboardInterrupt:
            print()
            return FAILED
    if not command:
        print(usage(), file=sys.stderr)
        return FAILED
    if command == ["help"]:
        print(usage())
        return OK
    try:
        return run(o, command)
    except KeyboardInterrupt:
        return FAILED
    finally:
        sys.stdout.flush()
