"""The built banner bundle and how the gate serves it.

``static/banner.js`` and ``static/bootstrap.js`` are built from ``js/`` (``npm run build``) and
committed, so a plain install needs no Node. They are read once, at import. The bundle is served at
:data:`BANNER_PATH`, cached for a year (immutable) under its versioned URL ``?v=<BANNER_VERSION>``.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Final
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from ..web import Route
from ..web.paths import BANNER_PATH

__all__ = [
    "BANNER_PATH",
    "BANNER_VERSION",
    "BOOTSTRAP",
    "banner_headers",
    "banner_response_body",
    "banner_routes",
    "serve_banner",
]

_IMMUTABLE: Final = b"public, max-age=31536000, immutable"
#: An unversioned (or stale-versioned) URL may change with the next deployment.
_SHORT: Final = b"public, max-age=300"


def _static(name: str) -> bytes:
    return resources.files("consentgate").joinpath("static", name).read_bytes()


_BANNER: Final = _static("banner.js")
#: The bootstrap, with the placeholder that :class:`~consentgate.gate.injection.Injection` fills in.
BOOTSTRAP: Final = _static("bootstrap.js").decode("utf-8").strip()
#: The first 16 hex digits of the bundle's SHA-256: changes whenever the built file does.
BANNER_VERSION: Final = hashlib.sha256(_BANNER).hexdigest()[:16]
_ETAG: Final = f'"{BANNER_VERSION}"'.encode()


def banner_response_body() -> bytes:
    """The banner bundle as served at :data:`BANNER_PATH` (JavaScript with its CSS inside)."""
    return _BANNER


def banner_headers(query_string: bytes | str = b"") -> list[tuple[bytes, bytes]]:
    """Response headers for the bundle: cached for a year when ``?v=`` names this version, else briefly."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    versions = parse_qs(query_string).get("v", [])
    cache = _IMMUTABLE if versions == [BANNER_VERSION] else _SHORT
    return [
        (b"content-type", b"text/javascript; charset=utf-8"),
        (b"content-length", str(len(_BANNER)).encode()),
        (b"cache-control", cache),
        (b"etag", _ETAG),
        (b"x-content-type-options", b"nosniff"),
    ]


async def serve_banner(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI handler for ``GET`` :data:`BANNER_PATH` (answers 304 to a matching If-None-Match)."""
    headers = banner_headers(scope.get("query_string", b""))
    etags = [v for k, v in scope.get("headers", ()) if k == b"if-none-match"]
    if any(_ETAG in v.split(b",") or v.strip() == b"*" for v in (e.replace(b" ", b"") for e in etags)):
        kept = [(k, v) for k, v in headers if k not in (b"content-length", b"content-type")]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _BANNER})


def banner_routes() -> list[Route]:
    """The routes this capability serves."""
    return [Route.get(BANNER_PATH, serve_banner)]
