"""The daemon's log output, configured like fail2ban's ``logtarget``/``loglevel``.

Targets: ``STDOUT``, ``STDERR``, ``SYSLOG`` (``syslogsocket``: ``auto`` = ``/dev/log``),
``SYSTEMD-JOURNAL`` (needs the ``systemd`` Python package; otherwise an error naming the
missing package) or a file path.  A file target is reopened on :func:`reopen` (SIGUSR1,
``flushlogs``), so logrotate can move it away.

Lines look like fail2ban's (``2026-11-26 12:00:00,123 hyperban.actions [42]: NOTICE
[sshd] Ban 192.0.2.1``), and fail2ban's extra level names (``NOTICE`` 25, ``MSG`` 18,
``TRACEDEBUG`` 7, ``HEAVYDEBUG`` 5) are registered so ``loglevel = NOTICE`` works.
"""

from __future__ import annotations

import logging
import logging.handlers
import math
import os
import re
import sys
import time
from typing import TextIO

from hyperban.config.server import LOG_LEVELS, NOTICE, log_level_value

__all__ = [
    "NOTICE",
    "DirectStreamHandler",
    "LineFormatter",
    "LogTargetError",
    "RotationAwareFileHandler",
    "configure",
    "current_target",
    "reopen",
]

_FORMAT = "%(asctime)s %(name)-24s[%(process)d]: %(levelname)-7s %(message)s"
# syslog and the journal add their own time stamp and pid
_SYSLOG_FORMAT = "%(name)s[%(process)d]: %(levelname)s %(message)s"

# stands for the message in a line template (no format or record holds it)
_SENTINEL = "\x00\x01message\x01\x00"

_handler: logging.Handler | None = None
_target = "STDERR"

for _name in ("NOTICE", "MSG", "TRACEDEBUG", "HEAVYDEBUG"):
    logging.addLevelName(LOG_LEVELS[_name], _name)


class LineFormatter(logging.Formatter):
    """A ``%``-style formatter whose time stamp text is cached per second, and which can
    format a line without a ``LogRecord`` (:meth:`line`).

    At a thousand ``Found`` lines a second, the ``strftime`` of every record's time
    stamp and the ``LogRecord`` itself were most of the cost of logging.  Both paths
    fill the same format string with the same values, so they give the same text.
    """

    # the fields :meth:`line` can fill (ours and syslog's formats use no others)
    _DIRECT_FIELDS = frozenset({"asctime", "name", "process", "levelname", "message"})

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        # (epoch second, its text), swapped whole (thread-safe)
        self._second: tuple[int | None, str] = (None, "")
        self.direct = set(re.findall(r"%\((\w+)\)", fmt)) <= self._DIRECT_FIELDS
        # the message once, unpadded: a line is then a head, the message and a tail
        self.templated = self.direct and fmt.count("%(message)") == 1 and "%(message)s" in fmt
        self._uses_time = self.usesTime()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt:
            return super().formatTime(record, datefmt)
        return self._asctime(record.created, record.msecs)

    def _asctime(self, created: float, msecs: float) -> str:
        """``Formatter.formatTime`` without a date format, one ``strftime`` per second."""
        second = math.floor(created)  # the second localtime() converts
        cached = self._second
        if cached[0] != second:
            text = time.strftime(self.default_time_format, self.converter(created))
            cached = self._second = (second, text)
        return self.default_msec_format % (cached[1], msecs)

    def template(self, name: str, levelname: str, created: float, pid: int) -> tuple[str, str]:
        """``(head, tail)`` such that ``head + message + tail`` is :meth:`line`'s text for
        any message at that time (only if :attr:`direct` and the format has one plain
        ``%(message)s``, see :attr:`templated`)."""
        text = self.line(name, levelname, _SENTINEL, created, pid)
        head, _, tail = text.partition(_SENTINEL)
        return head, tail

    def line(self, name: str, levelname: str, message: str, created: float, pid: int) -> str:
        """The text ``format()`` gives for such a record (only if :attr:`direct`)."""
        values = {"name": name, "process": pid, "levelname": levelname, "message": message}
        if self._uses_time:
            # LogRecord's own expression for msecs (see gh-89047)
            values["asctime"] = self._asctime(created, int((created - int(created)) * 1000) + 0.0)
        return self._style._fmt % values  # type: ignore[attr-defined]


class DirectStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream target that also takes lines without a ``LogRecord``
    (:meth:`emit_direct`, used by ``hyperban.server.loglines`` for the ``Found`` lines).

    Those lines are not flushed one by one: the writer flushes once per batch, so a
    chunk's thousand lines cost a few buffer-sized ``write()`` calls rather than a
    thousand.  Records logged the usual way are flushed at once, and with them any
    line still buffered.
    """

    def line_template(
        self, name: str, levelname: str, created: float, pid: int
    ) -> tuple[str, str] | None:
        """``(head, tail)``: ``head + message + tail`` is the text :meth:`emit_direct`
        would write for such a record at ``created`` (terminator included); None when
        the formatter cannot say."""
        formatter = self.formatter
        if not isinstance(formatter, LineFormatter) or not formatter.templated:
            return None
        head, tail = formatter.template(name, levelname, created, pid)
        return head, tail + self.terminator

    def write_direct(self, text: str) -> bool:
        """Write ``text`` (whole lines) unflushed; False if it cannot (nothing written)."""
        with self.lock:  # type: ignore[union-attr]  # Handler.createLock made it
            stream = self._direct_stream()
            if stream is None:
                return False
            try:
                stream.write(text)
            except Exception:  # the usual path reports it (Handler.handleError)
                return False
        return True

    def emit_direct(
        self, name: str, levelname: str, message: str, created: float, pid: int
    ) -> bool:
        """Write the line ``emit`` would write for such a record, unflushed; False if it
        cannot (then nothing was written, and the caller logs the usual way)."""
        formatter = self.formatter
        if not isinstance(formatter, LineFormatter) or not formatter.direct:
            return False
        return self.write_direct(
            formatter.line(name, levelname, message, created, pid) + self.terminator
        )

    def _direct_stream(self) -> TextIO | None:
        """The stream to write to now (under the handler's lock); None once the handler
        is closed (replaced by another target): the usual path then finds the new one."""
        return None if self._closed else self.stream  # type: ignore[attr-defined]


class RotationAwareFileHandler(logging.handlers.WatchedFileHandler, DirectStreamHandler):
    """A log file that is reopened when logrotate moved it away without telling us.

    ``WatchedFileHandler`` stat()s the path before every record; at a thousand
    ``Found`` lines a second that was a third of the cost of logging.  Here the
    path is checked at most once per ``check_interval`` seconds: lines written in
    that window after a rotation land at the end of the rotated file, none is lost.
    SIGUSR1 (:func:`reopen`) still reopens at once.
    """

    def __init__(self, filename: str, check_interval: float = 1.0) -> None:
        super().__init__(filename)
        self.check_interval = check_interval
        self._next_check = time.monotonic() + check_interval

    def reopenIfNeeded(self) -> None:
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.check_interval
        super().reopenIfNeeded()

    def _direct_stream(self) -> TextIO | None:
        # As emit: follow a rotation first.  A closed handler has no stream (reopen()
        # gives it a new one); unlike emit, this does not reopen it behind configure().
        self.reopenIfNeeded()
        return self.stream


class LogTargetError(ValueError):
    """A ``logtarget`` that cannot be used (its message names the target and why)."""


def _make_handler(target: str, syslogsocket: str) -> logging.Handler:
    upper = target.upper()
    if upper == "STDOUT":
        return DirectStreamHandler(sys.stdout)
    if upper == "STDERR":
        return DirectStreamHandler(sys.stderr)
    if upper == "SYSLOG":
        address = "/dev/log" if syslogsocket in ("", "auto") else syslogsocket
        try:
            handler: logging.Handler = logging.handlers.SysLogHandler(address=address)
        except OSError as exc:
            raise LogTargetError(f"logtarget SYSLOG: cannot open {address}: {exc}") from None
        handler.setFormatter(logging.Formatter(_SYSLOG_FORMAT))
        return handler
    if upper in ("SYSTEMD-JOURNAL", "SYSTEMD_JOURNAL"):
        try:
            from systemd.journal import JournalHandler  # type: ignore[import-not-found]
        except ImportError:
            raise LogTargetError(
                "logtarget SYSTEMD-JOURNAL needs the Python package 'systemd' "
                "(python3-systemd), which is not importable here"
            ) from None
        handler = JournalHandler(SYSLOG_IDENTIFIER="hyperban")
        handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s %(message)s"))
        return handler
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise LogTargetError(f"logtarget {target}: directory {directory} does not exist")
    try:
        return RotationAwareFileHandler(target)
    except OSError as exc:
        raise LogTargetError(f"logtarget {target}: {exc.strerror}") from None


def configure(target: str, level: str | int, syslogsocket: str = "auto") -> None:
    """Send the ``hyperban`` loggers to ``target`` at ``level`` (replacing the previous
    target).  Raises :class:`LogTargetError` or ``ValueError`` (bad level) and then leaves
    the current set-up untouched."""
    global _handler, _target
    numeric = log_level_value(level)
    handler = _make_handler(target, syslogsocket)
    if handler.formatter is None:
        handler.setFormatter(LineFormatter(_FORMAT))
    root = logging.getLogger("hyperban")
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    root.addHandler(handler)
    root.setLevel(numeric)
    root.propagate = False
    # Our formats use neither the caller's file/line nor thread or process names;
    # collecting them is most of a record's cost at a thousand Found lines a second
    # (the switches of the logging HOWTO's "Optimization" section).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logMultiprocessing = False
    _handler = handler
    _target = target


def current_target() -> str:
    return _target


def reopen() -> str:
    """Reopen a file target (after logrotate moved it); ``"rolled over"`` for a file,
    ``"flushed"`` for the other targets (fail2ban's ``flushlogs`` replies)."""
    handler = _handler
    if isinstance(handler, logging.FileHandler):
        handler.acquire()
        try:
            handler.close()
            handler.stream = handler._open()
        finally:
            handler.release()
        return "rolled over"
    if handler is not None:
        handler.flush()
    return "flushed"
