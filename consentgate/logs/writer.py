"""The request log's writer thread: it builds the lines of the requests waiting and logs them in batches.

Every ``_BATCH_SECONDS`` the thread takes the facts the request path left in the deque, turns each
into its line (:class:`~.lines.LineBuilder`), passes it, one :class:`LineRecord` each, through the
``consentgate.requests`` logger to its handlers, then flushes them, so a handler writes a batch at a
time.
"""

from __future__ import annotations

import collections
import logging
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from .lines import Facts, LineBuilder

__all__ = ["LOGGER_NAME", "LineFormatter", "LineRecord", "Writer", "write_batch"]

LOGGER_NAME = "consentgate.requests"

#: How often the writer thread wakes to write the lines waiting (the most a line waits).
_BATCH_SECONDS = 0.2


class LineRecord(logging.LogRecord):
    """A ``LogRecord`` of one request line, built without the stock constructor.

    The stock one looks up the thread, process and source location of every record, which costs
    more than the rest of the line; a line's only facts are its text and its time.
    """

    def __init__(self, line: str, t: int) -> None:  # no super().__init__(): see above
        self.__dict__.update(_RECORD_TEMPLATE)
        self.msg = line
        self.created = float(t)


#: A line's record says where its request was seen (``RequestLog``), whichever thread builds it.
_SEEN_IN = os.path.join(os.path.dirname(__file__), "request_log.py")
_RECORD_TEMPLATE: dict[str, Any] = {
    "name": LOGGER_NAME,
    "args": (),
    "levelname": "INFO",
    "levelno": logging.INFO,
    "pathname": _SEEN_IN,
    "filename": os.path.basename(_SEEN_IN),
    "module": "request_log",
    "exc_info": None,
    "exc_text": None,
    "stack_info": None,
    "lineno": 0,
    "funcName": "around",
    "msecs": 0.0,
    "relativeCreated": 0.0,
    "thread": None,
    "threadName": None,
    "processName": None,
    "process": None,
    "taskName": None,
}


class LineFormatter(logging.Formatter):
    """Formats a record as its message alone: the line is already JSON (and has no exception).

    Same output as ``Formatter("%(message)s")`` for these records, without its per-record
    ``%``-formatting of the record's whole ``__dict__``.
    """

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def write_batch(facts: collections.deque[Facts], builder: LineBuilder, logger: logging.Logger) -> None:
    """Build the line of every request waiting, pass each through ``logger``, then let its handlers
    write the batch."""
    if logger.disabled or logger.filters or logger.propagate or not _plain(logger.handlers):
        _write_each(facts, builder, logger)
        return
    # The common case, a logger whose handlers filter nothing: each handler gets the whole batch
    # under one hold of its lock, which is what ``Handler.handle`` does per record (the filter and
    # lock calls cost about as much as building the line).
    records: list[LineRecord] = []
    try:
        for record in _records(facts, builder):
            records.append(record)
    finally:
        # Even when one request's line fails, the lines built before it are written.
        for handler in logger.handlers:
            if handler.level <= logging.INFO:
                emit = handler.emit
                handler.acquire()
                try:
                    for record in records:
                        try:
                            emit(record)
                        except Exception:
                            # One line a handler cannot take costs that line only (the stock
                            # handlers report it the same way), not the rest of the batch.
                            handler.handleError(record)
                finally:
                    handler.release()
            handler.flush()


def _plain(handlers: list[logging.Handler]) -> bool:
    """Whether every handler is one whose ``handle`` is the stock one and has no filter."""
    return bool(handlers) and all(
        not handler.filters and type(handler).handle is logging.Handler.handle for handler in handlers
    )


def _records(facts: collections.deque[Facts], builder: LineBuilder) -> Iterator[LineRecord]:
    """The record of each request waiting, taken off ``facts`` one by one (a line that fails to
    build raises there: the ones before it were given out)."""
    popleft = facts.popleft
    line = builder.line
    while True:
        try:
            item = popleft()
        except IndexError:
            return
        yield _record(line(item), item[0])


def _write_each(facts: collections.deque[Facts], builder: LineBuilder, logger: logging.Logger) -> None:
    # Logger.handle is "unless disabled or filtered out, callHandlers": decided once per batch here.
    handle = logger.handle if logger.disabled or logger.filters else logger.callHandlers
    for record in _records(facts, builder):
        handle(record)
    for handler in logger.handlers:
        handler.flush()


def _record(line: str, t: int) -> LineRecord:
    # A LineRecord without a class call (which runs __init__ through C, per line).
    record: LineRecord = _new(LineRecord)
    record.__dict__ = attributes = _RECORD_TEMPLATE.copy()
    attributes["msg"] = line
    attributes["created"] = float(t)
    return record


_new = object.__new__


class Writer(threading.Thread):
    """Wakes every ``_BATCH_SECONDS``, builds and logs the lines of the requests waiting, flushes.

    Waking per line (and writing per line) took the GIL from the event loop about as long as the
    request itself; in batches, a line waits at most ``_BATCH_SECONDS`` and costs a few microseconds.
    """

    def __init__(self, facts: collections.deque[Facts], builder: LineBuilder, logger: logging.Logger) -> None:
        super().__init__(name="consentgate-request-log", daemon=True)
        self._facts = facts
        self._builder = builder
        self._logger = logger
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(_BATCH_SECONDS):
            self._write_safely()
        self._write_safely()

    def _write_safely(self) -> None:
        try:
            write_batch(self._facts, self._builder, self._logger)
        except Exception as exc:  # a broken handler must not stop the log for good
            print(f"consentgate: request log writer: {exc!r}", file=sys.stderr)

    def stop(self) -> None:
        """Write the lines still waiting, then end the thread (and wait for it)."""
        self._stopping.set()
        self.join()
