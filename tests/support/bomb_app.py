"""A site whose page is a compression bomb, behind the gate, for a real uvicorn (``--factory``).

``GET /bomb`` answers a gzip body of ``CG_BOMB_MB`` megabytes of spaces after an HTML head with a
tracker (about a thousandth of that compressed), all in ONE message; ``GET /`` a small gzip page
(to warm the path up). The bomb is built when the app is, before anything is measured.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
import zlib
from typing import Any

from consentgate import ConsentMiddleware

HEAD = (
    b"<!DOCTYPE html><html><head><title>bomb</title>"
    b'<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"></script></head><body>'
)


def _bomb(megabytes: int) -> bytes:
    """One gzip member (as a compressing app would send it) inflating to ``megabytes`` MB of spaces.

    Built from pieces rather than by compressing a gigabyte: each piece is deflated on its own and
    ended with a full flush (no reference to earlier data, byte-aligned), so the same compressed
    megabyte can be repeated; the gzip trailer's CRC is computed over what the repeats stand for.
    """
    block = b" " * (1024 * 1024)
    tail = b"</body></html>"
    compressed_block = _deflated(block)
    body = _deflated(HEAD) + compressed_block * megabytes + _deflated(tail) + b"\x03\x00"  # final empty block
    crc = zlib.crc32(HEAD)
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = (len(HEAD) + megabytes * len(block) + len(tail)) & 0xFFFFFFFF
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + struct.pack("<II", crc, size)


def _deflated(data: bytes) -> bytes:
    encoder = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return encoder.compress(data) + encoder.flush(zlib.Z_FULL_FLUSH)


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
