"""The minimal request log: one JSON line per request, written off the request path.

What a line holds is what diagnostics need and no more::

    {"t": "2026-11-23T12:34:56Z", "method": "GET", "path": "/pricing", "status": 200, "ms": 1.8,
     "bytes": 5120, "ip": "203.0.113.0", "browser": "Firefox", "browser_major": "120",
     "os": "Windows", "device": "pc", "bot": false, "referrer": "https://www.google.com",
     "consent": {"decided": true, "granted": ["necessary", "analytics"], "gpc": false, "region": "FR"}}

The IP is truncated (:mod:`.client_ip`) and the user agent reduced to its summary (:mod:`.useragent`)
before the line exists, so no handler ever sees the full values. The path never carries the query
string; the referrer is cut to its origin; cookies, ``Authorization`` and bodies are never read.
``consent`` is null on the gate's own routes.

How it is written: the request path (this module) appends the request's facts (time, method, path,
status, duration, bytes, the socket peer or, behind a trusted proxy, the truncated IP, the
User-Agent and Referer values, consent) to an in-memory deque, and that is all it does. A writer
thread (:mod:`.writer`) wakes every 0.2 s, builds the waiting lines as JSON text (:mod:`.lines`)
and passes them, one ``LogRecord`` each, through the ``consentgate.requests`` logger
(:attr:`RequestLog.logger`) to the destination handler and to any handler a site adds. The file
handler buffers lines and writes them once per batch (or every 64 KiB), so the cost does not grow
with a flush per line.

Where raw lines live: with ``destination = "file"``, in files stamped with the hour (or day) of
the lines they hold (:mod:`.files`), until :mod:`.rollup` rolls every line older than the window
up into IP-free aggregates in the store and deletes it. With ``destination = "stdout"`` the raw
lines belong to whatever collects stdout and there is nothing for the roll-up to do.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import logging
import sys
import time
from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive, Scope, Send

from ..config import LoggingConfig
from ..store import Store
from .client_ip import ClientIP
from .files import StampedFileHandler
from .lines import Facts, LineBuilder
from .scheduler import RollupScheduler
from .writer import LOGGER_NAME, LineFormatter, Writer, write_batch

__all__ = ["RequestLog"]

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


class _Tap:
    """Per-request: watches what the app sends (status, body bytes) and passes it on unchanged.

    Built by :meth:`RequestLog.begin` with ``object.__new__`` and its slots set there: a class call
    runs ``__init__`` through C, which cost more per request than the rest of the tap.
    """

    __slots__ = ("bytes", "send_on", "started", "status", "t0")

    send_on: Send
    status: int
    bytes: int
    started: float
    t0: float

    def send(self, message: Message) -> Awaitable[None]:
        # Not a coroutine: it hands back the awaitable of the server's send, which the app awaits,
        # so watching costs no coroutine of its own per message.
        kind = message["type"]
        if kind == "http.response.body":
            self.bytes += len(message.get("body", b""))
        elif kind == "http.response.start":
            self.status = message["status"]
        return self.send_on(message)


_new = object.__new__
_perf_counter = time.perf_counter


class RequestLog:
    """Writes one line per request. Build it with :meth:`from_config` or directly for tests.

    ``handler`` replaces the destination handler the config names (tests, or a site's own);
    ``clock`` gives the line's time (UTC seconds).
    """

    def __init__(
        self,
        config: LoggingConfig,
        *,
        handler: logging.Handler | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self.client_ip = ClientIP(
            config.trusted_proxies, header=config.proxy_header, profile=config.ip_profile
        )
        self.destination = handler if handler is not None else _destination(config)
        self.destination.setFormatter(LineFormatter())
        self._logger = logging.Logger(LOGGER_NAME, logging.INFO)
        self._logger.propagate = False
        self._logger.addHandler(self.destination)
        # With no trusted proxy the address is the socket peer's, and the writer truncates it (the
        # request path keeps the peer tuple the server made anyway); else the request path does.
        self._peer_only = not config.trusted_proxies
        self._builder = LineBuilder(config.ip_profile if self._peer_only else None)
        # Each request's facts wait here for the writer thread: a deque append is the whole cost of
        # the line on the request path.
        self._facts: collections.deque[Facts] = collections.deque()
        self._append = self._facts.append
        self._writer: Writer | None = None
        self._on_first: list[Callable[[], None]] = []
        self._on_close: list[Callable[[], Awaitable[None]]] = []

    @classmethod
    def from_config(cls, config: LoggingConfig, store: Callable[[], Awaitable[Store]]) -> RequestLog | None:
        """The request log ``config`` asks for (None when ``enabled`` is false), with its roll-up schedule.

        ``store`` is awaited for the store on each roll-up (the gate opens it on first use).
        """
        if not config.enabled:
            return None
        log = cls(config)
        if config.destination == "file" and config.rollup_every_minutes > 0:
            scheduler = RollupScheduler(config, store, every=config.rollup_every_minutes * 60)
            log.on_first_request(scheduler.start)
            log._on_close.append(scheduler.stop)
        return log

    @property
    def logger(self) -> logging.Logger:
        """The ``consentgate.requests`` logger of this gate: every line passes through it, on the
        writer thread (add handlers to it to copy lines elsewhere)."""
        return self._logger

    def on_first_request(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (inside the event loop) when the first request arrives."""
        self._on_first.append(callback)

    def start(self) -> None:
        """Start the writer thread (done on the first request; idempotent)."""
        if self._writer is None:
            self._writer = Writer(self._facts, self._builder, self._logger)
            self._writer.start()
            atexit.register(self.close)

    def close(self) -> None:
        """Write every waiting line and stop the writer thread."""
        writer, self._writer = self._writer, None
        if writer is not None:
            atexit.unregister(self.close)
            writer.stop()
        else:
            write_batch(self._facts, self._builder, self._logger)
        self.destination.flush()

    async def aclose(self) -> None:
        """Stop the roll-up schedule (if any), then write every waiting line and stop the writer."""
        closers, self._on_close = self._on_close, []
        for closer in closers:
            await closer()
        await asyncio.to_thread(self.close)

    async def around(self, handler: Handler, scope: Scope, receive: Receive, send: Send) -> None:
        """Run ``handler`` for one request and log it once the response is done."""
        tap = self.begin(send)
        try:
            await handler(scope, receive, tap.send)
        finally:
            self.end(scope, tap)

    def begin(self, send: Send) -> _Tap:
        """Start watching one request: the app sends through the returned tap's ``send``.

        :meth:`around` in two halves, for the gate's own ``__call__``: one coroutine fewer per request.
        """
        if self._writer is None:
            self.start()
            callbacks, self._on_first = self._on_first, []
            for callback in callbacks:
                callback()
        tap: _Tap = _new(_Tap)
        tap.send_on = send
        tap.status = 0
        tap.bytes = 0
        tap.started = self.clock()
        tap.t0 = _perf_counter()
        return tap

    def end(self, scope: Scope, tap: _Tap) -> None:
        """Log the request that ``tap`` watched (call it once the app has returned or raised)."""
        elapsed = _perf_counter() - tap.t0
        # Only the facts, and only small ones: the IP truncated now, the two header values the line
        # needs (holding the whole header list until the writer runs kept every request's headers
        # alive for 0.2 s, and the server paid for the cold memory). The line is built on the writer
        # thread: built here it cost three times what it costs there, one at a time between the
        # server's other work, with Python's code and data cold, while the writer builds hundreds
        # in a row. All in this one method: a call more costs about what the header loop does.
        user_agent = referrer = b""
        headers = scope["headers"]
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value
            elif name == b"referer":
                referrer = value
        self._append(
            (
                int(tap.started),
                elapsed,
                tap.status,
                tap.bytes,
                scope["method"],
                scope["path"],
                scope.get("client") if self._peer_only else self.client_ip.truncated(scope, headers),
                user_agent,
                referrer,
                scope.get("consent"),
            )
        )


def _destination(config: LoggingConfig) -> logging.Handler:
    if config.destination == "stdout":
        return logging.StreamHandler(sys.stdout)
    return StampedFileHandler(config.path, rotation=config.rotation)
