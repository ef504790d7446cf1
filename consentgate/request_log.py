"""The minimal request log: one JSON line per request, written off the request path.

What a line holds is what diagnostics need and no more::

    {"t": "2026-11-23T12:34:56Z", "method": "GET", "path": "/pricing", "status": 200, "ms": 1.8,
     "bytes": 5120, "ip": "203.0.113.0", "browser": "Firefox", "browser_major": "120",
     "os": "Windows", "device": "pc", "bot": false, "referrer": "https://www.google.com",
     "consent": {"decided": true, "granted": ["necessary", "analytics"], "gpc": false, "region": "FR"}}

The IP is truncated (:mod:`consentgate.client_ip`) and the user agent reduced to its summary
(:mod:`consentgate.useragent`) on the request path, before the line exists, so no handler ever sees
the full values. The path never carries the query string; the referrer is cut to its origin;
cookies, ``Authorization`` and bodies are never read. ``consent`` is null on the gate's own routes.

How it is written: the request path builds a small object and puts a ``LogRecord`` on an in-memory
queue (:class:`logging.handlers.QueueHandler`, logger ``consentgate.requests``); a
:class:`~logging.handlers.QueueListener` thread turns it into JSON and hands it to the destination
handler. The file handler buffers lines and writes them when the queue runs dry (or every 64 KiB),
one ``write`` per batch, so the cost does not grow with a flush per line.

Where raw lines live: with ``destination = "file"``, in files stamped with the hour (or day) of
the lines they hold, beside ``logging.path``: ``requests.log`` → ``requests.2026-11-23T12.log``.
Those files are the only raw copy; :mod:`consentgate.rollup` rolls up every line older than the
window into IP-free aggregates in the store and deletes it (whole files, or rewrites the one that
straddles the cut). Each batch is written with ``O_APPEND`` under an exclusive ``flock`` and the
writer checks it still holds the file the name points to, so a roll-up in another process never
loses a line. With ``destination = "stdout"`` the raw lines belong to whatever collects stdout and
there is nothing for the roll-up to do.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import functools
import json
import logging
import logging.handlers
import os
import queue
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from starlette.types import Message, Receive, Scope, Send

from .client_ip import ClientIP
from .config import LoggingConfig
from .consent import Consent
from .useragent import summarize

if TYPE_CHECKING:
    from .middleware import ConsentMiddleware

__all__ = ["LOGGER_NAME", "RawFile", "RequestLog", "append_locked", "raw_files", "stamped_path"]

LOGGER_NAME = "consentgate.requests"

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Longest path kept in a line (a path is not a place to store data, but some sites do).
_MAX_PATH = 256
#: Buffered bytes after which the file handler writes even if the queue is not empty.
_FLUSH_AT = 64 * 1024
#: How long the listener thread naps after the queue runs dry, so lines are written in batches.
_BATCH_SECONDS = 0.2


# --- the line ------------------------------------------------------------------------------------


class _Line:
    """One request's sanitized fields; ``str()`` is the JSON line (built on the listener thread)."""

    __slots__ = ("consent", "fields")

    def __init__(self, fields: dict[str, Any], consent: Consent | None) -> None:
        self.fields = fields
        self.consent = consent

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.fields)
        data["t"] = _iso(data["t"])
        consent = self.consent
        data["consent"] = (
            None
            if consent is None
            else {
                "decided": consent.decided,
                "granted": sorted(consent.granted),
                "gpc": consent.gpc,
                "region": consent.region,
            }
        )
        return data

    def __str__(self) -> str:
        return json.dumps(self.as_dict(), separators=(",", ":"))


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@functools.lru_cache(maxsize=1024)
def _origin(referrer: str) -> str | None:
    """``https://host[:port]`` of an http(s) referrer; never its path, query or user info."""
    try:
        parts = urlsplit(referrer)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


# --- the request path ----------------------------------------------------------------------------


class _Tap:
    """Per-request: watches what the app sends (status, body bytes) and passes it on unchanged."""

    __slots__ = ("bytes", "send_on", "status")

    def __init__(self, send: Send) -> None:
        self.send_on = send
        self.status = 0
        self.bytes = 0

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            self.bytes += len(message.get("body", b""))
        elif kind == "http.response.start":
            self.status = message["status"]
        await self.send_on(message)


class _NoFormatQueueHandler(logging.handlers.QueueHandler):
    """Puts the record on the queue as it is: formatting happens on the listener thread."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class RequestLog:
    """Writes one line per request. Build it with :meth:`for_gate` or directly for tests.

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
        self.destination.setFormatter(logging.Formatter("%(message)s"))
        self._queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._logger = logging.Logger(LOGGER_NAME, logging.INFO)
        self._logger.propagate = False
        self._logger.addHandler(_NoFormatQueueHandler(self._queue))
        self._listener: _Listener | None = None
        self._on_first: list[Callable[[], None]] = []
        self._on_close: list[Callable[[], Awaitable[None]]] = []

    @classmethod
    def for_gate(cls, gate: ConsentMiddleware) -> RequestLog | None:
        """The request log of a gate (None when ``logging.enabled`` is false), with its roll-up schedule."""
        config = gate.config.logging
        if not config.enabled:
            return None
        log = cls(config)
        if config.destination == "file" and config.rollup_every_minutes > 0:
            from .rollup import RollupScheduler

            scheduler = RollupScheduler(config, gate.store, every=config.rollup_every_minutes * 60)
            log.on_first_request(scheduler.start)
            log._on_close.append(scheduler.stop)
        return log

    @property
    def logger(self) -> logging.Logger:
        """The ``consentgate.requests`` logger (add handlers to it to copy lines elsewhere)."""
        return self._logger

    def on_first_request(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (inside the event loop) when the first request arrives."""
        self._on_first.append(callback)

    def start(self) -> None:
        """Start the listener thread (done on the first request; idempotent)."""
        if self._listener is None:
            self._listener = _Listener(self._queue, self.destination)
            self._listener.start()
            atexit.register(self.close)

    def close(self) -> None:
        """Write every queued line and stop the listener thread."""
        listener, self._listener = self._listener, None
        if listener is not None:
            atexit.unregister(self.close)
            listener.stop()
        self.destination.flush()

    async def aclose(self) -> None:
        """Stop the roll-up schedule (if any), then write every queued line and stop the listener."""
        closers, self._on_close = self._on_close, []
        for closer in closers:
            await closer()
        await asyncio.to_thread(self.close)

    async def around(self, handler: Handler, scope: Scope, receive: Receive, send: Send) -> None:
        """Run ``handler`` for one request and log it once the response is done."""
        if self._listener is None:
            self.start()
            callbacks, self._on_first = self._on_first, []
            for callback in callbacks:
                callback()
        started = self.clock()
        t0 = time.perf_counter()
        tap = _Tap(send)
        try:
            await handler(scope, receive, tap.send)
        finally:
            self._emit(scope, started, time.perf_counter() - t0, tap)

    def _emit(self, scope: Scope, started: float, elapsed: float, tap: _Tap) -> None:
        user_agent = referrer = b""
        headers = scope["headers"]
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value
            elif name == b"referer":
                referrer = value
        ua = summarize(user_agent.decode("latin-1"))
        fields = {
            "t": int(started),
            "method": scope["method"],
            "path": scope["path"][:_MAX_PATH],
            # No response started: the app failed, and the server answers 500.
            "status": tap.status or 500,
            "ms": round(elapsed * 1000, 2),
            "bytes": tap.bytes,
            "ip": self.client_ip.truncated(scope, headers),
            "browser": ua.browser,
            "browser_major": ua.browser_major,
            "os": ua.os,
            "device": ua.device,
            "bot": ua.bot,
            "referrer": _origin(referrer.decode("latin-1")) if referrer else None,
        }
        consent = scope.get("consent")
        line = _Line(fields, consent if isinstance(consent, Consent) else None)
        record = logging.LogRecord(LOGGER_NAME, logging.INFO, __file__, 0, line, None, None)
        self._logger.handle(record)


# --- the listener side ---------------------------------------------------------------------------


class _Listener(logging.handlers.QueueListener):
    """A queue listener that lets its handlers flush whenever the queue runs dry."""

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord], handler: logging.Handler) -> None:
        super().__init__(records, handler)
        self._records = records

    def dequeue(self, block: bool) -> logging.LogRecord:
        try:
            return self._records.get_nowait()
        except queue.Empty:
            for handler in self.handlers:
                handler.flush()
        # Under load the queue runs dry after almost every line; waking per line (and writing per
        # line) took the GIL from the event loop about as long as the request itself. Napping here
        # lets lines pile up and be formatted and written in batches; a line waits at most this long.
        time.sleep(_BATCH_SECONDS)
        return self._records.get(block)


def _destination(config: LoggingConfig) -> logging.Handler:
    if config.destination == "stdout":
        return logging.StreamHandler(sys.stdout)
    return StampedFileHandler(config.path, rotation=config.rotation)


class StampedFileHandler(logging.Handler):
    """Appends lines to files stamped with the hour (or day) of each line's own time.

    Lines are buffered per file and written on :meth:`flush` (the listener calls it when the queue
    runs dry) with :func:`append_locked`, one write per batch.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, rotation: Literal["hourly", "daily"] = "hourly"
    ) -> None:
        super().__init__()
        self.base = Path(path)
        self.rotation: Literal["hourly", "daily"] = rotation
        self._pending: dict[Path, list[str]] = {}
        self._size = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            msg = record.msg
            when = msg.fields["t"] if isinstance(msg, _Line) else int(record.created)
            target = stamped_path(self.base, self.rotation, when)
            self._pending.setdefault(target, []).append(text + "\n")
            self._size += len(text) + 1
            if self._size >= _FLUSH_AT:
                self.flush()
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        self.acquire()
        try:
            pending, self._pending, self._size = self._pending, {}, 0
            for target, lines in pending.items():
                try:
                    append_locked(target, "".join(lines).encode("utf-8"))
                except OSError as exc:
                    print(
                        f"consentgate: cannot write the request log {str(target)!r}: {exc}", file=sys.stderr
                    )
        finally:
            self.release()


# --- raw files: naming and safe appends (shared with the roll-up) ----------------------------------

_STAMP_FORMATS = {"hourly": "%Y-%m-%dT%H", "daily": "%Y-%m-%d"}


def stamped_path(base: Path, rotation: Literal["hourly", "daily"], t: float) -> Path:
    """The raw file that holds lines of time ``t``: ``requests.log`` → ``requests.2026-11-23T12.log``."""
    stamp = time.strftime(_STAMP_FORMATS[rotation], time.gmtime(t))
    return base.with_name(f"{base.stem}.{stamp}{base.suffix}")


@dataclass(frozen=True, slots=True)
class RawFile:
    """A raw log file and the period its lines belong to (``start`` inclusive, ``end`` exclusive)."""

    path: Path
    start: float
    end: float


def raw_files(base: str | os.PathLike[str]) -> Iterator[RawFile]:
    """Every stamped raw file beside ``base`` (hourly and daily ones), in no particular order."""
    base = Path(base)
    pattern = re.compile(
        re.escape(base.stem) + r"\.(\d{4}-\d{2}-\d{2})(T\d{2})?" + re.escape(base.suffix) + r"$"
    )
    with contextlib.suppress(FileNotFoundError):
        for entry in base.parent.iterdir():
            match = pattern.match(entry.name)
            if not match:
                continue
            day, hour = match.group(1), match.group(2)
            try:
                start = datetime.strptime(day + (hour or ""), "%Y-%m-%d" + ("T%H" if hour else ""))
            except ValueError:
                continue
            begin = start.replace(tzinfo=UTC).timestamp()
            yield RawFile(entry, begin, begin + (3600 if hour else 86400))


def append_locked(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` in one ``O_APPEND`` write under an exclusive ``flock``.

    After taking the lock the writer checks that the name still points to the file it opened (a
    roll-up may have claimed it meanwhile) and opens it again if not, so no line lands in a file
    that is about to be deleted.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                continue
            if current.st_ino != os.fstat(fd).st_ino:
                continue
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            return
        finally:
            os.close(fd)  # closing releases the lock
