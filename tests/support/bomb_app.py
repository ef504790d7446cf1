"""A site whose page is a compression bomb, behind the gate, for a real uvicorn (``--factory``).

``GET /bomb`` answers a gzip body of ``CG_BOMB_MB`` megabytes of spaces after an HTML head with a
tracker (about a thousandth of that compressed), all in ONE message; ``GET /`` a small gzip page
(to warm the path up). The bomb is built when the app is, before anything is measured.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from typing import Any

from consentgate import ConsentMiddleware

HEAD = (
    b"<!DOCTYPE html><html><head><title>bomb</title>"
    b'<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"></script></head><body>'
)


def _bomb(megabytes: int) -> bytes:
    encoder = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [encoder.compress(HEAD)]
    block = b" " * (1024 * 1024)
    for _ in range(megabytes):
        parts.append(encoder.compress(block))
    parts.append(encoder.compress(b"</body></html>") + encoder.flush())
    return b"".join(parts)


def create_app() -> Any:
    bomb = _bomb(int(os.environ.get("CG_BOMB_MB", "64")))
    small = gzip.compress(HEAD + b"<p>hello</p></body></html>")

    async def site(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = bomb if scope["path"] == "/bomb" else small
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    folder = tempfile.mkdtemp(prefix="cg-bomb-")
    return ConsentMiddleware(site, secret_key="bomb-test-secret", database=f"sqlite:///{folder}/cg.db")
