"""The gate's streaming HTML rewriter: tags of refused categories made inert, the banner injected.

One job per module: :mod:`.vocabulary` (element and attribute names, which scripts run; shared
with the scanner), :mod:`.tokenizer` (the byte-level regexes), :mod:`.attributes` (a tag's
attributes), :mod:`.verdicts` (what a tag becomes) and :mod:`.inert` (its inert form),
:mod:`.plan` and :mod:`.caches` (what is built once per configuration and remembered between
pages), :mod:`.rewriter` (the streaming state machine) and :mod:`.memo` with :mod:`.memo_store`,
:mod:`.memo_state` and :mod:`.placeholder` (segments of pages seen before, answered from memory).
"""

from __future__ import annotations

from .catalog_protocol import CatalogLike, ServiceLike
from .memo import MemoRewriter
from .plan import SCRIPT_CAP, TAG_CAP, RewritePlan
from .rewriter import Rewriter, rewrite

__all__ = [
    "SCRIPT_CAP",
    "TAG_CAP",
    "CatalogLike",
    "MemoRewriter",
    "RewritePlan",
    "Rewriter",
    "ServiceLike",
    "rewrite",
]
