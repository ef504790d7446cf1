"""Scripts whose ``src`` is a ``data:`` URL that holds a refused service's snippet or code naming a
refused URL.

``<script src="data:text/javascript;base64,...">`` runs the code the URL holds (a classic script or
a module): Chromium 156 sent ``navigator.sendBeacon`` to the tracker it named, through the gate,
which judged the URL (no host) and not the code. The code is read as an inline script's text is
(:func:`~.loaders.script_text_service`, and the catalog's snippets), percent-encoded or base64; when
it names a refused URL or holds a refused snippet the script becomes inert as any refused one does
(``type="text/plain"``, ``src`` → ``data-cg-src``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .attributes import Attr, decoded, first_value
from .data_urls import data_document
from .loaders import script_text_service
from .preload_scan import DATA_SCHEME
from .vocabulary import SCRIPT_RENAMES

if TYPE_CHECKING:
    from .plan import RewritePlan

__all__ = ["data_script_verdict"]


def data_script_verdict(
    plan: RewritePlan,
    blocked: frozenset[str],
    data: bytes,
    low: bytes,
    c: int,
    name_end: int,
    tag_end: int,
    attrs: list[Attr],
) -> bytes | None:
    """The inert form of the ``<script>`` tag ``data[c:tag_end]`` when its ``src`` is a ``data:`` URL
    whose code holds a refused snippet or names a refused URL, else None."""
    if not blocked or (DATA_SCHEME.search(low, c, tag_end) is None and low.find(b"&", c, tag_end) < 0):
        return None
    src = first_value(data, attrs, b"src")
    found = data_document(decoded(src)) if src is not None else None
    if found is None:
        return None
    # A catalog snippet first, as for an inline script's text; then a refused URL the code names.
    service = plan.match_inline(found[1])
    if service is None or not plan.refuses(service.category, blocked):
        service = script_text_service(plan, blocked, found[1].decode("utf-8", "replace"), None)
        if service is None:
            return None
    return plan.inert.tag(data, c, name_end, tag_end, attrs, SCRIPT_RENAMES, service.category, service)
