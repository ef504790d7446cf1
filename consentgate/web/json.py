"""JSON in and out for the gate's own routes, with the one error shape of the HTTP contract.

Every JSON answer carries ``Cache-Control: no-store``; every error is
``{"error": <code>, "detail": <sentence>}`` with the status of its :class:`~consentgate.errors.HTTPError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.types import Receive, Send

from ..errors import HTTPError

__all__ = ["MAX_BODY", "read_json", "send_error", "send_json"]

#: The largest body a JSON route reads unless it says otherwise.
MAX_BODY = 16 * 1024
_NO_STORE = (b"cache-control", b"no-store")


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


async def read_json(receive: Receive, headers: Mapping[bytes, bytes], *, limit: int = MAX_BODY) -> Any:
    """The request body as JSON: ``application/json``, at most ``limit`` bytes, else an HTTPError."""
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if content_type != b"application/json":
        raise HTTPError(415, "unsupported_media_type", "Send the body as application/json.")
    declared = headers.get(b"content-length")
    # Refused before reading when the client says up front that it is too large.
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPError(413, "body_too_large", f"The body is over {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPError(400, "bad_request", "The client went away before the body was read.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, "body_too_large", f"The body is over {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError):
        raise HTTPError(400, "bad_json", "The body is not valid JSON.") from None
