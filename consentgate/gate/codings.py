"""Content codings and UTF-16 text of a response body: decoded in bounded pieces, re-encoded as they stream.

The response path (:mod:`.html_response`) rewrites an HTML body that an app compresses inside the
gate: ``gzip`` (and ``x-gzip``), ``deflate`` (zlib-wrapped or raw, told by the first bytes) and,
when the optional ``brotli`` package is installed, ``br``; several stacked (``gzip, br``: decoded
from the last to the first, encoded again in the order listed). A decoder never inflates more than
``PIECE`` bytes at a time and takes its input in slices, whatever the app sends in one message, so a
small compressed body (a 1 GB bomb in 1 MB) never becomes one big buffer. A UTF-16 body (which one:
:mod:`.charsets`) is handed to the rewriter as UTF-8 and its output encoded back to the same UTF-16.
"""

from __future__ import annotations

import codecs
import zlib
from collections.abc import Iterator
from typing import Any, Final

try:  # optional: pip install consentgate[brotli]
    import brotli
except ImportError:  # pragma: no cover - the dev environment has it
    brotli = None

__all__ = [
    "PIECE",
    "BrotliCodec",
    "Codec",
    "StackedCodec",
    "Undecodable",
    "Utf16Text",
    "ZlibCodec",
    "codec_for",
]

#: Decoded bytes handed to the rewriter at a time: a compressed body never inflates in one piece.
PIECE: Final = 64 * 1024
#: Compressed bytes given to a decoder at a time (zlib copies what it has not consumed yet).
_SLICE: Final = 16 * 1024
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
        view = memoryview(data)
        try:
            for start in range(0, len(view), _SLICE):
                chunk: bytes = view[start : start + _SLICE].tobytes()
                while chunk:
                    out = decoder.decompress(chunk, PIECE)
                    if out:
                        yield out
                    chunk = decoder.unconsumed_tail
                    if decoder.eof and not chunk:
                        chunk = decoder.unused_data  # another gzip member follows
                        if chunk:
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
        view = memoryview(data)
        try:
            for start in range(0, len(view), _SLICE):
                out = decoder.process(view[start : start + _SLICE].tobytes(), output_buffer_limit=PIECE)
                if out:
                    yield out
                while not decoder.can_accept_more_data():
                    out = decoder.process(b"", output_buffer_limit=PIECE)
                    if out:
                        yield out
        except brotli.error as exc:
            raise Undecodable(str(exc)) from None

    def encode(self, data: bytes, *, final: bool) -> bytes:
        encoder = self._encoder
        out: bytes = encoder.process(data) if data else b""
        end: bytes = encoder.finish() if final else encoder.flush()
        return out + end


class StackedCodec(Codec):
    """Several codings in the order ``Content-Encoding`` lists them (applied first to last)."""

    def __init__(self, codecs: list[Codec]) -> None:
        self._codecs = codecs

    def decode(self, data: bytes, *, final: bool) -> Iterator[bytes]:
        return self._decode(len(self._codecs) - 1, data, final)

    def _decode(self, at: int, data: bytes, final: bool) -> Iterator[bytes]:
        # The last coding applied is the first undone; each piece goes on down before the next.
        if at == 0:
            yield from self._codecs[0].decode(data, final=final)
            return
        pieces = self._codecs[at].decode(data, final=final)
        for piece in pieces:
            yield from self._decode(at - 1, piece, False)
        if final:
            yield from self._decode(at - 1, b"", True)

    def encode(self, data: bytes, *, final: bool) -> bytes:
        for codec in self._codecs:
            data = codec.encode(data, final=final)
        return data


def codec_for(coding: bytes) -> Codec | None:
    """A codec for a ``Content-Encoding`` value (lower-cased; several joined by commas), or None when
    there is none here: an unknown coding, or ``br`` without the ``brotli`` package."""
    if b"," not in coding:
        return _one_codec(coding.strip())
    found = [_one_codec(c.strip()) for c in coding.split(b",") if c.strip() not in (b"", b"identity")]
    if not found or any(c is None for c in found):
        return None
    return found[0] if len(found) == 1 else StackedCodec([c for c in found if c is not None])


def _one_codec(coding: bytes) -> Codec | None:
    if coding in (b"gzip", b"x-gzip"):
        return ZlibCodec(zlib.MAX_WBITS + 16)
    if coding == b"deflate":
        return ZlibCodec(None)
    # brotli before 1.2 cannot bound its output: such a body is not decoded at all.
    if coding == b"br" and brotli is not None and hasattr(brotli.Decompressor, "can_accept_more_data"):
        return BrotliCodec()
    return None


# --- UTF-16 text --------------------------------------------------------------------------------------


class Utf16Text:
    """A UTF-16 body as UTF-8 for the rewriter, and its output back as the same UTF-16.

    Both ways are incremental (a piece may end inside a character); what does not decode becomes
    U+FFFD, as in a browser.
    """

    def __init__(self, encoding: str) -> None:
        self._in = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._out_text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._out = codecs.getincrementalencoder(encoding)(errors="replace")

    def decode(self, data: bytes, *, final: bool = False) -> bytes:
        """UTF-16 in, UTF-8 for the rewriter out."""
        return self._in.decode(data, final).encode("utf-8", "surrogatepass")

    def encode(self, data: bytes, *, final: bool = False) -> bytes:
        """The rewriter's UTF-8 in, UTF-16 out."""
        out: bytes = self._out.encode(self._out_text.decode(data, final), final)
        return out
