"""Log lines written by the thousand: a batch's ``Found`` lines at a fraction of the
cost of ``logger.info`` each, flushed once at the end of the batch.

A :class:`BatchLog` looks once per batch at where a logger's records would go.  When
that is one handler offering direct writes (the daemon's stream and file targets, see
``hyperban.daemon.logs``), with no filter on the way, each line is written straight to
that handler -- the very text its ``emit`` would write, without a ``LogRecord`` and
without a flush per line -- and :meth:`BatchLog.close` flushes once.  The lines of a
batch are written within a few milliseconds and carry the time of its first line: the
text around the message is formatted once per batch (``line_template``), and each line
is that text with its message in the middle.  Anything else (syslog, the journal, test
handlers, filters, several handlers) gets the usual ``logger.log`` call per line.
"""

from __future__ import annotations

import logging
import os
import time
from types import TracebackType
from typing import Any, Protocol

__all__ = ["BatchLog", "DirectHandler"]


class DirectHandler(Protocol):
    """A handler that writes lines without a ``LogRecord`` (``emit_direct``), or from a
    template of a line around its message (``line_template`` and ``write_direct``)."""

    def emit_direct(
        self, name: str, levelname: str, message: str, created: float, pid: int
    ) -> bool: ...

    def line_template(
        self, name: str, levelname: str, created: float, pid: int
    ) -> tuple[str, str] | None: ...

    def write_direct(self, text: str) -> bool: ...

    def flush(self) -> None: ...


def _sole_handler(logger: logging.Logger, level: int) -> DirectHandler | None:
    """The only handler a record of ``level`` from ``logger`` reaches, if it takes lines
    directly and nothing on the way filters records; else None."""
    if logger.disabled:
        return None
    found: Any = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if level < handler.level:
                continue
            direct = all(hasattr(handler, a) for a in ("emit_direct", "line_template"))
            if found is not None or handler.filters or not direct:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    return found  # type: ignore[no-any-return]


class BatchLog:
    """``logger.log(level, msg, *args)`` for the lines of one batch (one thread).

    Use as a context manager, or call :meth:`close` at the end of the batch: lines
    written directly are flushed then.
    """

    __slots__ = (
        "_handler",
        "_level",
        "_levelname",
        "_logger",
        "_pid",
        "_template",
        "_written",
        "enabled",
    )

    def __init__(self, logger: logging.Logger, level: int = logging.INFO) -> None:
        self._logger = logger
        self._level = level
        self.enabled = logger.isEnabledFor(level)
        self._handler = _sole_handler(logger, level) if self.enabled else None
        self._levelname = logging.getLevelName(level)
        self._pid = os.getpid()  # what each LogRecord would read; constant for a batch
        self._written = False
        # (head, tail) of the batch's lines, made at its first line: the lines of a
        # batch are written together and carry the time of the first
        self._template: tuple[str, str] | None = None

    def __call__(self, msg: str, *args: Any) -> None:
        if not self.enabled:
            return
        handler = self._handler
        message = msg % args if args else msg  # as LogRecord.getMessage
        if handler is not None:
            template = self._template
            if template is None:
                name, created = self._logger.name, time.time()
                template = handler.line_template(name, self._levelname, created, self._pid)
                self._template = template
            if template is not None:
                written = handler.write_direct(template[0] + message + template[1])
            else:
                written = handler.emit_direct(
                    self._logger.name, self._levelname, message, time.time(), self._pid
                )
            if written:
                self._written = True
                return
        self._logger.log(self._level, msg, *args)

    def close(self) -> None:
        """Flush the lines written directly (a no-op if there are none)."""
        if self._written:
            self._written = False
            assert self._handler is not None
            self._handler.flush()

    def __enter__(self) -> BatchLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
