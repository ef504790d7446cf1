"""One XML response's rewrite: expat reads the document as it streams, the start tags and
processing instructions that would load a refused tracker are replaced in place, by byte offsets,
and every other byte goes out as it came.

expat (the standard library's ``xml.parsers.expat``, in C) reports each construct with the offset
of its first byte in the input (``CurrentByteIndex``). A construct reported is complete, and every
byte before the start of the last one reported belongs to constructs already reported, so that is
how far output may go; a start tag's verdict is known when it is reported, and an inline script's or
a style's once its text is (held back until its end tag, or ``script_cap`` bytes of text).

What a browser would read differently, the gate does not guess at (:class:`Stop`):

- Chromium renders a document up to its first well-formedness error: the output ends before the
  construct where expat failed, so nothing past it reaches the browser (``malformed``).
- An internal DTD subset can hide markup or a URL in an entity's replacement text, which expat
  expands where in-place rewriting cannot reach: an entity holding markup (``<``), a parameter or
  an external entity, or a default attribute value that would load a refused URL refuses the
  document; a tag that refers to a declared entity is judged again with the entity expanded and
  refuses it if it would then still load something refused.
- A document that holds more than ``cap`` bytes back at once (one construct that long) is refused.
"""

from __future__ import annotations

import re
import xml.parsers.expat as expat
from typing import Final

from ..rewrite import RewritePlan
from ..rewrite.attributes import Attr, attributes
from ..rewrite.caches import UNKNOWN
from ..rewrite.tagging import HOT
from .dtd import Dtd
from .judge import HTML, MATHML_NS, OTHER, SVG, SVG_NS, TEXT, XHTML_NS, XLINK, Judge, namespace_of
from .stop import Stop

__all__ = ["HOLD_CAP", "Stop", "XmlRewriter"]

#: The most a rewrite holds back at once (one construct, or a script's text): beyond it, refused.
HOLD_CAP: Final = 8 * 1024 * 1024
#: A start tag from its ``<`` to its ``>`` (expat has checked it: every value is quoted).
_TAG: Final = re.compile(rb"(?:[^\"'>]++|\"[^\"]*+\"|'[^']*+')*+>")
_NAME: Final = re.compile(rb"<[^\t\n\r />]++")
#: The expat names of the elements whose text decides their verdict (a script, a style).
_TEXT_ELEMENTS: Final = frozenset(
    f"{ns} {name}" for ns in (XHTML_NS, SVG_NS, MATHML_NS) for name in ("script", "style")
)
#: What makes a tag worth reading, in its decoded values: what takes a URL off the page's own host
#: (``//``, with tabs or newlines between, which a URL parser drops; a scheme's colon; a
#: backslash), the site's own category, an ``srcdoc`` document (its scripts are judged too).
_WORTH: Final = re.compile(r"/[\t\n\r]*/|[:\\]|data-cg-category|srcdoc")


class _Pending:
    """A start tag whose verdict waits for its element's text."""

    __slots__ = ("at", "attrs", "depth", "kind", "local", "name_end", "size", "tag", "text")

    def __init__(
        self, at: int, depth: int, tag: bytes, name_end: int, local: bytes, kind: int, attrs: list[Attr]
    ) -> None:
        self.at, self.depth, self.tag, self.name_end = at, depth, tag, name_end
        self.local, self.kind, self.attrs = local, kind, attrs
        self.text: list[str] = []
        self.size = 0


class XmlRewriter:
    """``feed`` each piece of the document (bytes whose markup is ASCII, see :mod:`.encoding`),
    then ``finish``; each gives the output so far. ``stopped``: the :class:`Stop` that ended the
    rewrite, if any (nothing more comes out after it)."""

    __slots__ = (
        "_blocked",
        "_buf",
        "_caches",
        "_cap",
        "_careful",
        "_codec",
        "_depth",
        "_dtd",
        "_edits",
        "_frontier",
        "_judge",
        "_ns",
        "_parser",
        "_pending",
        "_plan",
        "_start",
        "_text_cap",
        "_xlink",
        "stopped",
    )  # fmt: skip

    def __init__(
        self, plan: RewritePlan, blocked: frozenset[str], *, ascii: bool = False, cap: int = HOLD_CAP
    ) -> None:
        self._judge = Judge(plan, blocked, self._nested)
        self._blocked = blocked
        self._plan = plan
        self._caches = plan.caches
        self._xlink = b"\x00\x00"  # the prefixes bound to XLink
        self._codec = "latin-1" if ascii else "utf-8"
        parser = expat.ParserCreate("ISO-8859-1" if ascii else "UTF-8", namespace_separator=" ")
        parser.ordered_attributes = True
        parser.StartElementHandler = self._start_element
        parser.ProcessingInstructionHandler = self._instruction
        parser.StartNamespaceDeclHandler = self._bind
        parser.EndNamespaceDeclHandler = self._unbind
        parser.EntityDeclHandler = self._entity
        parser.AttlistDeclHandler = self._attribute_default
        parser.SkippedEntityHandler = self._skipped
        parser.StartDoctypeDeclHandler = self._doctype
        self._parser = parser
        self._buf = bytearray()
        self._start = 0  # the offset of _buf[0] in the document
        self._frontier = 0  # output may go up to here
        self._edits: list[tuple[int, int, bytes]] = []
        self._pending: list[_Pending] = []
        self._depth = 0  # of elements, counted from the outermost held one
        #: The tags' decoded values do not tell (the DTD declares entities or defaults, or an external
        #: DTD may name entities expat skips): every tag is read from its bytes.
        self._careful = False
        self._ns: dict[str | None, list[str]] = {}
        self._dtd = Dtd(self._judge, self._codec)
        self._cap = cap
        self._text_cap = plan.script_cap
        self.stopped: Stop | None = None

    def feed(self, data: bytes) -> bytes:
        """The output for ``data``, as far as it is decided."""
        if self.stopped is not None or not data:
            return b""
        self._buf += data
        if not self._parse(data, final=False):
            return self._end()
        # Between two calls expat stands at the first byte of what it has not read yet (a
        # construct cut off by the end of data): everything before was read, every start tag in it
        # reported. (Text and end tags have no handler when nothing is held: this is what lets
        # output pass a long text.)
        at = self._parser.CurrentByteIndex
        if at > self._frontier:
            self._frontier = at
        out = self._emit(self._frontier if not self._pending else min(self._frontier, self._pending[0].at))
        if len(self._buf) > self._cap:
            self.stopped = Stop(f"more than {self._cap} bytes held back at once", refused=True)
            self._buf.clear()
        return out

    def finish(self) -> bytes:
        """The rest of the output."""
        if self.stopped is not None:
            return b""
        if not self._parse(b"", final=True):
            return self._end()
        return self._emit(self._start + len(self._buf))

    def _parse(self, data: bytes, *, final: bool) -> bool:
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            self.stopped = Stop(f"not well-formed: {exc}", refused=False)
            return False
        except Stop as stop:
            self.stopped = stop
            return False
        return True

    def _end(self) -> bytes:
        """What goes out once the rewrite stopped: the decided part before a well-formedness
        error; nothing more after a refusal (a 502 when nothing went out yet)."""
        assert self.stopped is not None
        if self.stopped.refused:
            self._buf.clear()
            return b""
        for pending in self._pending:  # (a script cut off by an error is judged by what came)
            self._decide(pending)
        self._pending.clear()
        out = self._emit(self._frontier)
        self._buf.clear()
        return out

    def _emit(self, upto: int) -> bytes:
        start = self._start
        if upto <= start:
            return b""
        buf = self._buf
        out: list[bytes | bytearray] = []
        at = start
        edits = self._edits
        if edits:
            edits.sort()
            kept = []
            for edit in edits:
                if edit[0] < upto:
                    out.append(buf[at - start : edit[0] - start])
                    out.append(edit[2])
                    at = edit[1]
                else:
                    kept.append(edit)
            self._edits = kept
        out.append(buf[at - start : upto - start])
        del buf[: upto - start]
        self._start = upto
        return b"".join(out)

    # --- expat's events ---------------------------------------------------------------------------

    def _seen(self) -> None:
        at = self._parser.CurrentByteIndex
        if at > self._frontier:
            self._frontier = at

    def _doctype(self, name: str, system_id: str | None, public_id: str | None, internal: int) -> None:
        self._seen()
        if system_id is not None or internal:
            self._careful = True

    def _start_element(self, name: str, values: list[str]) -> None:
        at = self._parser.CurrentByteIndex
        if self._pending:
            self._depth += 1
        if (
            name not in _TEXT_ELEMENTS
            and not self._careful
            and self._judge.base is None
            and (not values or _WORTH.search("\x00".join(values)) is None)
        ):
            # The common tag: no value holds a URL's slash or a scheme's colon (decoded: a
            # reference that makes one counts), and no explicit category: nothing to judge.
            if at > self._frontier:
                self._frontier = at
            return
        rel = at - self._start
        buf = self._buf
        m = _TAG.match(buf, rel)
        if m is None:  # (expat read a tag here: it cannot be)
            raise Stop("a start tag the gate could not find", refused=True)
        tag = bytes(buf[rel : m.end()])
        self._frontier = max(self._frontier, at + len(tag))
        uri, _, local = name.rpartition(" ")
        kind = namespace_of(uri)
        if kind == OTHER:
            return
        judge = self._judge
        low = tag.lower()
        raw_local = local.encode(self._codec)
        if kind == SVG:
            raw_local = raw_local.lower()
        if (
            raw_local not in (b"script", b"style")
            and judge.base is None
            and HOT.search(low) is None
            and low.find(b"data:") < 0  # (a frame's document may hide its URLs: percent-encoded, base64)
            and (not self._dtd.entities or low.find(b"&") < 0)
        ):
            return
        name_end = _NAME.match(tag).end()  # type: ignore[union-attr]
        attrs = self._attributes(tag, name_end)
        # Cached by its bytes, as the HTML rewriter caches its verdicts (a site's tags repeat), and
        # by how it is read here: an HTML tag's key ends in '>', this one in a NUL.
        key = (tag + b"\x00%d " % kind + raw_local + self._xlink, self._blocked, judge.base, kind == SVG)
        caches = self._caches
        verdict = caches.tag.get(key, UNKNOWN)
        if verdict is UNKNOWN:
            verdict = judge.start_tag(tag, name_end, raw_local, kind, attrs)
            if verdict is not TEXT and not (kind == HTML and raw_local == b"base"):
                caches.remember_tag(key, verdict)
        if verdict is TEXT:
            if not self._pending:  # its text and end tag are now of interest
                self._depth = 1
                self._parser.CharacterDataHandler = self._text
                self._parser.EndElementHandler = self._end_element
            self._pending.append(_Pending(at, self._depth, tag, name_end, raw_local, kind, attrs))
            return
        new = verdict if isinstance(verdict, bytes) else None
        if self._dtd.entities and tag.find(b"&") >= 0:
            self._dtd.check_expanded(new or tag, raw_local, kind, self._attributes)
        if new is not None:
            self._edits.append((at, at + len(tag), new))

    def _nested(self, document: bytes) -> bool:
        """Whether an XML document of a frame's ``data:`` URL would load something refused (or
        cannot be read: then as well)."""
        inner = XmlRewriter(self._plan, self._blocked)
        out = inner.feed(document) + inner.finish()
        return out != document or (inner.stopped is not None and inner.stopped.refused)

    def _attributes(self, tag: bytes, name_end: int) -> list[Attr]:
        """The tag's attributes, each prefixed one named by its namespace (``xlink:href`` whatever
        its prefix, when that is bound to XLink)."""
        attrs = attributes(tag, name_end, len(tag) - 1)  # (by their names as written: XML)
        for i, attr in enumerate(attrs):
            prefix, colon, local = attr[0].partition(b":")
            if colon and prefix != b"xmlns":
                bound = self._ns.get(tag[attr[1] : attr[1] + len(prefix)].decode(self._codec))
                if bound and bound[-1] == XLINK:
                    attrs[i] = (b"xlink:" + local, *attr[1:])
        return attrs

    def _end_element(self, name: str) -> None:
        self._seen()
        pending = self._pending
        if pending and pending[-1].depth == self._depth:
            self._decide(pending.pop())
        self._depth -= 1
        if not pending:
            self._quiet()

    def _quiet(self) -> None:
        """No tag is held: text and end tags are passed over in C."""
        self._parser.CharacterDataHandler = None
        self._parser.EndElementHandler = None
        self._depth = 0

    def _decide(self, pending: _Pending) -> None:
        if pending.size < 0:
            return  # decided already, on the first script_cap bytes of its text
        text = "".join(pending.text).encode(self._codec, "surrogatepass")[: self._text_cap]
        new = self._judge.with_text(
            pending.tag, pending.name_end, pending.local, pending.kind, pending.attrs, text
        )
        pending.size = -1
        if new is not None:
            self._edits.append((pending.at, pending.at + len(pending.tag), new))

    def _text(self, data: str) -> None:
        self._seen()
        for pending in self._pending:
            if pending.size >= 0:
                pending.text.append(data)
                pending.size += len(data)
                if pending.size >= self._text_cap:
                    self._decide(pending)
        if self._pending and self._pending[0].size < 0:
            # The outermost held tag is decided: output may pass it (a later one may still hold).
            self._pending = [p for p in self._pending if p.size >= 0]
            if not self._pending:
                self._quiet()

    def _skipped(self, name: str, is_parameter: bool) -> None:
        # An entity expat does not know (the document names an external DTD): Chromium knows
        # XHTML's (&sol; is '/'), so a text holds it by name, which the judge decodes.
        if self._pending:
            self._text("&" + name + ";")

    def _instruction(self, target: str, data: str) -> None:
        at = self._parser.CurrentByteIndex
        rel = at - self._start
        end = self._buf.find(b"?>", rel) + 2
        self._frontier = max(self._frontier, at + end - rel)
        if target != "xml-stylesheet":
            return
        pi = bytes(self._buf[rel:end])
        new = self._judge.stylesheet(pi, 2 + len(target), len(pi) - 2)
        if new is not None:
            self._edits.append((at, at + len(pi), new))

    def _bind(self, prefix: str | None, uri: str) -> None:
        self._ns.setdefault(prefix, []).append(uri)
        self._xlinks()

    def _unbind(self, prefix: str | None) -> None:
        self._ns[prefix].pop()
        self._xlinks()

    def _xlinks(self) -> None:
        """The prefixes bound to XLink now (a tag's verdict depends on them)."""
        bound = sorted(
            (p or "").encode(self._codec) for p, uris in self._ns.items() if uris and uris[-1] == XLINK
        )
        self._xlink = b"\x00" + b" ".join(bound) + b"\x00"

    def _entity(
        self, name: str, is_parameter: bool, value: str | None, base: str | None,
        system_id: str | None, public_id: str | None, notation: str | None,
    ) -> None:  # fmt: skip
        self._seen()
        self._careful = True
        self._dtd.entity(name, is_parameter, value, notation)

    def _attribute_default(
        self, element: str, attribute: str, kind: str | None, default: str | None, required: int
    ) -> None:
        self._seen()
        if default is not None:
            self._careful = True
            self._dtd.attribute_default(element, attribute, default)
