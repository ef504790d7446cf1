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
from ..rewrite.tagging import HOT
from .judge import HTML, OTHER, SVG, TEXT, XLINK, Judge, namespace_of

__all__ = ["HOLD_CAP", "Stop", "XmlRewriter"]

#: The most a rewrite holds back at once (one construct, or a script's text): beyond it, refused.
HOLD_CAP: Final = 8 * 1024 * 1024
#: A start tag from its ``<`` to its ``>`` (expat has checked it: every value is quoted).
_TAG: Final = re.compile(rb"(?:[^\"'>]++|\"[^\"]*+\"|'[^']*+')*+>")
_NAME: Final = re.compile(rb"<[^\t\n\r />]++")
_REFERENCE: Final = re.compile(rb"&([^\s&;<>\"']++);")


class Stop(Exception):
    """The rewrite stopped: ``reason`` says why; ``refused`` when the whole document should be
    refused (a 502) if nothing of it went out yet, else it was malformed (its output ends there)."""

    def __init__(self, reason: str, *, refused: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused


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
        "_buf", "_cap", "_codec", "_depth", "_edits", "_entities", "_frontier", "_judge", "_ns",
        "_parser", "_pending", "_start", "_text_cap", "stopped",
    )  # fmt: skip

    def __init__(
        self, plan: RewritePlan, blocked: frozenset[str], *, ascii: bool = False, cap: int = HOLD_CAP
    ) -> None:
        self._judge = Judge(plan, blocked)
        self._codec = "latin-1" if ascii else "utf-8"
        parser = expat.ParserCreate("ISO-8859-1" if ascii else "UTF-8", namespace_separator=" ")
        parser.ordered_attributes = True
        parser.StartElementHandler = self._start_element
        parser.EndElementHandler = self._end_element
        parser.CharacterDataHandler = self._text
        parser.ProcessingInstructionHandler = self._instruction
        parser.StartNamespaceDeclHandler = self._bind
        parser.EndNamespaceDeclHandler = self._unbind
        parser.EntityDeclHandler = self._entity
        parser.AttlistDeclHandler = self._attribute_default
        parser.SkippedEntityHandler = self._skipped
        parser.DefaultHandlerExpand = self._other
        self._parser = parser
        self._buf = bytearray()
        self._start = 0  # the offset of _buf[0] in the document
        self._frontier = 0  # output may go up to here
        self._edits: list[tuple[int, int, bytes]] = []
        self._pending: list[_Pending] = []
        self._depth = 0
        self._ns: dict[str | None, list[str]] = {}
        self._entities: dict[bytes, bytes] = {}
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

    def _other(self, data: str) -> None:
        self._seen()

    def _start_element(self, name: str, values: list[str]) -> None:
        at = self._parser.CurrentByteIndex
        rel = at - self._start
        buf = self._buf
        m = _TAG.match(buf, rel)
        if m is None:  # (expat read a tag here: it cannot be)
            raise Stop("a start tag the gate could not find", refused=True)
        tag = bytes(buf[rel : m.end()])
        self._frontier = max(self._frontier, at + len(tag))
        self._depth += 1
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
            and (not self._entities or low.find(b"&") < 0)
        ):
            return
        name_end = _NAME.match(tag).end()  # type: ignore[union-attr]
        attrs = self._attributes(tag, low, name_end)
        verdict = judge.start_tag(tag, name_end, raw_local, kind, attrs)
        if verdict is TEXT:
            self._pending.append(_Pending(at, self._depth, tag, name_end, raw_local, kind, attrs))
            return
        new = verdict if isinstance(verdict, bytes) else None
        if self._entities and tag.find(b"&") >= 0:
            self._expanded_check(new or tag, raw_local, kind)
        if new is not None:
            self._edits.append((at, at + len(tag), new))

    def _attributes(self, tag: bytes, low: bytes, name_end: int) -> list[Attr]:
        """The tag's attributes, each prefixed one named by its namespace (``xlink:href`` whatever
        its prefix, when that is bound to XLink)."""
        attrs = attributes(low, name_end, len(tag) - 1)
        for i, attr in enumerate(attrs):
            prefix, colon, local = attr[0].partition(b":")
            if colon and prefix != b"xmlns":
                bound = self._ns.get(tag[attr[1] : attr[1] + len(prefix)].decode(self._codec))
                if bound and bound[-1] == XLINK:
                    attrs[i] = (b"xlink:" + local, *attr[1:])
        return attrs

    def _expanded_check(self, out: bytes, local: bytes, kind: int) -> None:
        """A tag that refers to the DTD's entities, as the browser reads it once they are expanded,
        must load nothing refused."""
        expanded = _REFERENCE.sub(lambda m: self._entities.get(m.group(1), m.group(0)), out)
        if expanded == out:
            return
        low = expanded.lower()
        name_end = _NAME.match(expanded).end()  # type: ignore[union-attr]
        verdict = self._judge.start_tag(
            expanded, name_end, local, kind, self._attributes(expanded, low, name_end)
        )
        if isinstance(verdict, bytes):
            raise Stop("an entity of the DTD puts a refused URL in a tag", refused=True)

    def _end_element(self, name: str) -> None:
        self._seen()
        pending = self._pending
        if pending and pending[-1].depth == self._depth:
            self._decide(pending.pop())
        self._depth -= 1

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

    def _skipped(self, name: str, is_parameter: bool) -> None:
        # An entity expat does not know (the document names an external DTD): Chromium knows
        # XHTML's (&sol; is '/'), so a text holds it by name, which the judge decodes.
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

    def _unbind(self, prefix: str | None) -> None:
        self._ns[prefix].pop()

    def _entity(
        self, name: str, is_parameter: bool, value: str | None, base: str | None,
        system_id: str | None, public_id: str | None, notation: str | None,
    ) -> None:  # fmt: skip
        self._seen()
        if is_parameter:
            raise Stop("the DTD declares a parameter entity", refused=True)
        if value is None:
            if notation is None:
                raise Stop("the DTD declares an external entity", refused=True)
            return  # an unparsed entity: nothing in a browser reads it
        if value.find("<") >= 0 or value.find("&") >= 0:
            raise Stop("an entity of the DTD holds markup", refused=True)
        escaped = value.replace('"', "&quot;").replace("'", "&#39;")
        self._entities[name.encode(self._codec)] = escaped.encode(self._codec, "surrogatepass")

    def _attribute_default(
        self, element: str, attribute: str, kind: str | None, default: str | None, required: int
    ) -> None:
        self._seen()
        if default is None:
            return
        local = element.rpartition(":")[2].encode(self._codec)
        value = default.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        tag = (
            b"<"
            + local
            + b" "
            + attribute.encode(self._codec)
            + b'="'
            + value.encode(self._codec, "surrogatepass")
            + b'">'
        )
        low = tag.lower()
        name_end = 1 + len(local)
        for reading in (HTML, SVG):
            verdict = self._judge.start_tag(
                tag, name_end, local, reading, attributes(low, name_end, len(tag) - 1)
            )
            if verdict is not None:
                raise Stop("a default attribute of the DTD loads or runs something refused", refused=True)
