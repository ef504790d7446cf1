"""JSON in and out for the gate's own routes, with the one error shape of the HTTP contract.

Every JSON answer carries ``Cache-Control: no-store``; every error is
``{"error": <code>, "detail": <sentence>}`` with the status of its :class:`~consentgate.errors.HTTPError`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.types import Message, Receive, Send

from ..errors import HTTPError

__all__ = ["BODY_TIMEOUT", "MAX_BODY", "MAX_DEPTH", "read_json", "send_error", "send_json"]

#: The largest body a JSON route reads unless it says otherwise.
MAX_BODY = 16 * 1024
#: The deepest nesting of arrays and objects a body may have (every body the gate reads has 3 at most).
MAX_DEPTH = 32
#: Seconds a route waits for the whole body unless it says otherwise (``[gate] body_timeout_seconds``).
BODY_TIMEOUT = 10.0
_NO_STORE = (b"cache-control", b"no-store")
#: A JSON string (whose brackets do not count) or a bracket.
_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_OPENERS = frozenset(b"[{")


async def send_json(
    send: Send, status: int, data: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer ``data`` as JSON with ``Cache-Control: no-store`` (and any extra ``headers``)."""
    body = json.dumps(data, separators=(",", ":")).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        _NO_STORE,
    ]
    if headers:
        raw.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: HTTPError) -> None:
    """Answer ``error`` in the contract's JSON error shape, with its extra headers (Allow, Retry-After...)."""
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()]
    await send_json(send, error.status, {"error": error.code, "detail": error.detail}, extra)


async def read_json(
    receive: Receive,
    headers: Mapping[bytes, bytes],
    *,
    limit: int = MAX_BODY,
    seconds: float = BODY_TIMEOUT,
) -> Any:
    """The request body as JSON: ``application/json``, at most ``limit`` bytes, read within
    ``seconds``, nested at most :data:`MAX_DEPTH` deep, no key twice in an object; else an
    :class:`HTTPError` (415, 413, 408 or 400)."""
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if content_type != b"application/json":
        raise HTTPError(415, "unsupported_media_type", "Send the body as application/json.")
    declared = headers.get(b"content-length")
    # Refused before reading when the client says up front that it is too large.
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPError(413, "body_too_large", f"The body is over {limit} bytes.")
    try:
        # One deadline for the whole body: a client that trickles it byte by byte gains nothing.
        raw = await asyncio.wait_for(_read_body(receive, limit), seconds)
    except TimeoutError:
        raise HTTPError(
            408, "body_timeout", f"The body did not arrive within {seconds:g} seconds; send it at once."
        ) from None
    return parse_json(raw)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPError(400, "bad_request", "The client went away before the body was read.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, "body_too_large", f"The body is over {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON, refusing (400, the contract's error shape) what :func:`read_json` refuses:
    bad JSON, nesting deeper than :data:`MAX_DEPTH`, a key twice in one object."""
    # Checked before json.loads, which recurses once per level and would fail deep inside.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(raw) > MAX_DEPTH:
        raise HTTPError(400, "bad_json", f"The body is nested more than {MAX_DEPTH} levels deep.")
    try:
        return json.loads(raw, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise HTTPError(400, "bad_json", f"The key {exc.args[0]!r} appears twice in one object.") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HTTPError(400, "bad_json", "The body is not valid JSON.") from None


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _depth(raw: bytes) -> int:
    """The deepest nesting of brackets outside strings (a loop, never recursion)."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(raw):
        char = match.group()
        if len(char) != 1:
            continue  # a string
        if char[0] in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest
