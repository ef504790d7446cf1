"""The response path: which responses the rewriter sees, their encodings, lengths and cache headers.

The middleware wraps each request's ``send`` with :meth:`HtmlRewriting.wrap`. Like
``starlette/middleware/gzip.py``, the wrapper holds ``http.response.start`` back until it has seen
the first body message, so that it can still fix the headers:

- ``HEAD`` is answered like ``GET``: a body the app sends anyway (the server drops it) is rewritten
  so that ``Content-Length`` is the page's; without one, the app's ``Content-Length`` is dropped.
- Only HTML is rewritten: ``text/html``, or a body that sniffs as HTML (:mod:`.sniff`) when there
  is no ``Content-Type`` or several (``[gate] unknown_content_type = "refuse"`` answers those 502
  instead). 1xx/204/206/304, ``http.response.pathsend`` (file sends), other content types and
  unknown content codings pass untouched. A UTF-16 or ISO-2022-JP body (byte order mark,
  ``charset``, or the page's ``<meta>``: :mod:`.charsets`) is rewritten as UTF-8 and sent back in
  the same encoding, which the ``Content-Type`` then names.
- A streaming response stays streaming: each body message is rewritten as it comes, holding back
  at most an incomplete tag (see :mod:`consentgate.gate.rewrite`). ``Content-Length`` is set to the
  new length when the whole body came in one message, and dropped otherwise.
- ``gzip``/``deflate`` bodies (an app that compresses inside the gate) are decoded, rewritten and
  re-encoded as they stream, in bounded pieces (:mod:`.codings`, :mod:`.body`), stacked codings
  (``gzip, br``) too; ``br`` when the ``brotli`` package (1.2 or later) is installed, else they pass
  untouched after one warning in the log. One message that inflates to much more goes out as
  several messages of about ``_SEND_BYTES``. A body that does not decode is passed on as it came.
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
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.types import Message, Scope, Send

from ..config import Config
from ..consent.model import Consent
from .body import BodyPipeline, NotHtml
from .charsets import charset_param, http_encoding, read_as_it_is, with_charset
from .codings import Codec, Undecodable, codec_for
from .done import DONE
from .first_party import PlansByHost
from .page_cache import PageCache, PageKey
from .page_headers import REFUSED_BODY, REFUSED_START, csp_nonce, page_headers
from .response_heads import ContentTypes, read_heads
from .rewrite import CatalogLike, MemoRewriter, RewritePlan
from .sniff import is_html_type

__all__ = ["HtmlRewriting"]

_log = logging.getLogger("consentgate.html")
_PASS_STATUS: Final = frozenset({204, 206, 304})
#: Output gathered before it is sent on, when one message of the app inflates into many pieces.
_SEND_BYTES: Final = 256 * 1024


class HtmlRewriting:
    """The gate's response path, built once from the config, the catalog and the injection.

    ``injection`` is ``Injection.render`` of :mod:`consentgate.gate.injection` (or any function of
    the nonce that gives the bytes to insert), None for no injection.
    """

    __slots__ = (
        "_blocked_by",
        "_brotli_warned",
        "_optional",
        "mode",
        "pages",
        "per_visitor",
        "plan",
        "plans",
        "types",
        "unknown_content_type",
    )

    def __init__(
        self,
        config: Config,
        catalog: CatalogLike,
        injection: Callable[[str | None], bytes] | None = None,
    ) -> None:
        self.plan = RewritePlan(catalog, injection=injection, categories=config.category_names)
        self.plans = PlansByHost(self.plan)  # in block mode, the request's host is first party
        self.mode = config.mode
        self.per_visitor = config.mode == "per_visitor"
        self.unknown_content_type = config.gate.unknown_content_type
        self._optional = frozenset(config.optional_categories)
        #: per_visitor mode: the blocked set by granted set (a handful of sets, one frozenset each).
        self._blocked_by: dict[frozenset[str], frozenset[str]] = {}
        #: Whole bodies already rewritten: a site serves the same page again and again.
        self.pages = PageCache()
        self.types = ContentTypes()
        self._brotli_warned = False

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
        granted = consent.granted
        blocked = self._blocked_by.get(granted)
        if blocked is None:
            blocked = self._optional.difference(granted)
            if len(self._blocked_by) < 256:
                self._blocked_by[granted] = blocked
        return blocked

    def wrap(self, scope: Scope, consent: Consent, send: Send) -> Send:
        """``send`` for this request, rewriting an HTML response on its way out."""
        blocked = self._optional if self.mode == "uniform" else self.blocked(consent)
        return _HtmlResponder(self, blocked, send, scope).send


# --- per request ------------------------------------------------------------------------------------

_WAIT, _REWRITE, _PASS, _DROP = range(4)


class _HtmlResponder:
    __slots__ = (
        "_charset",
        "_codec",
        "_coding",
        "_gate",
        "_nonce",
        "_pipeline",
        "_refuse",
        "_rewriter",
        "_scope",
        "_send",
        "_sniff",
        "_start",
        "_state",
        "blocked",
    )

    def __init__(self, gate: HtmlRewriting, blocked: frozenset[str], send: Send, scope: Scope) -> None:
        self._gate = gate
        self._scope = scope  # its host picks the rewrite plan, for an HTML body only
        self._send = send
        self.blocked = blocked
        self._state = _WAIT
        self._start: Message = _NO_START
        # The rest is set by _begin, before any body is read (a response that passes never reads it).
        self._rewriter: MemoRewriter | None
        self._pipeline: BodyPipeline | None
        self._codec: Codec | None
        self._nonce: str | None
        self._coding: bytes
        self._charset: bytes
        self._sniff: bool
        self._refuse: bool

    def send(self, message: Message) -> Awaitable[None]:
        # Not a coroutine on the common path: a response that is not HTML is passed straight on, and
        # so is the awaitable of the server's send; only HTML goes through the rewriting coroutine.
        state = self._state
        if state == _PASS:
            return self._send(message)
        if state == _DROP:
            return DONE
        kind = message["type"]
        if kind == "http.response.body":
            return self._first_body(message) if state == _WAIT else self._next_body(message)
        if kind == "http.response.start":
            self._begin(message)
            return self._send(message) if self._state == _PASS else DONE
        return self._send_other(message)

    async def _send_other(self, message: Message) -> None:
        # pathsend, trailers, early hints...: whatever was held goes first
        if self._state == _WAIT and self._start:
            self._state = _PASS
            await self._send(self._start)
        await self._send(message)

    def _begin(self, message: Message) -> None:
        status = message.get("status", 200)
        if status < 200 or status in _PASS_STATUS:
            self._state = _PASS
            return
        headers = message.get("headers") or []
        content_type, more_types, coding, csp = read_heads(headers)
        self._charset = b""
        self._sniff = self._refuse = False
        if content_type is not None and more_types is None:
            if type(content_type) is not bytes:  # a bytearray value is looked up as bytes
                content_type = bytes(content_type)
            is_html, charset = self._gate.types.parse(content_type)
            if not is_html:
                self._state = _PASS
                return
            self._charset = charset
        else:
            # No Content-Type, or several: one of them HTML, else browsers sniff the body.
            html = [
                t.partition(b";")[2] for t in (content_type or b"", *(more_types or ())) if is_html_type(t)
            ]
            params = html[-1] if html else b""
            if not html:
                if self._gate.unknown_content_type == "refuse":
                    self._refuse = True
                else:
                    self._sniff = True
            if params.find(b"charset") >= 0:
                self._charset = charset_param(params)
        self._codec = None
        self._coding = b""
        if coding and coding != b"identity" and not self._refuse:
            codec = self._gate.codec(coding)
            if codec is None:
                self._state = _PASS
                return
            self._codec = codec
            self._coding = coding
        self._start = message
        self._nonce = csp_nonce(headers) if csp else None
        self._rewriter = None
        self._pipeline = None

    async def _first_body(self, message: Message) -> None:
        if self._pipeline is not None:  # it holds the page's first bytes until it knows their encoding
            await self._stream(message, first=True, key=None)
            return
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        if not body and not more:
            # Nothing to rewrite.
            self._state = _PASS
            if self._scope.get("method") == "HEAD":
                # A HEAD answer without the body: the length the app gave is not the rewritten page's.
                self._start = {**self._start, "headers": self._headers(self._start, None)}
            await self._send(self._start)
            await self._send(message)
            return
        if self._refuse:
            await self._answer_refused()
            return
        gate = self._gate
        plans = gate.plans
        # A plan of its own (host not ""): its pages are its own in the cache too.
        host, plan = plans.plan_for(self._scope) if plans.per_host else ("", plans.plan)
        key = None
        if not more and gate.pages.worth_looking_up():  # the whole body at once: maybe rewritten before
            whole = body if type(body) is bytes else bytes(body)
            key = (whole, self.blocked, self._nonce, self._coding, self._charset, self._sniff, host)
            hit = gate.pages.get(key)
            gate.pages.found(hit is not None)
            if hit is not None:
                self._state = _REWRITE
                start = self._start
                headers = start.get("headers") or []
                if hit[2] is not None:
                    headers = with_charset(headers, hit[2])
                headers = page_headers(headers, hit[1], per_visitor=gate.per_visitor)
                await self._send({**start, "headers": headers})
                await self._send({"type": "http.response.body", "body": hit[0], "more_body": False})
                return
        blocked, nonce = self.blocked, self._nonce
        if self._codec is None and not self._sniff and read_as_it_is(body, more, self._charset):
            # The common case, without a pipeline: the body as it came, straight to the rewriter,
            # which reads it in the encoding the header names.
            encoding = http_encoding(self._charset)
            self._rewriter = rewriter = MemoRewriter(plan, blocked, nonce=nonce, encoding=encoding)
            out = rewriter.feed(body)
            if not more:
                out += rewriter.finish()
                if key is not None:
                    self._gate.pages.remember(key, out)
            await self._finish_first(out, more)
            return
        self._pipeline = BodyPipeline(
            lambda encoding: MemoRewriter(plan, blocked, nonce=nonce, encoding=encoding),
            self._codec,
            self._charset,
            sniff=self._sniff,
        )
        await self._stream(message, first=True, key=key)

    async def _next_body(self, message: Message) -> None:
        if self._pipeline is not None:
            await self._stream(message, first=False, key=None)
            return
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        rewriter = self._rewriter
        assert rewriter is not None
        out = rewriter.feed(body) if body else b""
        if not more:
            out += rewriter.finish()
        if out or not more:
            await self._send({"type": "http.response.body", "body": out, "more_body": more})

    async def _stream(self, message: Message, *, first: bool, key: PageKey | None) -> None:
        """Send what the pipeline makes of ``message`` in messages of about ``_SEND_BYTES``: a
        compressed body that inflates a thousandfold never becomes one buffer."""
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        pipeline = self._pipeline
        assert pipeline is not None
        out: list[bytes] = []
        size = 0
        started = not first
        try:
            for piece in pipeline.run(body, final=not more):
                out.append(piece)
                size += len(piece)
                if size >= _SEND_BYTES:
                    if not started:
                        started = True
                        await self._finish_first(b"".join(out), True)
                    else:
                        await self._send(
                            {"type": "http.response.body", "body": b"".join(out), "more_body": True}
                        )
                    out.clear()
                    size = 0
        except (Undecodable, NotHtml) as exc:
            if not started:
                # Nothing of ours went out: the body passes as it came (what was held back too).
                self._state = _PASS
                await self._send(self._start)
                for held in pipeline.held:
                    await self._send({"type": "http.response.body", "body": held, "more_body": True})
                await self._send(message)
                return
            await self._pass_the_rest(message, closing=isinstance(exc, Undecodable))
            return
        data = b"".join(out)
        if not started:
            if not data and more:
                return  # all held back yet
            if key is not None:
                self._gate.pages.remember(key, data, pipeline.pin)
            await self._finish_first(data, more)
        elif data or not more:
            await self._send({"type": "http.response.body", "body": data, "more_body": more})

    async def _pass_the_rest(self, message: Message, *, closing: bool) -> None:
        # Headers went out already: close our own stream properly, then the rest as it came.
        self._state = _PASS
        rewriter = self._pipeline.rewriter if self._pipeline is not None else self._rewriter
        if closing and rewriter is not None:
            tail = rewriter.finish()
            end = self._codec.encode(tail, final=True) if self._codec is not None else tail
            await self._send({"type": "http.response.body", "body": end, "more_body": True})
        await self._send(message)

    async def _finish_first(self, out: bytes, more: bool) -> None:
        self._state = _REWRITE
        self._start = {**self._start, "headers": self._headers(self._start, None if more else len(out))}
        await self._send(self._start)
        await self._send({"type": "http.response.body", "body": out, "more_body": more})

    async def _answer_refused(self) -> None:
        # [gate] unknown_content_type = "refuse": fail closed rather than guess.
        self._state = _DROP
        await self._send(REFUSED_START)
        await self._send({"type": "http.response.body", "body": REFUSED_BODY, "more_body": False})

    def _headers(self, start: Message, length: int | bytes | None) -> list[tuple[bytes, bytes]]:
        headers = start.get("headers") or []
        if self._pipeline is not None and self._pipeline.pin is not None:
            headers = with_charset(headers, self._pipeline.pin)  # how the gate read the page
        return page_headers(headers, length, per_visitor=self._gate.per_visitor)


#: ``_start`` before ``http.response.start`` came (never changed: ``_begin`` replaces it).
_NO_START: Final[Message] = {}
