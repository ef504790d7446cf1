"""The response path: which responses the rewriter sees, their encodings, lengths and cache headers.

The middleware wraps each request's ``send`` with :meth:`HtmlRewriting.wrap`. Like
``starlette/middleware/gzip.py``, the wrapper holds ``http.response.start`` back until it has seen
the first body message, so that it can still fix the headers:

- Only ``text/html`` is rewritten. ``HEAD``, 1xx/204/206/304, ``http.response.pathsend`` (file
  sends), other content types, UTF-16/32 bodies and unknown content codings pass untouched.
- A streaming response stays streaming: each body message is rewritten as it comes, holding back
  at most an incomplete tag (see :mod:`consentgate.gate.rewrite`). ``Content-Length`` is set to the
  new length when the whole body came in one message, and dropped otherwise.
- ``gzip``/``deflate`` bodies (an app that compresses inside the gate) are decoded, rewritten and
  re-encoded as they stream, with bounded pieces (:mod:`.codings`); ``br`` likewise when the
  ``brotli`` package is installed, else they pass untouched after one warning in the log. A body
  that does not decode is passed on as it came.
- ``uniform`` mode: every optional category is blocked for everyone, so the page is the same for
  all visitors and may be cached anywhere. ``per_visitor`` mode: only what this visitor refused is
  blocked; the response gets ``Vary: Cookie``, ``Cache-Control: private`` and loses its ``ETag``.
- The CSP nonce in the response's ``Content-Security-Policy`` header, if any, goes to the injection
  (unless the page's first script carries one).
- A body that comes in one message and was rewritten before (same bytes, same blocked categories,
  same nonce, same coding) is answered from a bounded cache without being read again: a site
  serves the same pages over and over (``bench/bench_http.py``: gated/bare on a 20 KB page goes
  from about 0.3 to about 0.6 with it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Final

from starlette.types import Message, Scope, Send

from ..config import Config
from ..consent.model import Consent
from .codings import Codec, Undecodable, codec_for
from .rewrite import CatalogLike, RewritePlan, Rewriter

__all__ = ["HtmlRewriting"]

_log = logging.getLogger("consentgate.html")
_NONCE = re.compile(rb"'nonce-([A-Za-z0-9+/_=-]+)'")
_PASS_STATUS: Final = frozenset({204, 206, 304})
_CACHE_BYTES: Final = 32 * 1024 * 1024
_CACHE_ENTRY_BYTES: Final = 2 * 1024 * 1024
#: (body as sent, blocked categories, CSP nonce of the header, content coding)
_CacheKey = tuple[bytes, frozenset[str], str | None, bytes]


class HtmlRewriting:
    """The gate's response path, built once from the config, the catalog and the injection.

    ``injection`` is ``Injection.render`` of :mod:`consentgate.gate.injection` (or any function of
    the nonce that gives the bytes to insert), None for no injection.
    """

    __slots__ = ("_brotli_warned", "_cache", "_cache_bytes", "_optional", "mode", "plan")

    def __init__(
        self,
        config: Config,
        catalog: CatalogLike,
        injection: Callable[[str | None], bytes] | None = None,
    ) -> None:
        self.plan = RewritePlan(catalog, injection=injection, categories=config.category_names)
        self.mode = config.mode
        self._optional = frozenset(config.optional_categories)
        #: Whole bodies already rewritten, by (body, blocked categories, CSP nonce, coding):
        #: a site serves the same page again and again. The body itself is the key (no hash can
        #: collide); both keys and answers count towards _CACHE_BYTES.
        self._cache: dict[_CacheKey, bytes] = {}
        self._cache_bytes = 0
        self._brotli_warned = False

    def cached(self, key: _CacheKey) -> bytes | None:
        return self._cache.get(key)

    def remember(self, key: _CacheKey, out: bytes) -> None:
        size = len(key[0]) + len(out)
        if size > _CACHE_ENTRY_BYTES:
            return
        if self._cache_bytes + size > _CACHE_BYTES:
            self._cache.clear()
            self._cache_bytes = 0
        self._cache[key] = out
        self._cache_bytes += size

    def codec(self, coding: bytes) -> Codec | None:
        """A codec for a response's ``Content-Encoding``, or None to pass the response untouched
        (``br`` without the ``brotli`` package: said once in the log, not on every page)."""
        codec = codec_for(coding)
        if codec is None and coding == b"br" and not self._brotli_warned:
            self._brotli_warned = True
            _log.warning(
                "consentgate: a brotli-encoded text/html response passed unrewritten (tracking tags "
                "included) because the 'brotli' package is not installed; pip install consentgate[brotli]."
            )
        return codec

    def blocked(self, consent: Consent) -> frozenset[str]:
        """The categories whose tags are made inert for this visitor."""
        if self.mode == "uniform":
            return self._optional
        return self._optional.difference(consent.granted)

    def wrap(self, scope: Scope, consent: Consent, send: Send) -> Send:
        """``send`` for this request, rewriting an HTML response on its way out."""
        if scope.get("method") == "HEAD":
            return send
        return _HtmlResponder(self, self.blocked(consent), send).send


# --- per request ------------------------------------------------------------------------------------

_WAIT, _REWRITE, _PASS = range(3)


class _Held:
    """An awaitable that is already done: what ``send`` gives back for a message it holds on to."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # a generator that ends at once


_HELD = _Held()


class _HtmlResponder:
    __slots__ = ("_codec", "_coding", "_gate", "_nonce", "_rewriter", "_send", "_start", "_state", "blocked")

    def __init__(self, gate: HtmlRewriting, blocked: frozenset[str], send: Send) -> None:
        self._gate = gate
        self._send = send
        self.blocked = blocked
        self._state = _WAIT
        self._start: Message = {}
        self._rewriter: Rewriter | None = None
        self._codec: Codec | None = None
        self._nonce: str | None = None
        self._coding = b""

    def send(self, message: Message) -> Awaitable[None]:
        # Not a coroutine on the common path: a response that is not HTML is passed straight on, and
        # so is the awaitable of the server's send; only HTML goes through the rewriting coroutine.
        if self._state == _PASS:
            return self._send(message)
        if message["type"] == "http.response.start":
            self._begin(message)
            return self._send(message) if self._state == _PASS else _HELD
        return self._send_slowly(message)

    async def _send_slowly(self, message: Message) -> None:
        state = self._state
        kind = message["type"]
        if kind == "http.response.body":
            if state == _WAIT:
                await self._first_body(message)
            else:
                await self._next_body(message)
        else:  # pathsend, trailers, early hints...: whatever was held goes first
            if state == _WAIT and self._start:
                self._state = _PASS
                await self._send(self._start)
            await self._send(message)

    def _begin(self, message: Message) -> None:
        status = message.get("status", 200)
        headers = message.get("headers") or []
        content_type = coding = b""
        for name, value in headers:
            name = name.lower()
            if name == b"content-type":
                content_type = value.lower()
            elif name == b"content-encoding":
                coding = value.strip().lower()
        media, _, params = content_type.partition(b";")
        if (
            media.strip() != b"text/html"
            or status < 200
            or status in _PASS_STATUS
            or b"utf-16" in params
            or b"utf-32" in params
        ):
            self._state = _PASS
            return
        if coding and coding != b"identity":
            codec = self._gate.codec(coding)
            if codec is None:
                self._state = _PASS
                return
            self._codec = codec
            self._coding = coding
        self._start = message
        self._nonce = _csp_nonce(headers)

    async def _first_body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        if (not body and not more) or (body[:2] in (b"\xff\xfe", b"\xfe\xff") and self._codec is None):
            # Nothing to rewrite, or a UTF-16 byte order mark.
            self._state = _PASS
            await self._send(self._start)
            await self._send(message)
            return
        key = None
        if not more:  # the whole body at once: maybe rewritten before
            key = (bytes(body), self.blocked, self._nonce, self._coding)
            out = self._gate.cached(key)
            if out is not None:
                await self._finish_first(out, more)
                return
        self._rewriter = Rewriter(self._gate.plan, self.blocked, nonce=self._nonce)
        try:
            out = self._rewrite(body, more)
        except Undecodable:
            self._state = _PASS
            await self._send(self._start)
            await self._send(message)
            return
        if key is not None:
            self._gate.remember(key, out)
        await self._finish_first(out, more)

    async def _finish_first(self, out: bytes, more: bool) -> None:
        self._state = _REWRITE
        self._start = {**self._start, "headers": self._headers(self._start, None if more else len(out))}
        await self._send(self._start)
        await self._send({"type": "http.response.body", "body": out, "more_body": more})

    async def _next_body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        try:
            out = self._rewrite(body, more)
        except Undecodable:
            # Close our stream properly, then pass the rest on as it came.
            assert self._rewriter is not None and self._codec is not None
            tail = self._rewriter.finish()
            out = self._codec.encode(tail, final=True)
            self._state = _PASS
            await self._send({"type": "http.response.body", "body": out, "more_body": True})
            await self._send(message)
            return
        if out or not more:
            await self._send({"type": "http.response.body", "body": out, "more_body": more})

    def _rewrite(self, body: bytes, more: bool) -> bytes:
        rewriter = self._rewriter
        assert rewriter is not None
        codec = self._codec
        if codec is None:
            out = rewriter.feed(body) if body else b""
            return out + rewriter.finish() if not more else out
        pieces = [rewriter.feed(piece) for piece in codec.decode(body, final=not more)]
        if not more:
            pieces.append(rewriter.finish())
        return codec.encode(b"".join(pieces), final=not more)

    def _headers(self, start: Message, length: int | None) -> list[tuple[bytes, bytes]]:
        per_visitor = self._gate.mode == "per_visitor"
        out: list[tuple[bytes, bytes]] = []
        vary = False
        cache_control: bytes | None = None
        for name, value in start.get("headers") or []:
            low = name.lower()
            if low == b"content-length":
                continue
            if per_visitor:
                if low == b"etag":
                    continue
                if low == b"vary":
                    vary = True
                    if b"cookie" not in value.lower() and value.strip() != b"*":
                        value = value + b", Cookie"
                elif low == b"cache-control":
                    cache_control = value if cache_control is None else cache_control + b", " + value
                    continue
            out.append((name, value))
        if length is not None:
            out.append((b"content-length", str(length).encode("ascii")))
        if per_visitor:
            if not vary:
                out.append((b"vary", b"Cookie"))
            out.append((b"cache-control", _private(cache_control)))
        return out


def _private(cache_control: bytes | None) -> bytes:
    """``Cache-Control`` made private: shared caches must not keep one visitor's page."""
    if not cache_control:
        return b"private"
    kept = [
        d.strip()
        for d in cache_control.split(b",")
        if d.strip() and d.strip().lower() != b"public" and not d.strip().lower().startswith(b"s-maxage")
    ]
    if not any(d.lower() in (b"private", b"no-store") for d in kept):
        kept.insert(0, b"private")
    return b", ".join(kept)


def _csp_nonce(headers: Any) -> str | None:
    for name, value in headers:
        if name.lower() == b"content-security-policy":
            found = _NONCE.search(value)
            if found:
                return found.group(1).decode("ascii")
    return None
