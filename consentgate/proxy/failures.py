"""What the visitor gets when the origin fails: a short page (or the JSON error shape), and one log line.

- the origin refused or could not be reached, or answered something that is not HTTP: 502;
- the origin was too slow to connect, to answer, or to finish within the whole-exchange limit: 504;
- the request body is over ``proxy.max_body_bytes``: 413, decided before the body is read whole.

A client that asks for JSON (``Accept`` names ``application/json`` and not ``text/html``) gets the
contract's ``{"error", "detail"}``; a browser gets a small HTML page with the same sentence. Each
failure writes one line to the ``consentgate.proxy`` logger naming the upstream.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Sequence

from starlette.types import Send

from .headers import Header

__all__ = ["Failure", "log", "send_failure"]

log = logging.getLogger("consentgate.proxy")


class Failure(Exception):
    """An exchange that ends in an error response of the proxy's own (raised, then answered once)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


_TITLES = {413: "Request too large", 502: "Bad gateway", 504: "Gateway timeout"}


def _wants_json(headers: Sequence[Header]) -> bool:
    for name, value in headers:
        if name == b"accept":
            accept = value.lower()
            return b"application/json" in accept and b"text/html" not in accept
    return False


async def send_failure(send: Send, failure: Failure, request_headers: Sequence[Header]) -> None:
    """Answer ``failure`` to the visitor (``Connection: close`` for a 413: the body was left unread)."""
    if _wants_json(request_headers):
        body = json.dumps({"error": failure.code, "detail": failure.detail}).encode()
        content_type = b"application/json"
    else:
        title = _TITLES.get(failure.status, "Error")
        body = (
            f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{failure.status} {title}</title>'
            f"<h1>{title}</h1><p>{html.escape(failure.detail)}</p></html>\n"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if failure.status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": failure.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
