"""One HTML response body's way through the gate, in bounded pieces.

Content coding decoded (:mod:`.codings`, never more than ``PIECE`` bytes at a time), a UTF-16 body
turned into UTF-8 for the rewriter and back, the rewriter, then encoded again: each piece of the
body goes all the way through before the next is decoded, so the gate holds a piece, never the body.
A body without one ``Content-Type`` is sniffed first (:mod:`.sniff`): :class:`NotHtml` when a
browser would not take it for HTML; nothing is produced before that is known, so the caller can
still pass the body on as it came.
"""

from __future__ import annotations

from collections.abc import Iterator

from .codings import Codec, Utf16Text, utf16_for
from .rewrite import MemoRewriter
from .sniff import sniffs_as_html

__all__ = ["BodyPipeline", "NotHtml"]


class NotHtml(Exception):
    """The body (sent without one Content-Type) does not sniff as HTML: pass it on untouched."""


class BodyPipeline:
    """``codec`` (or None) undone, ``charset`` (a lower-case label, or empty) honoured, ``rewriter``
    run, and everything done again in reverse; ``sniff`` first when the type is unknown."""

    __slots__ = ("_charset", "_codec", "_decided", "_rewriter", "_sniff", "_text")

    def __init__(self, rewriter: MemoRewriter, codec: Codec | None, charset: bytes, *, sniff: bool) -> None:
        self._rewriter = rewriter
        self._codec = codec
        self._charset = charset
        self._sniff = sniff
        self._decided = False
        self._text: Utf16Text | None = None

    def run(self, body: bytes, *, final: bool) -> Iterator[bytes]:
        """The output for ``body``, piece by piece (each bounded); the end of it when ``final``.

        Raises :class:`~.codings.Undecodable`, or :class:`NotHtml` before anything was produced.
        """
        codec = self._codec
        pieces = codec.decode(body, final=final) if codec is not None else (body,)
        for piece in pieces:
            if not piece:
                continue
            if not self._decided:
                self._decide(piece)
            yield self._through(piece)
        if final:
            yield self._finish()

    def _decide(self, head: bytes) -> None:
        if self._sniff and not sniffs_as_html(head):
            raise NotHtml
        encoding = utf16_for(head, self._charset)
        self._text = Utf16Text(encoding) if encoding is not None else None
        self._decided = True

    def _through(self, piece: bytes) -> bytes:
        text = self._text
        if text is not None:
            piece = text.decode(piece)
        out = self._rewriter.feed(piece) if piece else b""
        if text is not None:
            out = text.encode(out)
        return self._codec.encode(out, final=False) if self._codec is not None else out

    def _finish(self) -> bytes:
        if not self._decided and self._sniff:
            # Nothing came to sniff: nothing to rewrite, and no injection into what may not be HTML.
            return self._codec.encode(b"", final=True) if self._codec is not None else b""
        text = self._text
        tail = b""
        if text is not None:
            rest = text.decode(b"", final=True)  # a last odd byte becomes U+FFFD
            tail = self._rewriter.feed(rest) if rest else b""
        tail += self._rewriter.finish()
        if text is not None:
            tail = text.encode(tail, final=True)
        return self._codec.encode(tail, final=True) if self._codec is not None else tail
