"""XML documents a browser renders (XHTML, SVG, plain XML with XHTML or SVG elements in it): read
with expat, and the tags of refused categories made inert in place, byte for byte.

:mod:`.types` which content types; :mod:`.encoding` how a browser decodes one; :mod:`.judge` what a
start tag or an ``<?xml-stylesheet?>`` becomes (the HTML rewriter's verdicts, by namespace);
:mod:`.rewriter` the streaming rewrite by byte offsets (:mod:`.dtd` what an internal DTD
subset changes, :mod:`.stop` why a rewrite ends early); :mod:`.pipeline` one body's way through;
:mod:`.response` the response path the middleware puts in the way.

Importing it gives the HTML rewriter its judge of a frame's ``data:`` XML document (see
:mod:`consentgate.gate.rewrite.data_frames`, which cannot import this package: it imports that one).
"""

from __future__ import annotations

from ..rewrite import RewritePlan
from ..rewrite.data_frames import judge_xml_documents_with, refused_category
from .response import XmlRewriting
from .rewriter import HOLD_CAP, XmlRewriter
from .stop import Stop
from .types import is_xml_type

__all__ = ["HOLD_CAP", "Stop", "XmlRewriter", "XmlRewriting", "is_xml_type"]


def _frame_document(plan: RewritePlan, blocked: frozenset[str], document: bytes) -> str | None:
    """The category of what an XML document in a frame's ``data:`` URL would load that is refused
    (``unclassified`` when it cannot be read with certainty), None for nothing."""
    inner = XmlRewriter(plan, blocked)
    out = inner.feed(document) + inner.finish()
    if inner.stopped is not None and inner.stopped.refused:
        return "unclassified"
    return refused_category(document, out)


judge_xml_documents_with(_frame_document)
