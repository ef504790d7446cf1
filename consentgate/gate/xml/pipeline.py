"""One XML body's way through: its content coding undone, its encoding decided, UTF-16 decoded,
the rewrite, and everything done again in reverse, piece by piece (the gate holds a piece and what
the rewrite holds back, never the body)."""

from __future__ import annotations

from ..codings import Codec, Utf16Text
from ..meta_scan import SCAN_LIMIT
from ..rewrite import RewritePlan
from .encoding import Reading, decide_xml
from .rewriter import XmlRewriter
from .stop import Stop

__all__ = ["XmlPipeline"]


class XmlPipeline:
    """``codec`` (or None) undone, ``charset`` (the ``Content-Type``'s label, lower-cased, or
    empty) honoured, the document rewritten for ``blocked``. ``run`` raises :class:`Stop` when the
    document is refused before any output; ``stopped`` says the output ended early."""

    __slots__ = ("_blocked", "_charset", "_codec", "_done", "_head", "_plan", "_rewriter", "_text", "coding")

    def __init__(
        self,
        plan: RewritePlan,
        blocked: frozenset[str],
        codec: Codec | None,
        charset: bytes,
        coding: bytes = b"",
    ) -> None:
        self._plan = plan
        self._blocked = blocked
        self._codec = codec
        self.coding = coding  # the Content-Encoding that codec undoes
        self._charset = charset
        self._head = b""  # the first bytes, held until their encoding is known
        self._rewriter: XmlRewriter | None = None
        self._text: Utf16Text | None = None
        self._done = False

    @property
    def stopped(self) -> Stop | None:
        """Why the rewrite stopped early, if it did."""
        return self._rewriter.stopped if self._rewriter is not None else None

    def run(self, body: bytes, *, final: bool) -> list[bytes]:
        """The output for ``body`` (the end of it when ``final``)."""
        if self._done:
            return []
        codec = self._codec
        out: list[bytes] = []
        for piece in codec.decode(body, final=final) if codec is not None else (body,):
            if piece:
                out.append(self._through(piece))
                if self._done:
                    break
        if final and not self._done:
            if self._rewriter is None:
                self._decide(self._head, final=True)
                head, self._head = self._head, b""
                out.append(self._feed(head) if head else b"")
            if not self._done:
                out.append(self._finish())
        return [piece for piece in out if piece]

    def _decide(self, head: bytes, *, final: bool) -> bool:
        reading = decide_xml(head, self._charset, final=final or len(head) >= SCAN_LIMIT)
        if reading is None:
            return False
        if reading is Reading.REFUSE:
            raise Stop("the document's encoding cannot be read with certainty", refused=True)
        if reading in (Reading.UTF16LE, Reading.UTF16BE):
            self._text = Utf16Text(reading.value)
        self._rewriter = XmlRewriter(self._plan, self._blocked, ascii=reading is Reading.ASCII)
        return True

    def _through(self, piece: bytes) -> bytes:
        if self._rewriter is None:
            self._head += piece
            if not self._decide(self._head, final=False):
                return b""
            piece, self._head = self._head, b""
        return self._feed(piece)

    def _feed(self, piece: bytes) -> bytes:
        rewriter = self._rewriter
        assert rewriter is not None
        text = self._text
        out = rewriter.feed(text.decode(piece) if text is not None else piece)
        if rewriter.stopped is not None:
            return self._close(out)
        if text is not None:
            out = text.encode(out)
        return self._codec.encode(out, final=False) if self._codec is not None else out

    def _finish(self) -> bytes:
        rewriter = self._rewriter
        assert rewriter is not None
        text = self._text
        out = rewriter.feed(text.decode(b"", final=True)) if text is not None else b""
        if rewriter.stopped is None:
            out += rewriter.finish()
        return self._close(out)

    def _close(self, out: bytes) -> bytes:
        """The last output: nothing comes after it, whatever the app still sends."""
        self._done = True
        if self._text is not None:
            out = self._text.encode(out, final=True)
        return self._codec.encode(out, final=True) if self._codec is not None else out
