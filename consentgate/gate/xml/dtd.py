"""What a document's internal DTD subset declares that changes how its tags read in a browser.

Chromium expands the general entities an internal subset declares, in text and in attribute values,
and applies the default attribute values it declares (``<!ATTLIST img src CDATA "...">`` makes every
``<img/>`` load that URL): markup or a URL can hide where in-place rewriting cannot reach. So:

- an entity whose replacement text holds markup (``<``) or a reference (``&``), a parameter entity
  (it can declare anything) and an external entity refuse the document;
- a default attribute value that would load or run something refused refuses it;
- any other entity is kept, and a tag that refers to one is judged again as the browser reads it,
  its entities expanded (:meth:`Dtd.check_expanded`): if it would still load something refused,
  the document is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from ..rewrite.attributes import Attr, attributes
from .judge import HTML, SVG, Judge
from .stop import Stop

__all__ = ["Dtd"]

_REFERENCE: Final = re.compile(rb"&([^\s&;<>\"']++);")
_NAME: Final = re.compile(rb"<[^\t\n\r />]++")


class Dtd:
    """The internal subset's entities (name to replacement text, escaped for an attribute)."""

    __slots__ = ("_codec", "_judge", "entities")

    def __init__(self, judge: Judge, codec: str) -> None:
        self._judge = judge
        self._codec = codec
        self.entities: dict[bytes, bytes] = {}

    def entity(self, name: str, is_parameter: bool, value: str | None, notation: str | None) -> None:
        """An entity declaration (expat's view: ``value`` None for an external one)."""
        if is_parameter:
            raise Stop("the DTD declares a parameter entity", refused=True)
        if value is None:
            if notation is None:
                raise Stop("the DTD declares an external entity", refused=True)
            return  # an unparsed entity: nothing in a browser reads it
        if value.find("<") >= 0 or value.find("&") >= 0:
            raise Stop("an entity of the DTD holds markup", refused=True)
        escaped = value.replace('"', "&quot;").replace("'", "&#39;")
        self.entities[name.encode(self._codec)] = escaped.encode(self._codec, "surrogatepass")

    def attribute_default(self, element: str, attribute: str, default: str) -> None:
        """A default value of an attribute, judged on the element as XHTML and as SVG; a default
        namespace declaration could move elements into XHTML or SVG unseen: refused."""
        if attribute == "xmlns" or attribute.startswith("xmlns:"):
            raise Stop("the DTD declares a default namespace", refused=True)
        local = element.rpartition(":")[2].encode(self._codec)
        value = default.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        name = attribute.encode(self._codec)
        tag = b"<" + local + b" " + name + b'="' + value.encode(self._codec, "surrogatepass") + b'">'
        name_end = 1 + len(local)
        for kind in (HTML, SVG):
            verdict = self._judge.start_tag(
                tag, name_end, local, kind, attributes(tag, name_end, len(tag) - 1)
            )
            if isinstance(verdict, bytes):
                raise Stop("a default attribute of the DTD loads or runs something refused", refused=True)

    def check_expanded(
        self, out: bytes, local: bytes, kind: int, read: Callable[[bytes, int], list[Attr]]
    ) -> None:
        """The tag ``out`` (as it goes out) with the DTD's entities expanded, as the browser reads
        it, must load nothing refused (``read`` gives a tag's attributes)."""
        entities = self.entities
        expanded = _REFERENCE.sub(lambda m: entities.get(m.group(1), m.group(0)), out)
        if expanded == out:
            return
        name_end = _NAME.match(expanded).end()  # type: ignore[union-attr]
        verdict = self._judge.start_tag(expanded, name_end, local, kind, read(expanded, name_end))
        if isinstance(verdict, bytes):
            raise Stop("an entity of the DTD puts a refused URL in a tag", refused=True)
