"""``python -m hyperban [OPTIONS]``: the daemon, with fail2ban-server's options.

Exit status: 0 after a clean stop, 255 when it cannot start (the message names the file,
line, jail or path at fault), 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from types import FrameType

import hyperban

from . import logs
from .pidfile import PidFile, PidFileError
from .server import Server, ServerOptions, StartupError

__all__ = ["main"]

log = logging.getLogger("hyperban.server")

DESCRIPTION = """\
hyperban -- a fail2ban-compatible intrusion prevention daemon.

Reads the fail2ban configuration in CONFDIR unchanged (fail2ban.conf/.local, jail.conf,
jail.local, jail.d/, filter.d/, action.d/), follows the jails' logs, bans the addresses
that reach maxretry failures within findtime through the jails' actions, and lifts each
ban when its ban time is over.  Bans are kept in SQLite (fail2ban's schema) and restored
at start with their remaining time.  Control it with `python -m hyperban.client`.

Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT stop cleanly (actionstop and
flush run, the database stays consistent), SIGUSR1 reopens a log file target.
"""

EPILOG = """\
The bundled example configuration (an sshd jail with a log-only action) is used with
--bundled-config; `python -m hyperban.client -c CONFDIR ...` talks to the daemon.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m hyperban",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "-c",
        "--conf",
        dest="confdir",
        default="/etc/fail2ban",
        metavar="DIR",
        help="configuration directory (default: /etc/fail2ban)",
    )
    p.add_argument(
        "--bundled-config",
        action="store_true",
        help="use hyperban's own example configuration instead of -c",
    )
    p.add_argument("-s", "--socket", metavar="FILE", help="control socket path")
    p.add_argument("-p", "--pidfile", metavar="FILE", help="pid file path")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-f", "--foreground", action="store_true", help="stay in the foreground")
    mode.add_argument(
        "-b",
        "--background",
        action="store_true",
        help="detach and run in the background (the default)",
    )
    p.add_argument(
        "-x", "--force", action="store_true", help="remove a stale socket left by a crashed daemon"
    )
    p.add_argument(
        "--logtarget", metavar="TARGET", help="STDOUT, STDERR, SYSLOG, SYSTEMD-JOURNAL or a file"
    )
    p.add_argument(
        "--loglevel", metavar="LEVEL", help="CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG, ..."
    )
    p.add_argument("--syslogsocket", metavar="PATH", help="syslog socket (default: auto)")
    p.add_argument(
        "-t",
        "--test",
        action="store_true",
        help="test the configuration (build every jail, start nothing) and exit",
    )
    p.add_argument("-V", "--version", action="version", version=f"hyperban {hyperban.__version__}")
    p.add_argument(
        "command",
        nargs="*",
        metavar="start",
        help="fail2ban-server's 'start' (what the daemon does anyway), as in Debian's "
        "unit: fail2ban-server -xf start",
    )
    return p  # fmt: skip


def _options(args: argparse.Namespace) -> ServerOptions:
    confdir = args.confdir
    if args.bundled_config:
        from hyperban.defaults import default_config_dir

        confdir = str(default_config_dir())
    return ServerOptions(
        confdir=confdir,
        socket=args.socket,
        pidfile=args.pidfile,
        logtarget=args.logtarget,
        loglevel=args.loglevel,
        force=args.force,
    )


def _daemonize() -> None:
    """Classic double fork; the parent returns 0 to the shell at once."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    with open(os.devnull, "rb") as null_in, open(os.devnull, "ab") as null_out:
        os.dup2(null_in.fileno(), 0)
        os.dup2(null_out.fileno(), 1)
        os.dup2(null_out.fileno(), 2)


def _install_signals(server: Server) -> None:
    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        server.request_stop()

    def reload(_signum: int, _frame: FrameType | None) -> None:
        server.request_reload()

    def reopen(_signum: int, _frame: FrameType | None) -> None:
        logs.reopen()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
    signal.signal(signal.SIGUSR1, reopen)


def _fatal(message: str) -> int:
    """Report a start-up failure once: in the log, and on stderr unless that is the log."""
    log.error("cannot start: %s", message)
    if logs.current_target().upper() not in ("STDERR", "STDOUT"):
        print(f"hyperban: cannot start: {message}", file=sys.stderr)
    return 255


def test_config(server: Server) -> int:
    """``-t``: fail2ban's configuration test, with its words; 0 if the configuration
    builds, else 255 with the reason (file and line, or the jail) on stderr."""
    try:
        server.prepare(test_only=True)
    except (StartupError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        print("ERROR: test configuration failed", file=sys.stderr)
        return 255
    print("OK: configuration test is successful")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command not in ([], ["start"]):
        parser.error(
            f"unexpected command {' '.join(args.command)!r}: the daemon takes 'start' only "
            "(control it with python -m hyperban.client)"
        )
    server = Server(_options(args))
    if args.test:
        logs.configure("STDERR", args.loglevel or "WARNING")
        return test_config(server)
    # Log to stderr until the configured target is known: start-up errors must be seen.
    logs.configure("STDERR", args.loglevel or "INFO")
    try:
        server.prepare()
        target = args.logtarget or server.config.logtarget
        level = args.loglevel or server.config.loglevel
        syslogsocket = args.syslogsocket or server.config.syslogsocket
        logs.configure(target, level, syslogsocket)
    except (StartupError, ValueError) as exc:
        print(f"hyperban: cannot start: {exc}", file=sys.stderr)
        return 255
    if not args.foreground:
        _daemonize()
    pidfile = PidFile(server.pidfile)
    try:
        pidfile.acquire()
    except PidFileError as exc:
        return _fatal(str(exc))
    try:
        _install_signals(server)
        try:
            server.start()
        except StartupError as exc:
            server.shutdown()
            return _fatal(str(exc))
        log.info("hyperban %s running, socket %s", hyperban.__version__, server.socket_path)
        server.serve_forever()
        server.shutdown()
        return 0
    finally:
        with contextlib.suppress(Exception):
            pidfile.release()
