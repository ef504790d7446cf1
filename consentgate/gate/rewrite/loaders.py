"""What any start tag fetches or runs, and its inert form when that is refused.

:func:`tag_verdict` is the one verdict for every element but the HTML ``<script>`` (see
:mod:`.verdicts`): the element's own fetching attributes (:data:`~.vocabulary.ELEMENT_LOADING`),
the ones any element may carry (``background``, ``ping``, ``attributionsrc``), CSS ``url()`` in a
``style`` attribute, ``on*`` handlers and ``javascript:`` URLs that name a refused host, an
``<iframe srcdoc>`` whose document would load a refused tag (rewritten recursively), and for SVG
and MathML elements ``href``/``xlink:href``. Each refused attribute is renamed ``data-cg-<name>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Final

from .attributes import (
    Attr,
    attributes,
    decoded,
    decodings,
    explicit_category,
    first_value,
    value_of,
    with_references_decoded,
)
from .catalog_protocol import ServiceLike
from .css import css_urls, script_urls
from .plan import UNCLASSIFIED, RewritePlan
from .srcset import srcset_urls
from .vocabulary import ELEMENT_LOADING, FETCH_RELS, LIST_ATTRS, SCRIPT_RENAMES, SRCSET_ATTRS, TEXT_URL_ATTRS

__all__ = ["code_renames", "script_text_service", "style_verdict", "tag_verdict"]

_ANY: Final = ELEMENT_LOADING[b"*"]
_STYLE_HREFS: Final = frozenset({b"href", b"xlink:href"})
_FOREIGN: Final = ELEMENT_LOADING[b"foreign"]
_REFRESH_URL = re.compile(r"^[\s\d.]*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", re.I)
#: How deep ``srcdoc`` documents nest before the rest is refused outright.
_SRCDOC_DEPTH: Final = 4


def script_text_service(
    plan: RewritePlan, blocked: frozenset[str], text: str, base: str | None
) -> ServiceLike | None:
    """The first refused service whose URL a script, a handler or JSON ``text`` names (a host no list
    knows does not count: code names URLs it never loads)."""
    for url in script_urls(text):
        for one in _bases(base):
            service = plan.match_text_url(url, one)
            if (
                service is not None
                and service.category != UNCLASSIFIED
                and plan.refuses(service.category, blocked)
            ):
                return service
    return None


def _bases(base: str | None) -> tuple[str | None, ...]:
    """What a URL in code or CSS is judged against: the page's base, and none (a judge that reads
    the text alone takes 'https:host' for a host, where under an https base it is a path)."""
    return (None,) if base is None else (base, None)


def tag_verdict(
    plan: RewritePlan,
    blocked: frozenset[str],
    data: bytes,
    c: int,
    name_end: int,
    tag_end: int,
    name: bytes,
    attrs: list[Attr],
    *,
    foreign: bool = False,
    base: str | None = None,
    nested: Callable[[bytes, int], str | None] | None = None,
    depth: int = 0,
) -> bytes | None:
    """The inert form of a start tag (``data[c:tag_end]``, attributes ``attrs``), or None.

    ``foreign`` for an SVG or MathML element; ``base`` the page's ``<base href>`` if any;
    ``nested(document, depth)`` gives the category of what an ``srcdoc`` document would load that
    is refused (None: nothing).
    """
    category = explicit_category(data, attrs)
    if category == "necessary":
        return None
    own = ELEMENT_LOADING.get(b"img" if name == b"image" else name, ())
    if foreign:
        # An SVG/MathML element by the tree's reading, and by HTML's loaders too: an end tag of an
        # HTML element outside can end foreign content where the tree believes it goes on (its
        # one-way mistake), and this tag is HTML then.
        own = _FOREIGN + own
    if name == b"link" and not foreign:
        rel = first_value(data, attrs, b"rel")
        if rel is None or FETCH_RELS.isdisjoint(decoded(rel).lower().split()):
            own = (b"imagesrcset",)
    elif name == b"meta" and not foreign:
        equiv = first_value(data, attrs, b"http-equiv")
        if equiv is None or decoded(equiv).strip().lower() != "refresh":
            own = ()
    loading = [a for a in attrs if a[0] in own or a[0] in _ANY]
    first: ServiceLike | None = None
    refused: ServiceLike | None = None
    renames: set[bytes] = set()
    srcdoc_category: str | None = None
    for attr in loading:
        for text in decodings(value_of(data, attr), plan.reading):
            for url in _urls(attr[0], text, name):
                found = plan.match_text_url(url, base)
                if found is not None:
                    first = first or found
                    if plan.refuses(found.category, blocked):
                        refused = refused or found
    # Attributes that hold code or CSS: renamed only when they name a refused host themselves.
    code, service = code_renames(plan, blocked, data, attrs, base)
    renames.update(code)
    refused = refused or service
    for attr in attrs:
        attr_name = attr[0]
        if attr_name == b"srcdoc" and name == b"iframe" and nested is not None:
            raw = value_of(data, attr)
            # (Its text in each reading of the page's encoding: a document of its own, in UTF-8.)
            texts = (
                decodings(raw, plan.reading) if not raw.isascii() else (html.unescape(raw.decode("ascii")),)
            )
            for text in texts:
                document = text.encode("utf-8", "surrogatepass")
                inner = "unclassified" if depth >= _SRCDOC_DEPTH else nested(document, depth + 1)
                if inner is not None:
                    renames.add(attr_name)
                    srcdoc_category = inner
                    break
    if category is None:
        if refused is None and not renames:
            return None
        category = refused.category if refused is not None else srcdoc_category or "unclassified"
    elif not plan.refuses(category, blocked):
        return None
    renames.update(a[0] for a in loading)
    if not renames:
        return None
    return plan.inert.tag(data, c, name_end, tag_end, attrs, frozenset(renames), category, refused or first)


def code_renames(
    plan: RewritePlan, blocked: frozenset[str], data: bytes, attrs: list[Attr], base: str | None
) -> tuple[set[bytes], ServiceLike | None]:
    """The ``on*`` handlers, ``style`` attributes and ``javascript:`` URLs that name a refused
    URL, and the first such service."""
    renames: set[bytes] = set()
    first: ServiceLike | None = None
    for attr in attrs:
        name = attr[0]
        if name.startswith(b"on") or name == b"style" or name in TEXT_URL_ATTRS:
            text = "\n".join(decodings(value_of(data, attr), plan.reading))
            if name == b"style":
                service = _first_refused(plan, blocked, css_urls(text), base)
            elif name.startswith(b"on") or text.lstrip(" \t\n\f\r\x00").lower().startswith("javascript:"):
                service = script_text_service(plan, blocked, text, base)
            else:
                continue
            if service is not None:
                first = first or service
                renames.add(name)
    return renames, first


def style_verdict(
    plan: RewritePlan,
    blocked: frozenset[str],
    data: bytes,
    low: bytes,
    c: int,
    name_end: int,
    tag_end: int,
    text_end: int,
    base: str | None,
) -> bytes | None:
    """The inert form of a ``<style>`` whose CSS (``data[tag_end:text_end]``) fetches a refused
    URL, like a script's (``type="text/plain"``, the original ``type`` kept as ``data-cg-type``)."""
    css = with_references_decoded(data[tag_end:text_end], plan.reading).decode("utf-8", "replace")
    service = _first_refused(plan, blocked, css_urls(css), base)
    if service is None:
        return None
    attrs = attributes(low, name_end, tag_end - 1)
    kind = first_value(data, attrs, b"type")
    if kind is not None and decoded(kind).strip(" \t\n\f\r").lower() not in ("", "text/css"):
        return None  # a browser does not apply it (an inert one among them)
    if explicit_category(data, attrs) == "necessary":
        return None
    renames = SCRIPT_RENAMES | all_loaders(plan, blocked, data, attrs, base)
    return plan.inert.tag(data, c, name_end, tag_end, attrs, renames, service.category, service)


def all_loaders(
    plan: RewritePlan, blocked: frozenset[str], data: bytes, attrs: list[Attr], base: str | None
) -> frozenset[bytes]:
    """What an element made inert as a whole (a ``<style>``, an SVG ``<script>``) renames beside
    its type: every attribute that may load or run something on any element (``href`` too: an SVG
    element's may be fetched), and what any tag would have renamed (a ``javascript:`` URL naming a
    refused host), so that a second rewrite, which reads the inert element as an ordinary tag,
    finds nothing to do."""
    loading = {
        a[0]
        for a in attrs
        if a[0] in _ANY or a[0] in _STYLE_HREFS or a[0] == b"style" or a[0].startswith(b"on")
    }
    return frozenset(loading | code_renames(plan, blocked, data, attrs, base)[0])


def _first_refused(
    plan: RewritePlan, blocked: frozenset[str], urls: list[str], base: str | None
) -> ServiceLike | None:
    for url in urls:
        for one in _bases(base):
            service = plan.match_text_url(url, one)
            if service is not None and plan.refuses(service.category, blocked):
                return service
    return None


def _urls(attr: bytes, value: str, element: bytes) -> list[str]:
    if attr in SRCSET_ATTRS:
        return srcset_urls(value)
    if attr in LIST_ATTRS:
        return value.split()
    if attr == b"values":  # an SVG animation's list (the only element that has it here)
        return [v.strip(" \t\n\f\r") for v in value.split(";")]
    if attr == b"background":  # one URL for browsers; a judge may read it as a list (both)
        return [value, *value.split()]
    if attr == b"content":  # <meta http-equiv=refresh content="5; url=...">
        m = _REFRESH_URL.match(value)
        return [m.group(1).strip()] if m is not None and m.group(1).strip() else []
    return [value]
