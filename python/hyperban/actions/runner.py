"""Running one action command: ``/bin/sh -c SCRIPT`` with a timeout, logged as fail2ban does.

The command gets its own session (process group), so that on timeout the whole group --
the shell and whatever it started -- is terminated, then killed.  Output is read in full
(a chatty command cannot block on a full pipe) and logged line by line: at debug level
when the command succeeded, as errors when it failed, like fail2ban's ``executeCmd``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass

__all__ = ["DEFAULT_SHELL", "DEFAULT_TIMEOUT", "CommandResult", "run_command"]

log = logging.getLogger("hyperban.actions.command")

DEFAULT_SHELL = "/bin/sh"
# fail2ban's default action timeout, in seconds.
DEFAULT_TIMEOUT = 60.0
# Linux refuses a single argv string longer than this (MAX_ARG_STRLEN); longer scripts go
# through a temporary file.
_MAX_ARG = 128 * 1024 - 1
# Time between SIGTERM and SIGKILL of a command that timed out.
_TERM_GRACE = 0.1


@dataclass
class CommandResult:
    ok: bool
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False


def run_command(
    script: str,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    shell: str = DEFAULT_SHELL,
    logger: logging.Logger = log,
) -> CommandResult:
    """Run ``script`` with ``shell -c``; never raises for a failing command."""
    data = script.encode("utf-8", "surrogateescape")
    tag = f"{id(script) & 0xFFFFFFFF:x}"
    tmp_path = None
    if len(data) > _MAX_ARG:
        fd, tmp_path = tempfile.mkstemp(prefix="hyperban-action-", suffix=".sh")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        argv: list[str | bytes] = [shell, tmp_path]
    else:
        argv = [shell, "-c", data]
    try:
        return _run(argv, script, timeout, tag, logger)
    finally:
        if tmp_path:
            os.unlink(tmp_path)


def _run(
    argv: list[str | bytes], script: str, timeout: float, tag: str, logger: logging.Logger
) -> CommandResult:
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        logger.error("%s -- exec: %s", tag, script)
        logger.error("%s -- failed to start %s: %s", tag, argv[0], exc)
        return CommandResult(False, None, b"", str(exc).encode())
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        logger.error("%s -- exec: %s", tag, script)
        logger.error("%s -- timed out after %s seconds.", tag, timeout)
        stdout, stderr = _kill_group(proc)
    rc = proc.returncode
    ok = rc == 0 and not timed_out
    level = logging.DEBUG if ok else logging.ERROR
    if not timed_out and logger.isEnabledFor(level):
        logger.log(level, "%s -- exec: %s", tag, script)
    if logger.isEnabledFor(level):
        for name, text in (("stdout", stdout), ("stderr", stderr)):
            for line in text.splitlines():
                logger.log(level, "%s -- %s: %r", tag, name, line.decode("utf-8", "replace"))
    if ok:
        logger.debug("%s -- returned successfully %i", tag, rc)
    elif timed_out or (rc is not None and (rc < 0 or rc > 128)):
        sig = -rc if rc is not None and rc < 0 else (rc or 0) - 128
        logger.error("%s -- killed with %s (return code: %s)", tag, _signame(sig), rc)
    else:
        logger.error("%s -- returned %i", tag, rc)
        if rc == 127:
            logger.error(
                "%s -- command not found (exit 127): make sure every command of the action"
                " is installed and in the PATH of hyperban (PATH=%s)",
                tag,
                os.environ.get("PATH", ""),
            )
        elif rc == 126:
            logger.error("%s -- command not executable (exit 126): check its permissions", tag)
    return CommandResult(ok, rc, stdout or b"", stderr or b"", timed_out)


def _kill_group(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Terminate, then kill, the command's process group; collect what it wrote."""
    for sig, wait in ((signal.SIGTERM, _TERM_GRACE), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return proc.communicate(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # Something outside the group still holds the pipes open: stop waiting for them.
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    proc.wait()
    return b"", b""


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"
