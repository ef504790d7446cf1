"""One HTML response body's way through the gate, in bounded pieces.

Content coding decoded (:mod:`.codings`, never more than ``PIECE`` bytes at a time), the page's
encoding decided from its first bytes (:mod:`.charsets`: held back until that is known, at most
:data:`~.meta_scan.SCAN_LIMIT`), a UTF-16 or ISO-2022-JP body turned into UTF-8 for the rewriter
and back, the rewriter, then encoded again: each piece of the body goes all the way through before
the next is decoded, so the gate holds a piece, never the body. A body without one
``Content-Type`` is sniffed first (:mod:`.sniff`): :class:`NotHtml` when a browser would not take
it for HTML; nothing is produced before that is known, so the caller can still pass the body on
as it came.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .charsets import EscapeGuard, decide, http_encoding
from .codings import Codec, Utf16Text
from .iso2022jp import Iso2022JpText
from .rewrite import MemoRewriter
from .sniff import sniffs_as_html

__all__ = ["BodyPipeline", "NotHtml"]


class NotHtml(Exception):
    """The body (sent without one Content-Type) does not sniff as HTML: pass it on untouched."""


class BodyPipeline:
    """``codec`` (or None) undone, ``charset`` (a lower-case label, or empty) honoured, a rewriter
    run, and everything done again in reverse; ``sniff`` first when the type is unknown. The
    rewriter is made once the page's encoding is known: ``rewriter_for(encoding)`` (the encoding
    it reads the bytes in, None when no browser's choice is known).

    ``pin``, once the first output is out: the ``charset`` the response's ``Content-Type`` must
    name (None: the app's header stands). ``held``: the bodies taken in while the page's first
    bytes are held back (none came out yet), to pass on as they came if the rest does not decode.
    ``rewriter``: that rewriter, None before.
    """

    __slots__ = (
        "_codec", "_decided", "_escapes", "_head", "_http", "_rewriter_for", "_size", "_sniff", "_text",
        "_tried", "held", "pin", "rewriter",
    )  # fmt: skip

    def __init__(
        self,
        rewriter_for: Callable[[str | None], MemoRewriter],
        codec: Codec | None,
        charset: bytes,
        *,
        sniff: bool,
    ) -> None:
        self._rewriter_for = rewriter_for
        self.rewriter: MemoRewriter | None = None
        self._codec = codec
        self._http = http_encoding(charset)
        self._sniff = sniff
        self._decided = False
        self._head: list[bytes] = []  # the first bytes, held until their encoding is known
        self._size = 0
        self._tried = 0  # how many of them there were when they were last read
        self._text: Utf16Text | Iso2022JpText | None = None
        self._escapes: EscapeGuard | None = None
        self.pin: bytes | None = None
        self.held: list[bytes] = []

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
                self._head.append(piece)
                self._size += len(piece)
                # (Read again once the held bytes doubled: a page sent a byte at a time is read
                # a bounded number of times, not once per byte.)
                if self._size < 2 * self._tried:
                    continue
                piece = b"".join(self._head)
                self._head = [piece]
                if not self._decide(piece, final=False):
                    continue
                self._head = []
            yield self._through(piece)
        if not self._decided:
            self.held.append(body)
        elif self.held:
            self.held = []
        if final:
            if not self._decided and self._head:
                head = b"".join(self._head)
                self._head = []
                self._decide(head, final=True)
                yield self._through(head)
            yield self._finish()

    def _decide(self, head: bytes, *, final: bool) -> bool:
        self._tried = len(head)
        if self._sniff:  # on the first piece, as before anything is held back
            self._sniff = False
            if not sniffs_as_html(head):
                raise NotHtml
        found = decide(head, self._http, final=final)
        if found is None:
            return False
        if found.text == "iso-2022-jp":
            self._text = Iso2022JpText()
        elif found.text is not None:
            self._text = Utf16Text(found.text)
        self._escapes = EscapeGuard() if found.escapes else None
        self.pin = found.pin
        self.rewriter = self._rewriter_for(found.reading)
        self._decided = True
        return True

    def _through(self, piece: bytes) -> bytes:
        text = self._text
        if text is not None:
            piece = text.decode(piece)
        elif self._escapes is not None:
            piece = self._escapes.feed(piece)
        out = self._rewritten(piece) if piece else b""
        if text is not None:
            out = text.encode(out)
        return self._codec.encode(out, final=False) if self._codec is not None else out

    def _finish(self) -> bytes:
        if not self._decided:
            if self._sniff:
                # Nothing came to sniff: nothing to rewrite, and no injection into what may not be HTML.
                return self._codec.encode(b"", final=True) if self._codec is not None else b""
            self._decide(b"", final=True)  # (an empty page: its encoding is not known)
        text = self._text
        tail = b""
        if text is not None:
            rest = text.decode(b"", final=True)  # a last odd byte becomes U+FFFD
            tail = self._rewritten(rest) if rest else b""
        elif self._escapes is not None:
            rest = self._escapes.feed(b"", final=True)
            tail = self._rewritten(rest) if rest else b""
        assert self.rewriter is not None
        tail += self.rewriter.finish()
        if text is not None:
            tail = text.encode(tail, final=True)
        return self._codec.encode(tail, final=True) if self._codec is not None else tail

    def _rewritten(self, piece: bytes) -> bytes:
        rewriter = self.rewriter
        assert rewriter is not None  # (made when the encoding was decided, before any piece)
        return rewriter.feed(piece)
