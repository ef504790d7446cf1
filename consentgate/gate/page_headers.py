"""The headers of a rewritten page: its new length, the cache headers of ``per_visitor`` mode, and
the CSP nonce the injection must carry; and the 502 that replaces a page the gate refuses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

__all__ = ["REFUSED_BODY", "REFUSED_START", "csp_nonce", "page_headers", "refused_answer"]

_NONCE: Final = re.compile(rb"'nonce-([A-Za-z0-9+/_=-]+)'")


def refused_answer(error: str, detail: str) -> tuple[dict[str, Any], bytes]:
    """The ``http.response.start`` and the JSON body of a 502 that replaces a response the gate
    will not pass (``error`` and ``detail`` as in every JSON error of the gate)."""
    body = json.dumps({"error": error, "detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"cache-control", b"no-store"),
    ]
    return {"type": "http.response.start", "status": 502, "headers": headers}, body


#: ``[gate] unknown_content_type = "refuse"``: the answer instead of a page without one Content-Type.
REFUSED_START, REFUSED_BODY = refused_answer(
    "unknown_content_type",
    "The site answered without one Content-Type, and [gate] unknown_content_type is 'refuse'.",
)


def page_headers(
    headers: Iterable[tuple[bytes, bytes]], length: int | bytes | None, *, per_visitor: bool
) -> list[tuple[bytes, bytes]]:
    """The headers of a rewritten page: ``Content-Length`` is ``length`` (None: none, it streams;
    bytes: the value already written); in ``per_visitor`` mode the page is private to the visitor
    (``Vary: Cookie``, no ``ETag``)."""
    if isinstance(length, int):
        length = str(length).encode("ascii")
    if not per_visitor:
        # Every page in uniform mode: only the length changes (no lower() unless a name could be it).
        kept: list[tuple[bytes, bytes]] = []
        for name, value in headers:
            if name == b"content-length" or (len(name) == 14 and name.lower() == b"content-length"):
                continue
            kept.append((name, value))
        if length is not None:
            kept.append((b"content-length", length))
        return kept
    out: list[tuple[bytes, bytes]] = []
    vary = False
    cache_control: bytes | None = None
    for name, value in headers:
        low = name.lower()
        if low == b"content-length" or low == b"etag":
            continue
        if low == b"vary":
            vary = True
            if value.lower().find(b"cookie") < 0 and value.strip() != b"*":
                value = value + b", Cookie"
        elif low == b"cache-control":
            cache_control = value if cache_control is None else cache_control + b", " + value
            continue
        out.append((name, value))
    if length is not None:
        out.append((b"content-length", length))
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


def csp_nonce(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The nonce of the response's ``Content-Security-Policy``, if it names one."""
    for name, value in headers:
        if name.lower() == b"content-security-policy":
            found = _NONCE.search(value)
            if found:
                return found.group(1).decode("ascii")
    return None
