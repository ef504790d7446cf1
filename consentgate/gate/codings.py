"""Content codings of a response body: decoded in bounded pieces, re-encoded as they stream.

The response path (:mod:`.html_response`) rewrites an HTML body that an app compresses inside the
gate: ``gzip`` (and ``x-gzip``), ``deflate`` (zlib-wrapped or raw, told by the first bytes) and,
when the optional ``brotli`` package is installed, ``br``. A decoder never inflates more than
``PIECE`` bytes at a time, so a small compressed body cannot become one huge buffer.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, Final

try:  # optional: pip install consentgate[brotli]
    import brotli
except ImportError:  # pragma: no cover - the dev environment has it
    brotli = None

__all__ = ["PIECE", "BrotliCodec", "Codec", "Undecodable", "ZlibCodec", "codec_for"]

#: Decoded bytes handed to the rewriter at a time: a compressed body never inflates in one piece.
PIECE: Final = 64 * 1024
_GZIP_LEVEL: Final = 6
_BROTLI_QUALITY: Final = 5


class Undecodable(Exception):
    """The body does not decode with its declared content coding."""


class Codec:
    """One response's decoder and encoder for its content coding."""

    def decode(self, data: bytes, *, final: bool) -> Iterator[bytes]:  # pragma: no cover - abstract
        """The decoded bytes of ``data`` in pieces of at most ``PIECE``; raises :class:`Undecodable`."""
        raise NotImplementedError

    def encode(self, data: bytes, *, final: bool) -> bytes:  # pragma: no cover - abstract
        """``data`` encoded and flushed (finished when ``final``), ready to send."""
        raise NotImplementedError


class ZlibCodec(Codec):
    """gzip (wbits 31), zlib-wrapped deflate (15) or raw deflate (-15), decoded in bounded pieces."""

    def __init__(self, wbits: int | None) -> None:
        self._wbits = wbits  # None: deflate, wrapped or raw, decided by the first bytes
        self._decoder: Any = None
        self._encoder: Any = None

    def decode(self, data: bytes, *, final: bool) -> Iterator[bytes]:
        if self._decoder is None:
            if not data:
                return
            if self._wbits is None:
                self._wbits = zlib.MAX_WBITS if _is_zlib_header(data) else -zlib.MAX_WBITS
            self._decoder = zlib.decompressobj(self._wbits)
        wbits = self._wbits
        assert wbits is not None
        decoder = self._decoder
        try:
            while data:
                out = decoder.decompress(data, PIECE)
                if out:
                    yield out
                data = decoder.unconsumed_tail
                if decoder.eof and not data:
                    data = decoder.unused_data  # another gzip member follows
                    if data:
                        decoder = self._decoder = zlib.decompressobj(wbits)
            if final:
                rest = decoder.flush()
                if rest:
                    yield rest
        except zlib.error as exc:
            raise Undecodable(str(exc)) from None

    def encode(self, data: bytes, *, final: bool) -> bytes:
        if self._encoder is None:
            wbits = self._wbits if self._wbits is not None else zlib.MAX_WBITS
            self._encoder = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, wbits)
        encoder = self._encoder
        out: bytes = encoder.compress(data) + encoder.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
        return out


def _is_zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class BrotliCodec(Codec):
    """``br``, with the optional ``brotli`` package (check :func:`codec_for` first)."""

    def __init__(self) -> None:
        assert brotli is not None
        self._decoder = brotli.Decompressor()
        self._encoder = brotli.Compressor(quality=_BROTLI_QUALITY, mode=brotli.MODE_TEXT)

    def decode(self, data: bytes, *, final: bool) -> Iterator[bytes]:
        decoder = self._decoder
        try:
            if not data:
                return
            try:
                out = decoder.process(data, output_buffer_limit=PIECE)
            except TypeError:  # brotli < 1.2 has no output limit
                yield decoder.process(data)
                return
            yield out
            while not decoder.can_accept_more_data():
                yield decoder.process(b"", output_buffer_limit=PIECE)
        except brotli.error as exc:
            raise Undecodable(str(exc)) from None

    def encode(self, data: bytes, *, final: bool) -> bytes:
        encoder = self._encoder
        out: bytes = encoder.process(data) if data else b""
        end: bytes = encoder.finish() if final else encoder.flush()
        return out + end


def codec_for(coding: bytes) -> Codec | None:
    """A codec for a ``Content-Encoding`` value (lower-cased), or None when there is none here:
    an unknown coding, or ``br`` without the ``brotli`` package."""
    if coding in (b"gzip", b"x-gzip"):
        return ZlibCodec(zlib.MAX_WBITS + 16)
    if coding == b"deflate":
        return ZlibCodec(None)
    if coding == b"br" and brotli is not None:
        return BrotliCodec()
    return None
