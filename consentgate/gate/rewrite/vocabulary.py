"""The tag vocabulary: which elements load what, which scripts run, and the inert form's names.

One definition for the gate's rewriter and for the scanner (:mod:`consentgate.scan.tags`), which
reads pages with another tokenizer on purpose but must agree with the rewriter on what a tag
*means*. Element and attribute names are ``bytes`` (the rewriter compares them in its lower-cased
buffer); values a page writes (a script's ``type``, a link's ``rel``) are compared as ``str``.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CATEGORY_ATTR",
    "INERT_PREFIX",
    "INERT_SCRIPT_TYPE",
    "LOADING",
    "PAGE_ELEMENTS",
    "PASSIVE_LOADERS",
    "PRELOAD_RELS",
    "RAW_TEXT_ELEMENTS",
    "RUNNABLE_SCRIPT_TYPES",
    "SCRIPT_RENAMES",
    "SERVICE_ATTR",
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
#: ``<link rel>`` values that make the browser contact a host before any script asks.
PRELOAD_RELS: Final = frozenset({"preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload"})

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
