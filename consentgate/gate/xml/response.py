"""The response path of XML documents: which responses are rewritten, their headers, the refusal.

The middleware puts :meth:`XmlRewriting.wrap` in the way of a response whose one ``Content-Type``
is an XML document type (:mod:`.types`), or that has none (a body that starts with ``<?xml`` is
``text/xml`` to a browser; anything else goes on to the HTML path, which sniffs it). Like the HTML
path it holds ``http.response.start`` back until the first output is known, so that it can fix
the headers: ``Content-Length`` is the rewritten body's when the app sent one message, else
dropped; ``per_visitor`` mode makes the answer private (``Vary: Cookie``). A visitor who refused
nothing gets the response untouched. A document refused before any of it went out (see
:mod:`.rewriter`) is answered ``502`` with a JSON body that says why; one that stops later (a
well-formedness error, or a refusal after the first bytes went out) ends there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from starlette.types import Message, Scope, Send

from ...consent.model import Consent
from ..charsets import charset_param
from ..codings import Codec, Undecodable
from ..first_party import PlansByHost
from ..page_headers import page_headers, refused_answer
from ..response_heads import read_heads
from .pipeline import XmlPipeline
from .stop import Stop
from .types import is_xml_type, starts_as_xml

__all__ = ["XmlRewriting"]

_PASS_STATUS: Final = frozenset({204, 206, 304})


class XmlRewriting:
    """The XML response path, built once: the HTML path's plans per host, its blocked categories
    per visitor and its codecs (one configuration, one reading of a tag)."""

    __slots__ = ("_blocked", "_codec", "per_visitor", "plans", "sniff")

    def __init__(
        self,
        plans: PlansByHost,
        blocked: Callable[[Consent], frozenset[str]],
        codec: Callable[[bytes], Codec | None],
        *,
        per_visitor: bool,
        sniff: bool = True,
    ) -> None:
        self.plans = plans
        self.sniff = sniff  # [gate] unknown_content_type = "refuse": the HTML path answers 502
        self._blocked = blocked
        self._codec = codec
        self.per_visitor = per_visitor

    def wrap(self, scope: Scope, consent: Consent, send: Send) -> Send:
        """``send`` for this request, rewriting an XML document on its way out."""
        return _XmlResponder(self, self._blocked(consent), scope, send).send

    def codec(self, coding: bytes) -> Codec | None:
        """The codec of a ``Content-Encoding`` (None: the response passes untouched)."""
        return self._codec(coding)


def refusal(reason: str) -> tuple[Message, Message]:
    """The 502 that replaces a document the gate cannot rewrite with certainty."""
    start, body = refused_answer("xml_refused", f"The gate refused this XML document: {reason}.")
    return start, {"type": "http.response.body", "body": body, "more_body": False}


_WAIT, _SNIFF, _REWRITE, _PASS, _DONE = range(5)


class _XmlResponder:
    __slots__ = ("_blocked", "_charset", "_gate", "_held", "_pipeline", "_scope", "_send", "_start", "_state")

    def __init__(self, gate: XmlRewriting, blocked: frozenset[str], scope: Scope, send: Send) -> None:
        self._gate = gate
        self._blocked = blocked
        self._scope = scope
        self._send = send
        self._state = _WAIT
        self._start: Message = {}
        self._pipeline: XmlPipeline | None = None
        self._charset = b""
        self._held = False  # a body message went into the pipeline with nothing out yet

    async def send(self, message: Message) -> None:
        state = self._state
        if state == _PASS:
            await self._send(message)
            return
        if state == _DONE:
            return  # the document ended early: the rest is not sent
        kind = message["type"]
        if kind == "http.response.start":
            passed = self._begin(message)
            if passed is not None:
                await self._send(passed)
            return
        if kind != "http.response.body":
            # A file send, trailers...: a start still held goes first (then the rest as it comes).
            if state in (_WAIT, _SNIFF):
                self._state = _PASS
                await self._send(self._start)
            await self._send(message)
            return
        if state == _SNIFF:
            if not self._sniffs_as_xml(message):
                self._state = _PASS  # the HTML path sniffs it
                await self._send(self._start)
                await self._send(message)
                return
            headers = [*(self._start.get("headers") or []), (b"content-type", b"text/xml")]
            self._start = {**self._start, "headers": headers}
            self._state = _WAIT
        await self._body(message)

    def _begin(self, message: Message) -> Message | None:
        """Decides what becomes of the response; gives the start to send on at once when it passes
        (None: held)."""
        status = message.get("status", 200)
        headers = message.get("headers") or []
        content_type, more_types, coding, _csp = read_heads(headers)
        if status < 200 or status in _PASS_STATUS or more_types is not None:
            self._state = _PASS
            return message
        if content_type is None:
            if not self._gate.sniff or not self._blocked:
                self._state = _PASS  # (the HTML path sniffs it, or answers 502)
                return message
            self._state = _SNIFF
        elif not is_xml_type(bytes(content_type)):
            self._state = _PASS
            return message
        elif not self._blocked:
            # Untouched for a visitor who refused nothing; in per_visitor mode still private to
            # the visitor, as a rewritten page is (a shared cache must not give it to another).
            self._state = _PASS
            if not self._gate.per_visitor:
                return message
            length = next((v for n, v in headers if n.lower() == b"content-length"), None)
            return {**message, "headers": page_headers(headers, length, per_visitor=True)}
        else:
            params = bytes(content_type).lower().partition(b";")[2]
            self._charset = charset_param(params) if params.find(b"charset") >= 0 else b""
        codec = None
        if coding and coding != b"identity":
            codec = self._gate.codec(coding)
            if codec is None:
                self._state = _PASS
                return message
        self._start = message
        _host, plan = self._gate.plans.plan_for(self._scope)
        self._pipeline = XmlPipeline(plan, self._blocked, codec, self._charset, coding if codec else b"")
        return None

    def _sniffs_as_xml(self, message: Message) -> bool:
        """Whether the first body message of a response without a type starts ``<?xml`` (decoded
        by a codec of its own, when it is compressed: the pipeline decodes it again)."""
        body: bytes = message.get("body", b"")
        pipeline = self._pipeline
        assert pipeline is not None
        if pipeline.coding:
            codec = self._gate.codec(pipeline.coding)
            if codec is None:
                return False
            head = b""
            try:
                for piece in codec.decode(body, final=not message.get("more_body", False)):
                    head += piece
                    if len(head) >= 64:
                        break
            except Undecodable:
                return False
            body = head
        return starts_as_xml(body)

    async def _body(self, message: Message) -> None:
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        pipeline = self._pipeline
        assert pipeline is not None
        first = self._state == _WAIT
        if first and not body and not more:  # nothing to rewrite (a HEAD answer, say)
            self._state = _PASS
            headers = self._start.get("headers") or []
            # HEAD: the app's length is its document's, not the rewritten one GET would send.
            head = self._scope.get("method") == "HEAD"
            length = None if head else next((v for n, v in headers if n.lower() == b"content-length"), None)
            await self._send(
                {**self._start, "headers": page_headers(headers, length, per_visitor=self._gate.per_visitor)}
            )
            await self._send(message)
            return
        try:
            out = b"".join(pipeline.run(body, final=not more))
        except Stop as stop:  # (only before any output: the encoding cannot be read)
            self._state = _DONE
            if not first:
                await self._send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            start, end = refusal(stop.reason)
            await self._send(start)
            await self._send(end)
            return
        except Undecodable:
            if first and not self._held:  # a body a browser cannot decode either: passed on as it came
                self._state = _PASS
                await self._send(self._start)
                await self._send(message)
                return
            # Part of the document went out (or was taken in): it ends here, as nothing after reads.
            self._state = _DONE
            if first:
                await self._send(
                    {
                        **self._start,
                        "headers": page_headers(
                            self._start.get("headers") or [], 0, per_visitor=self._gate.per_visitor
                        ),
                    }
                )
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        stopped = pipeline.stopped
        if first:
            if not out and more and stopped is None:
                self._held = True
                return  # all held back yet
            if stopped is not None and stopped.refused and not out:
                self._state = _DONE
                start, end = refusal(stopped.reason)
                await self._send(start)
                await self._send(end)
                return
            whole = not more or stopped is not None
            headers = page_headers(
                self._start.get("headers") or [],
                len(out) if whole else None,
                per_visitor=self._gate.per_visitor,
            )
            await self._send({**self._start, "headers": headers})
            self._state = _REWRITE
        ended = stopped is not None or not more
        if out or ended:
            await self._send({"type": "http.response.body", "body": out, "more_body": not ended})
        if stopped is not None:
            self._state = _DONE
