"""The tag vocabulary: which elements load what, which scripts run, and the inert form's names.

One definition for the gate's rewriter and for the scanner (:mod:`consentgate.scan.tags`), which
reads pages with another tokenizer on purpose but must agree with the rewriter on what a tag
*means*. Element and attribute names are ``bytes`` (the rewriter compares them in its lower-cased
buffer); values a page writes (a script's ``type``, a link's ``rel``) are compared as ``str``.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ANIMATION_VALUES",
    "BREAKOUT",
    "CATEGORY_ATTR",
    "ELEMENT_LOADING",
    "FETCHING_DATA_TYPES",
    "FETCH_RELS",
    "INERT_PREFIX",
    "INERT_SCRIPT_TYPE",
    "LIST_ATTRS",
    "LOADING",
    "PAGE_ELEMENTS",
    "PASSIVE_LOADERS",
    "PRELOAD_RELS",
    "RAW_TEXT_ELEMENTS",
    "RUNNABLE_SCRIPT_TYPES",
    "SCRIPT_RENAMES",
    "SELECT_KEEPS",
    "SERVICE_ATTR",
    "SRCSET_ATTRS",
    "TEXT_URL_ATTRS",
    "script_runs",
]

#: Elements whose content is text up to their own end tag (raw text and escapable raw text).
RAW_TEXT_ELEMENTS: Final = (b"style", b"textarea", b"title", b"xmp", b"noembed", b"noframes")
#: The elements that make a document a whole page (where the banner may be injected).
PAGE_ELEMENTS: Final = (b"html", b"head", b"body")
#: Loading elements that change nothing after them (unlike ``<script>`` and ``<iframe>``).
PASSIVE_LOADERS: Final = (b"img", b"source", b"link", b"embed", b"object")
#: The attributes that load something, per element (``srcset`` holds several URLs).
LOADING: Final = {
    b"img": (b"src", b"srcset"),
    b"source": (b"src", b"srcset"),
    b"embed": (b"src",),
    b"object": (b"data",),
    b"iframe": (b"src",),
    b"link": (b"href",),
    b"script": (b"src",),
}
#: The values an SVG animation element gives the attribute it animates (``values``: a list split on
#: ``;``), whichever attribute that is: one that names a refused URL is renamed.
ANIMATION_VALUES: Final = (b"to", b"from", b"by", b"values")
#: Every attribute of the HTML standard (and of what browsers ship) that fetches a URL without a
#: click, per element; ``image`` is parsed as ``img``. ``*`` lists those any element may carry:
#: ``background`` (body, table and its parts), ``ping`` (a, area), ``attributionsrc``. A
#: ``<link>``'s ``href`` only counts for a fetching ``rel`` (FETCH_RELS), a ``<meta>``'s ``content``
#: only for ``http-equiv=refresh``. SVG and MathML elements fetch through ``href``/``xlink:href``,
#: and SVG animation elements set the attribute they animate (an ``href`` too, which is then
#: fetched: Chromium does, scripting on or off) to ``to``, ``from``, ``by`` or one of ``values``.
ELEMENT_LOADING: Final = {
    **{name: (*attrs, b"attributionsrc") for name, attrs in LOADING.items()},
    b"image": (b"src", b"srcset", b"attributionsrc"),
    b"link": (b"href", b"imagesrcset"),
    b"video": (b"src", b"poster"),
    b"audio": (b"src",),
    b"track": (b"src",),
    b"frame": (b"src",),
    b"input": (b"src",),
    b"isindex": (b"src",),  # (gone from browsers; html5lib still makes it an <input>)
    b"meta": (b"content",),
    b"base": (b"href",),
    b"*": (b"background", b"ping", b"attributionsrc"),
    b"foreign": (b"href", b"xlink:href"),
    **dict.fromkeys((b"set", b"animate", b"animatemotion", b"animatetransform"), ANIMATION_VALUES),
}
#: Attributes whose value is a list of URLs (split on whitespace), and the srcset-like ones.
LIST_ATTRS: Final = frozenset({b"ping", b"attributionsrc"})
SRCSET_ATTRS: Final = frozenset({b"srcset", b"imagesrcset"})
#: Attributes that may hold a ``javascript:`` URL (run on a click or a submit).
TEXT_URL_ATTRS: Final = frozenset({b"href", b"src", b"action", b"formaction", b"data", b"xlink:href"})
#: ``<link rel>`` values that fetch (styles, icons, manifests, preloads, prerenders).
FETCH_RELS: Final = frozenset(
    {
        "stylesheet", "icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed",
        "apple-touch-startup-image", "mask-icon", "fluid-icon", "manifest", "preload", "prefetch",
        "preconnect", "dns-prefetch", "modulepreload", "prerender", "subresource", "import",
        "compression-dictionary", "dictionary", "expect", "pingback", "serviceworker",
    }
)  # fmt: skip
#: Start tags that leave foreign (SVG, MathML) content, per the HTML standard (``font`` only with
#: ``color``, ``face`` or ``size``).
BREAKOUT: Final = frozenset(
    {
        b"b", b"big", b"blockquote", b"body", b"br", b"center", b"code", b"dd", b"div", b"dl", b"dt",
        b"em", b"embed", b"h1", b"h2", b"h3", b"h4", b"h5", b"h6", b"head", b"hr", b"i", b"img",
        b"li", b"listing", b"menu", b"meta", b"nobr", b"ol", b"p", b"pre", b"ruby", b"s", b"small",
        b"span", b"strong", b"strike", b"sub", b"sup", b"table", b"tt", b"u", b"ul", b"var",
    }
)  # fmt: skip
#: Start tags that older parsers (html5lib, the HTML standard before 2025) act on inside
#: ``<select>``; every other start tag there is ignored (so ``<style>`` and ``<xmp>`` switch the
#: tokenizer in a current browser and not in those).
SELECT_KEEPS: Final = frozenset(
    {b"option", b"optgroup", b"select", b"input", b"keygen", b"textarea", b"script", b"template", b"hr"}
)
#: ``<link rel>`` values that make the browser contact a host before any script asks.
PRELOAD_RELS: Final = frozenset({"preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload"})
#: Script types that are not run but make the browser fetch the URLs their JSON names.
FETCHING_DATA_TYPES: Final = frozenset({"speculationrules", "importmap"})

#: What an inert tag's loading attributes are renamed with (``src`` becomes ``data-cg-src``).
INERT_PREFIX: Final = b"data-cg-"
#: The category of an inert tag (or the site's explicit one).
CATEGORY_ATTR: Final = b"data-cg-category"
#: The catalog service an inert tag belongs to.
SERVICE_ATTR: Final = b"data-cg-service"
#: The ``type`` an inert script gets: a browser keeps it as data.
INERT_SCRIPT_TYPE: Final = b"text/plain"
#: The attributes of a script renamed in its inert form (its ``type`` is kept as ``data-cg-type``).
SCRIPT_RENAMES: Final = frozenset({b"src", b"type"})

#: The script type essences a browser runs: the HTML standard's JavaScript MIME type essences,
#: ``module``, and the empty one (no type; also ``;charset=utf-8``, kept runnable to be safe).
RUNNABLE_SCRIPT_TYPES: Final = frozenset(
    {
        "", "module", "text/javascript", "application/javascript", "application/ecmascript",
        "application/x-ecmascript", "application/x-javascript", "text/ecmascript", "text/jscript",
        "text/livescript", "text/x-ecmascript", "text/x-javascript", "text/javascript1.0",
        "text/javascript1.1", "text/javascript1.2", "text/javascript1.3", "text/javascript1.4",
        "text/javascript1.5",
    }
)  # fmt: skip
_WS: Final = " \t\n\f\r"


def script_runs(type_: str | None, language: str | None = None) -> bool:
    """True when a browser would run a ``<script>`` with this ``type`` (None: no attribute) and
    ``language`` (attribute values with character references already decoded).

    No type, or a blank one, runs; without a type, a non-empty ``language`` stands for
    ``text/<language>``. Otherwise the type's essence (parameters after ``;`` ignored, whitespace
    trimmed) must be one of RUNNABLE_SCRIPT_TYPES, compared ASCII case-insensitively. Browsers are
    stricter about parameters and blank types; counting such a script as runnable only means that
    the gate blocks (and the scanner reports) a script that might not have run anyway.
    """
    if type_ is None or not type_.strip(_WS):
        if type_ is not None or not language:
            return True
        type_ = "text/" + language
    essence = type_.split(";", 1)[0].strip(_WS)
    # ASCII case-insensitive: str.lower() would also fold some non-ASCII letters into ASCII.
    return essence.isascii() and essence.lower() in RUNNABLE_SCRIPT_TYPES
