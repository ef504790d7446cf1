"""XML documents a browser renders (XHTML, SVG, plain XML with XHTML or SVG elements in it): read
with expat, and the tags of refused categories made inert in place, byte for byte.

:mod:`.types` which content types; :mod:`.encoding` how a browser decodes one; :mod:`.judge` what a
start tag or an ``<?xml-stylesheet?>`` becomes (the HTML rewriter's verdicts, by namespace);
:mod:`.rewriter` the streaming rewrite by byte offsets (:mod:`.dtd` what an internal DTD
subset changes, :mod:`.stop` why a rewrite ends early); :mod:`.pipeline` one body's way through;
:mod:`.response` the response path the middleware puts in the way.
"""

from __future__ import annotations

from .response import XmlRewriting
from .rewriter import HOLD_CAP, XmlRewriter
from .stop import Stop
from .types import is_xml_type

__all__ = ["HOLD_CAP", "Stop", "XmlRewriter", "XmlRewriting", "is_xml_type"]
