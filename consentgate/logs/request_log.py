"""The minimal request log: one JSON line per request, written off the request path.

What a line holds is what diagnostics need and no more::

    {"t": "2026-11-23T12:34:56Z", "method": "GET", "path": "/pricing", "status": 200, "ms": 1.8,
     "bytes": 5120, "ip": "203.0.113.0", "browser": "Firefox", "browser_major": "120",
     "os": "Windows", "device": "pc", "bot": false, "referrer": "https://www.google.com",
     "consent": {"decided": true, "granted": ["necessary", "analytics"], "gpc": false, "region": "FR"}}

The IP is truncated (:mod:`consentgate.client_ip`) and the user agent reduced to its summary
(:mod:`consentgate.useragent`) before the line exists, so no handler ever sees the full values. The path never carries the query string; the referrer is cut to its origin; cookies,
``Authorization`` and bodies are never read. ``consent`` is null on the gate's own routes.

How it is written: the request path appends the request's facts (time, method, path, status,
duration, bytes, the socket peer or, behind a trusted proxy, the truncated IP, the User-Agent and
Referer values, consent) to an in-memory deque,
and that is all it does. A writer thread wakes every 0.2 s, builds the waiting lines as JSON text
(from fragments cached per distinct user agent, referrer, consent state and second) and passes them,
one ``LogRecord`` each, through the ``consentgate.requests`` logger (:attr:`RequestLog.logger`) to
the destination handler and to any handler a site adds. The file handler buffers lines and writes
them once per batch (or every 64 KiB), so the cost does not grow with a flush per line.

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
import collections
import contextlib
import fcntl
import functools
import json
import logging
import logging.handlers
import os
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from starlette.types import Message, Receive, Scope, Send

from ..config import LoggingConfig
from ..consent.model import Consent
from .client_ip import ClientIP, truncate
from .useragent import summarize

if TYPE_CHECKING:
    from ..middleware import ConsentMiddleware

__all__ = ["LOGGER_NAME", "RawFile", "RequestLog", "append_locked", "raw_files", "stamped_path"]

LOGGER_NAME = "consentgate.requests"

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Longest path kept in a line (a path is not a place to store data, but some sites do).
_MAX_PATH = 256
#: Buffered bytes after which the file handler writes even if the queue is not empty.
_FLUSH_AT = 64 * 1024
#: How often the writer thread wakes to write the lines waiting (the most a line waits).
_BATCH_SECONDS = 0.2


# --- the line ------------------------------------------------------------------------------------
#
# The line is built on the request path as text, from fragments cached per distinct value (a site
# sees few distinct user agents, referrer origins, consent states and seconds), because building a
# dict and ``json.dumps`` per request, plus a stock ``LogRecord``, cost several times more than the
# few string joins below; the request log's whole budget is a few percent of a small request.

_METHODS = {m: f'"{m}"' for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")}
#: Most distinct values each fragment cache keeps before it starts again (bounds memory).
_CACHE_SIZE = 4096


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _json_text(value: str) -> str:
    """``value`` as a JSON string (the common case, plain printable ASCII, without ``json``)."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(value)


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


def _ua_fragment(user_agent: bytes) -> str:
    ua = summarize(user_agent.decode("latin-1"))
    return (
        f'"browser":{_json_text(ua.browser)},"browser_major":{_json_text(ua.browser_major)},'
        f'"os":{_json_text(ua.os)},"device":{_json_text(ua.device)},"bot":{"true" if ua.bot else "false"}'
    )


def _referrer_fragment(referrer: bytes) -> str:
    origin = _origin(referrer.decode("latin-1")) if referrer else None
    return "null" if origin is None else _json_text(origin)


def _consent_fragment(consent: Consent) -> str:
    region = "null" if consent.region is None else _json_text(consent.region)
    granted = ",".join(_json_text(name) for name in sorted(consent.granted))
    return (
        f'{{"decided":{"true" if consent.decided else "false"},"granted":[{granted}],'
        f'"gpc":{"true" if consent.gpc else "false"},"region":{region}}}'
    )


#: time, duration, status, bytes, method, path, address (the truncated IP, or the socket peer when no
#: proxy is trusted), User-Agent, Referer, consent.
_Facts = tuple[int, float, int, int, str, str, Any, bytes, bytes, Any]


class _LineBuilder:
    """Turns one request's facts into its JSON line, on the writer thread only (the caches are its own).

    Every part that repeats is cached as finished JSON text: per distinct user agent, referrer and
    consent object (the gate shares one immutable ``Consent`` per state, so the object itself is the
    key; the entry holds it, so its id cannot be reused while cached), and the time per second.
    """

    __slots__ = ("_consent", "_peer_profile", "_referrer", "_second", "_time", "_user_agent")

    def __init__(self, peer_profile: Literal["default", "strict"] | None = None) -> None:
        #: Set when the facts carry the socket peer (to truncate with this profile), not an IP.
        self._peer_profile = peer_profile
        self._user_agent: dict[bytes, str] = {}
        self._referrer: dict[bytes, str] = {}
        self._consent: dict[int, tuple[object, str]] = {}
        self._second = -1
        self._time = ""

    def line(self, facts: _Facts) -> str:
        started, elapsed, status, sent, method, path, address, user_agent, referrer, consent = facts
        if self._peer_profile is None:
            ip = address
        else:
            ip = truncate(str(address[0]), self._peer_profile) if address else None
        if started != self._second:
            self._second, self._time = started, f'{{"t":"{_iso(started)}"'
        ua = self._user_agent.get(user_agent) or self._miss(self._user_agent, user_agent, _ua_fragment)
        origin = self._referrer.get(referrer) or self._miss(self._referrer, referrer, _referrer_fragment)
        hit = self._consent.get(id(consent))
        summary = hit[1] if hit is not None and hit[0] is consent else self._consent_miss(consent)
        # An IP is digits, dots, hex digits and colons: no escaping needed.
        ip_text = "null" if ip is None else '"' + ip + '"'
        # No response started: the app failed, and the server answers 500.
        return (
            f'{self._time},"method":{_METHODS.get(method) or _json_text(method)},'
            f'"path":{_json_text(path[:_MAX_PATH])},"status":{status or 500},'
            f'"ms":{round(elapsed * 1000, 2)},"bytes":{sent},'
            f'"ip":{ip_text},{ua},"referrer":{origin},"consent":{summary}}}'
        )

    @staticmethod
    def _miss(cache: dict[bytes, str], value: bytes, build: Callable[[bytes], str]) -> str:
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        fragment = cache[value] = build(value)
        return fragment

    def _consent_miss(self, consent: object) -> str:
        # Not a Consent: the gate's own routes (None), or something the app put there.
        summary = _consent_fragment(consent) if isinstance(consent, Consent) else "null"
        if len(self._consent) >= _CACHE_SIZE:
            self._consent.clear()
        self._consent[id(consent)] = (consent, summary)
        return summary


# --- the request path ----------------------------------------------------------------------------


class _Tap:
    """Per-request: watches what the app sends (status, body bytes) and passes it on unchanged."""

    __slots__ = ("bytes", "send_on", "started", "status", "t0")

    def __init__(self, send: Send, started: float) -> None:
        self.send_on = send
        self.status = 0
        self.bytes = 0
        self.started = started
        self.t0 = time.perf_counter()

    def send(self, message: Message) -> Awaitable[None]:
        # Not a coroutine: it hands back the awaitable of the server's send, which the app awaits,
        # so watching costs no coroutine of its own per message.
        kind = message["type"]
        if kind == "http.response.body":
            self.bytes += len(message.get("body", b""))
        elif kind == "http.response.start":
            self.status = message["status"]
        return self.send_on(message)


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
        self.destination.setFormatter(_LineFormatter())
        self._logger = logging.Logger(LOGGER_NAME, logging.INFO)
        self._logger.propagate = False
        self._logger.addHandler(self.destination)
        # With no trusted proxy the address is the socket peer's, and the writer truncates it (the
        # request path keeps the peer tuple the server made anyway); else the request path does.
        self._peer_only = not config.trusted_proxies
        self._builder = _LineBuilder(config.ip_profile if self._peer_only else None)
        # Each request's facts wait here for the writer thread: a deque append is the whole cost of
        # the line on the request path.
        self._facts: collections.deque[_Facts] = collections.deque()
        self._writer: _Writer | None = None
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
        """The ``consentgate.requests`` logger of this gate: every line passes through it, on the
        writer thread (add handlers to it to copy lines elsewhere)."""
        return self._logger

    def on_first_request(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (inside the event loop) when the first request arrives."""
        self._on_first.append(callback)

    def start(self) -> None:
        """Start the writer thread (done on the first request; idempotent)."""
        if self._writer is None:
            self._writer = _Writer(self._facts, self._builder, self._logger)
            self._writer.start()
            atexit.register(self.close)

    def close(self) -> None:
        """Write every waiting line and stop the writer thread."""
        writer, self._writer = self._writer, None
        if writer is not None:
            atexit.unregister(self.close)
            writer.stop()
        else:
            _write(self._facts, self._builder, self._logger)
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
        return _Tap(send, self.clock())

    def end(self, scope: Scope, tap: _Tap) -> None:
        """Log the request that ``tap`` watched (call it once the app has returned or raised)."""
        self._emit(scope, int(tap.started), time.perf_counter() - tap.t0, tap)

    def _emit(self, scope: Scope, started: int, elapsed: float, tap: _Tap) -> None:
        # Only the facts, and only small ones: the IP truncated now, the two header values the line
        # needs (holding the whole header list until the writer runs kept every request's headers
        # alive for 0.2 s, and the server paid for the cold memory). The line is built on the writer
        # thread: built here it cost three times what it costs there, one at a time between the
        # server's other work, with Python's code and data cold, while the writer builds hundreds
        # in a row.
        user_agent = referrer = b""
        headers = scope["headers"]
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value
            elif name == b"referer":
                referrer = value
        self._facts.append(
            (
                started,
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


# --- the writer side -----------------------------------------------------------------------------


class _LineRecord(logging.LogRecord):
    """A ``LogRecord`` of one request line, built without the stock constructor.

    The stock one looks up the thread, process and source location of every record, which costs
    more than the rest of the line; a line's only facts are its text and its time.
    """

    def __init__(self, line: str, t: int) -> None:  # no super().__init__(): see above
        self.__dict__.update(_RECORD_TEMPLATE)
        self.msg = line
        self.created = float(t)


_RECORD_TEMPLATE: dict[str, Any] = {
    "name": LOGGER_NAME,
    "args": (),
    "levelname": "INFO",
    "levelno": logging.INFO,
    "pathname": __file__,
    "filename": os.path.basename(__file__),
    "module": __name__.rpartition(".")[2],
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


class _LineFormatter(logging.Formatter):
    """Formats a record as its message alone: the line is already JSON (and has no exception).

    Same output as ``Formatter("%(message)s")`` for these records, without its per-record
    ``%``-formatting of the record's whole ``__dict__``.
    """

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def _write(facts: collections.deque[_Facts], builder: _LineBuilder, logger: logging.Logger) -> None:
    """Build the line of every request waiting, pass each through ``logger``, then let its handlers
    write the batch."""
    popleft = facts.popleft
    line = builder.line
    # Logger.handle is "unless disabled or filtered out, callHandlers": decided once per batch here.
    handle = logger.handle if logger.disabled or logger.filters else logger.callHandlers
    while True:
        try:
            item = popleft()
        except IndexError:
            break
        handle(_LineRecord(line(item), item[0]))
    for handler in logger.handlers:
        handler.flush()


class _Writer(threading.Thread):
    """Wakes every ``_BATCH_SECONDS``, builds and logs the lines of the requests waiting, flushes.

    Waking per line (and writing per line) took the GIL from the event loop about as long as the
    request itself; in batches, a line waits at most ``_BATCH_SECONDS`` and costs a few microseconds.
    """

    def __init__(
        self, facts: collections.deque[_Facts], builder: _LineBuilder, logger: logging.Logger
    ) -> None:
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
            _write(self._facts, self._builder, self._logger)
        except Exception as exc:  # a broken handler must not stop the log for good
            print(f"consentgate: request log writer: {exc!r}", file=sys.stderr)

    def stop(self) -> None:
        self._stopping.set()
        self.join()


def _destination(config: LoggingConfig) -> logging.Handler:
    if config.destination == "stdout":
        return logging.StreamHandler(sys.stdout)
    return StampedFileHandler(config.path, rotation=config.rotation)


class StampedFileHandler(logging.Handler):
    """Appends lines to files stamped with the hour (or day) of each line's own time.

    Lines are buffered per file and written on :meth:`flush` (the writer thread calls it after each
    batch) with :func:`append_locked`, one write per batch.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, rotation: Literal["hourly", "daily"] = "hourly"
    ) -> None:
        super().__init__()
        self.base = Path(path)
        self.rotation: Literal["hourly", "daily"] = rotation
        self._pending: dict[Path, list[str]] = {}
        self._size = 0
        self._hour: tuple[int, Path] = (-1, self.base)

    def _target(self, t: int) -> Path:
        # Cached per hour: building the stamped name costs more than the rest of a line's write.
        hour = t // 3600
        if self._hour[0] != hour:
            self._hour = (hour, stamped_path(self.base, self.rotation, t))
        return self._hour[1]

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            target = self._target(int(record.created))
            self._pending.setdefault(target, []).append(text)
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
                    lines.append("")  # the last line's newline
                    append_locked(target, "\n".join(lines).encode("utf-8"))
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
