"""One proxied HTTP exchange: the visitor's request streamed to the origin, its response streamed back.

Nothing is held whole but a small response: a request body goes to the origin as it arrives
(counted against ``proxy.max_body_bytes``), and a response body goes to the visitor as the origin
sends it, its bytes untouched (compressed stays compressed: the gate decodes the HTML it rewrites).
A response that declares a small ``Content-Length`` is read first and sent in one message, so the
gate can keep its length and answer it from its cache of rewritten pages.

While a response streams, a watcher waits for the visitor to go away, so a dropped download or an
abandoned server-sent-events page releases the origin's connection at once. A response the origin
cuts, or that overruns the whole-exchange limit, is not completed: the proxy returns without the
final body message, and the server closes the connection (a truncated page is never marked complete).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

import httpx
from starlette.types import Message, Receive, Scope, Send

from .failures import Failure, log, send_failure
from .headers import Forwarding
from .rewriting import ResponseRewriter

__all__ = ["SMALL_BODY", "Upstream", "forward"]

#: A response that declares at most this many bytes is read whole, then sent in one message.
SMALL_BODY: Final = 256 * 1024
_NO_BODY_STATUS: Final = frozenset({204, 304})


class _ClientGone(Exception):
    """The visitor went away while its request body was being read."""


class Upstream:
    """What every exchange with one origin shares; built once by :class:`~consentgate.proxy.ProxyApp`."""

    __slots__ = ("base", "client", "forwarding", "max_body", "name", "rewriter", "total")

    def __init__(
        self,
        base: str,
        *,
        client: Callable[[], httpx.AsyncClient],
        forwarding: Forwarding,
        max_body: int,
        total: float,
    ) -> None:
        self.name = base
        self.base = httpx.URL(base)
        self.client = client
        self.forwarding = forwarding
        self.rewriter = ResponseRewriter(base)
        self.max_body = max_body
        self.total = total


async def forward(upstream: Upstream, scope: Scope, receive: Receive, send: Send) -> None:
    """Forward one HTTP request to ``upstream`` and stream its answer back."""
    started = [False]

    def sending(message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            started[0] = True
        return send(message)

    try:
        if upstream.total:
            async with asyncio.timeout(upstream.total):
                await _exchange(upstream, scope, receive, sending)
        else:
            await _exchange(upstream, scope, receive, sending)
    except Failure as failure:
        if not started[0]:
            await send_failure(send, failure, scope["headers"])
        _log(upstream, scope, failure.detail, failure.status)
    except TimeoutError:
        if started[0]:
            _log(upstream, scope, "did not finish the response within proxy.total_timeout_seconds", None)
        else:
            late = Failure(504, "upstream_timeout", "The site did not answer in time; try again shortly.")
            await send_failure(send, late, scope["headers"])
            _log(upstream, scope, "did not answer within proxy.total_timeout_seconds", 504)
    except _ClientGone:
        pass


def _log(upstream: Upstream, scope: Scope, what: str, status: int | None) -> None:
    outcome = f"answered {status}" if status is not None else "connection closed"
    log.warning(
        "consentgate proxy: upstream %s %s (%s %s); %s",
        upstream.name,
        what,
        scope.get("method", ""),
        scope.get("path", ""),
        outcome,
    )


async def _exchange(upstream: Upstream, scope: Scope, receive: Receive, send: Send) -> None:
    headers, public = upstream.forwarding.request_headers(scope)
    length: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
    limit = upstream.max_body
    if length is not None and length > limit:
        raise Failure(
            413, "body_too_large", f"The request body is over {limit:,} bytes, the most this site takes."
        )
    content = _body(receive, limit) if (length or chunked) else None
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    target = upstream.base.raw_path.rstrip(b"/") + raw_path + (b"?" + query if query else b"")
    method: str = scope["method"]
    try:
        request = httpx.Request(
            method, upstream.base.copy_with(raw_path=target), headers=headers, content=content
        )
    except (httpx.InvalidURL, ValueError):
        raise Failure(400, "bad_request", "The request's path cannot be forwarded.") from None
    response = await _send(upstream, request)
    try:
        status = response.status_code
        out = upstream.rewriter.rewrite(response.headers.raw, public, str(scope.get("http_version", "1.1")))
        start = {"type": "http.response.start", "status": status, "headers": out}
        if method == "HEAD" or status in _NO_BODY_STATUS or status < 200:
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) <= SMALL_BODY:
            try:
                body = b"".join([chunk async for chunk in response.aiter_raw()])
            except httpx.TimeoutException:
                raise Failure(
                    504, "upstream_timeout", "The site did not answer in time; try again shortly."
                ) from None
            except httpx.HTTPError:
                raise Failure(502, "bad_gateway", "The site's answer broke off; try again shortly.") from None
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await send(start)
        if not await _stream(response, receive, send):
            _log(upstream, scope, "broke off the response", None)
    finally:
        await response.aclose()


async def _send(upstream: Upstream, request: httpx.Request) -> httpx.Response:
    try:
        return await upstream.client().send(request, stream=True)
    except httpx.TimeoutException:
        raise Failure(
            504, "upstream_timeout", "The site did not answer in time; try again shortly."
        ) from None
    except httpx.ConnectError:
        raise Failure(
            502, "bad_gateway", "The site cannot be reached right now; try again shortly."
        ) from None
    except httpx.HTTPError:
        raise Failure(
            502, "bad_gateway", "The site did not give a valid answer; try again shortly."
        ) from None


async def _body(receive: Receive, limit: int) -> AsyncIterator[bytes]:
    """The request body as it arrives, refused with 413 once it is over ``limit`` bytes."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Failure(
                413, "body_too_large", f"The request body is over {limit:,} bytes, the most this site takes."
            )
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _stream(response: httpx.Response, receive: Receive, send: Send) -> bool:
    """Stream the body to the visitor; False when the origin broke it off (the response stays open)."""
    pump = asyncio.ensure_future(_pump(response, send))
    watcher = asyncio.ensure_future(_gone(receive))
    try:
        await asyncio.wait((pump, watcher), return_when=asyncio.FIRST_COMPLETED)
        if pump.done():
            return pump.result()
        return True  # the visitor left: nothing more to send, nothing to log
    finally:
        for task in (pump, watcher):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _pump(response: httpx.Response, send: Send) -> bool:
    try:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except httpx.HTTPError:
        return False
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return True


async def _gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
