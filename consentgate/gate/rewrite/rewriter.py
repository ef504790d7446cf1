"""The streaming HTML rewriter: tags of refused categories made inert, the banner injected.

Pure: bytes in, bytes out, no I/O. A :class:`RewritePlan` holds what depends only on the gate's
configuration (the catalog, the injection, the caps) and is built once; a :class:`Rewriter` is one
response's pass over the body, fed chunk by chunk::

    rewriter = Rewriter(plan, blocked=frozenset({"analytics", "advertising", "social"}))
    for chunk in body:
        yield rewriter.feed(chunk)
    yield rewriter.finish()

How it finds tags without tokenizing the whole page: one compiled ``bytes`` regex (a trie of the
names, on a lower-cased copy) jumps from one *candidate* to the next -- ``<script``, ``<iframe``,
``<noscript``, the raw-text elements, comments (the *stateful* ones, after which the tokenizer's
state changes) and ``<img``, ``<source``, ``<link``, ``<embed``, ``<object`` (the *passive*
ones) -- and everything in between is copied as one slice.

- A passive tag with no ``//``, ``\\``, ``&`` or ``data-cg-`` in it, or whose URLs the catalog
  does not know, is harmless and passed over at once: that it might not even be a tag (but text
  inside another tag's attribute value) does not matter.
- Any other candidate only counts if the HTML tokenizer would be in its data state there: the last
  ``>`` before it ends whatever construct it is in, unless it sits in a quoted attribute value,
  and inside a quoted value the last quote of its kind before it is the opening one, which only
  ``=`` and spaces can precede. When that cheap check is not sure, an exact regex tokenizer reads
  the stretch since the last known data-state position.
- Attributes are parsed only for the tags that may be rewritten. Verdicts are cached in the plan
  by the tag's bytes (and the blocked categories), so a page served again costs little more than
  the scan.

The injection (the banner's tags) goes before the first script that runs (outside ``<noscript>``),
else before ``</head>``, else before ``</body>``, else at the end; only into a whole page (one
that has shown a doctype, ``<html>``, ``<head>`` or ``<body>``), never into a fragment, and never
twice (a page that already carries it, byte for byte, keeps it as it is).

The rewrite of a tag renames its loading attributes and adds the category; see the vocabulary in
``docs/INTERNALS.md``. Every byte outside a rewritten tag is copied unchanged, a page with nothing
to block comes back byte for byte (plus the injection), rewriting is idempotent, and the output
does not depend on how the input is split into chunks. Only an incomplete tag is held back
between chunks (a tag longer than ``tag_cap`` passes unchanged instead), and an inline script's
text until its ``</script>`` (only the first ``script_cap`` bytes of it are inspected).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol

__all__ = ["CatalogLike", "RewritePlan", "Rewriter", "ServiceLike", "rewrite"]


class ServiceLike(Protocol):
    """What the rewriter reads of a service (``consentgate.catalog.Service``)."""

    @property
    def id(self) -> str: ...

    @property
    def category(self) -> str: ...


class CatalogLike(Protocol):
    """What the rewriter asks of the catalog (``consentgate.catalog.Catalog``)."""

    def match_url(self, url: str, /) -> ServiceLike | None: ...

    def match_inline(self, text: str, /) -> ServiceLike | None: ...


#: A tag longer than this passes unchanged (an inline data: URI image, say) instead of being held.
TAG_CAP: Final = 64 * 1024
#: Only this much of an inline script is held back and shown to the catalog's snippet signatures.
SCRIPT_CAP: Final = 64 * 1024
_URL_CACHE_LIMIT: Final = 4096
_INLINE_CACHE_BYTES: Final = 4 * 1024 * 1024

# --- the scanner's regexes (all on the lower-cased copy of the input) -----------------------------

_DELIM = rb"(?=[\t\n\f\r />])"
_RAW = (b"style", b"textarea", b"title", b"xmp", b"noembed", b"noframes")
#: Start tags that change the tokenizer's state (or the rewriter's) after them.
_STATEFUL = (b"script", b"iframe", b"noscript", *_RAW, b"plaintext")
#: Start tags that only matter when they name a third party (or carry an explicit category).
_PASSIVE = (b"img", b"source", b"link", b"embed", b"object")
_PAGE = (b"html", b"head", b"body")


def _alt(names: Iterable[bytes]) -> bytes:
    return b"|".join(names)


def _trie(words: Iterable[bytes]) -> bytes:
    """An alternation of ``words`` factored by prefix (``s(?:cript|tyle)``): the regex engine then
    tries one branch per byte instead of every word at every ``<``."""
    tree: dict[int, Any] = {}
    for word in words:
        node = tree
        for byte in word:
            node = node.setdefault(byte, {})
        node[-1] = {}

    def emit(node: dict[int, Any]) -> bytes:
        ends = -1 in node
        branches = [re.escape(bytes([b])) + emit(child) for b, child in sorted(node.items()) if b >= 0]
        if not branches:
            return b""
        body = branches[0] if len(branches) == 1 and not ends else b"(?:" + b"|".join(branches) + b")"
        return body + (b"?" if ends else b"")

    return emit(tree)


def _cand(names: tuple[bytes, ...], *, doctype: bool) -> re.Pattern[bytes]:
    """``<`` and one of ``names`` (``/name`` for an end tag), ``<!--``, or ``<!doctype``; no groups
    (they cost): the name is read back from the bytes."""
    return re.compile(
        rb"<(?:" + _trie(names) + _DELIM + rb"|!--" + (rb"|!doctype" if doctype else b"") + rb")"
    )  # fmt: skip


#: The attributes of a tag, exactly as the HTML tokenizer splits them (an unterminated quoted
#: value stops the match short of the closing ``>``, which is how an incomplete tag is told).
_ATTRS_SRC = (
    rb"(?:[\t\n\f\r /]++|(?>[^\t\n\f\r />][^\t\n\f\r />=]*+)"
    rb"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:\"[^\"]*+\"|'[^']*+'|(?![\"'])[^\t\n\f\r >]*+)|(?![\t\n\f\r ]*+=)))*+"
)
_ATTRS = re.compile(_ATTRS_SRC)
#: One attribute: (name, raw value with its quotes or None).
_ATTR = re.compile(
    rb"([^\t\n\f\r />][^\t\n\f\r />=]*+)(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r >]*+))?+"
)


def _skip(start: tuple[bytes, ...], end: tuple[bytes, ...], doctype: bool) -> re.Pattern[bytes]:
    """The exact tokenizer, as one regex: consumes text, bogus comments and every tag but the
    stateful candidates, and stops at one of those, at a comment, or at a construct the buffer
    (or the ``endpos`` given) does not complete."""
    bogus = rb"[!?](?!--)" + (rb"(?!doctype)" if doctype else b"") + rb"[^>]*+>"
    return re.compile(
        rb"(?:[^<]++|<(?:(?!(?:" + _alt(start) + rb")" + _DELIM + rb")[a-z][^\t\n\f\r />]*+" + _ATTRS_SRC
        + rb">|/(?!(?:" + _alt(end) + rb")" + _DELIM + rb")[a-z][^\t\n\f\r />]*+" + _ATTRS_SRC
        + rb">|" + bogus + rb"|/[^a-z>][^>]*+>|/>|(?=[^a-z!?/])))*+"
    )  # fmt: skip


# Before the injection is placed, <html>/<head>/<body>, </head>, </body> and <!doctype> matter too.
_CAND_PRE = _cand((*_STATEFUL, *_PASSIVE, *_PAGE, b"/noscript", b"/head", b"/body"), doctype=True)
_CAND_POST = _cand((*_STATEFUL, *_PASSIVE, b"/noscript"), doctype=False)
_SKIP_PRE = _skip(_STATEFUL + _PAGE, (b"noscript", b"head", b"body"), True)
_SKIP_POST = _skip(_STATEFUL, (b"noscript",), False)

#: Bytes that may follow ``<`` to open a tag, an end tag, a comment or a bogus comment.
_OPENERS: Final = frozenset(b"abcdefghijklmnopqrstuvwxyz!?/")
_LETTERS: Final = frozenset(b"abcdefghijklmnopqrstuvwxyz")
_WS: Final = frozenset(b"\t\n\f\r ")
#: The ``//host/path`` part of every absolute or protocol-relative URL in a tag (with the byte
#: after it when that is one a browser would drop from a URL), for the cheap "harmless?" check.
_URL_TOKEN = re.compile(rb"//[^\t\n\f\r \"'<>,\\]*+[\t\n\r]?")
_URL_BREAKS: Final = frozenset(b"\t\n\r")
_UNKNOWN: Final[object] = object()
_INLINE: Final[object] = object()  # a script whose text decides
_TAG_CACHE_BYTES: Final = 8 * 1024 * 1024
_TAG_CACHE_KEY_BYTES: Final = 4096

#: The end of script data, per sub-state (data, escaped, double escaped), as in the HTML standard.
#: Group 1: an end tag that ends the element (or leaves double escaping); group 2: ``<script``
#: (escaped) or ``</noscript`` (double escaped, inside ``<noscript>``). The data-state patterns
#: start with a literal ``<`` so that the engine can skip through a long script quickly.
_SCRIPT_STATES = (
    re.compile(rb"<(?:(/script)" + _DELIM + rb"|!--)"),
    re.compile(rb"<(?:(/script)" + _DELIM + rb"|(script)" + _DELIM + rb")|-->"),
    re.compile(rb"<(/script)" + _DELIM + rb"|-->"),
)
_SCRIPT_STATES_NS = (
    re.compile(rb"<(?:(/(?:no)?script)" + _DELIM + rb"|!--)"),
    re.compile(rb"<(?:(/(?:no)?script)" + _DELIM + rb"|(script)" + _DELIM + rb")|-->"),
    re.compile(rb"<(?:(/script)|(/noscript))" + _DELIM + rb"|-->"),
)
_RAW_END = {name: re.compile(rb"</" + name + _DELIM) for name in (*_RAW, b"iframe")}
_RAW_END_NS = {
    name: re.compile(rb"</(?:" + name + rb"|noscript)" + _DELIM) for name in (*_RAW, b"iframe")
}  # fmt: skip
#: The longest end token a raw-text search looks for, less one: what is held back between chunks.
_RAW_TAIL: Final = 10

# The exact tag tokenizer, step by step, for a tag longer than the cap (passed through unchanged).
_TAG_NAME, _BEFORE_ATTR, _ATTR_NAME, _AFTER_ATTR_NAME, _BEFORE_VALUE, _DQ, _SQ, _UNQUOTED = range(8)
_NAME_STOP = re.compile(rb"[\t\n\f\r />]")
_ATTR_NAME_STOP = re.compile(rb"[\t\n\f\r />=]")
_NOT_WS = re.compile(rb"[^\t\n\f\r ]")
_NOT_WS_SLASH = re.compile(rb"[^\t\n\f\r /]")
_UNQUOTED_STOP = re.compile(rb"[\t\n\f\r >]")

# --- what the tags mean ---------------------------------------------------------------------------

(
    _KIND_SCRIPT,
    _KIND_MEDIA,
    _KIND_LINK,
    _KIND_IFRAME,
    _KIND_RAW,
    _KIND_PLAIN,
    _KIND_NOSCRIPT,
    _KIND_PAGE,
    _KIND_END,
    _KIND_COMMENT,
    _KIND_DOCTYPE,
) = range(11)
#: What a candidate is, by the bytes after its ``<``.
_KINDS: Final = {
    b"/noscript": _KIND_END,
    b"/head": _KIND_END,
    b"/body": _KIND_END,
    b"!--": _KIND_COMMENT,
    b"!doctype": _KIND_DOCTYPE,
    b"script": _KIND_SCRIPT,
    b"img": _KIND_MEDIA,
    b"source": _KIND_MEDIA,
    b"embed": _KIND_MEDIA,
    b"object": _KIND_MEDIA,
    b"link": _KIND_LINK,
    b"iframe": _KIND_IFRAME,
    b"noscript": _KIND_NOSCRIPT,
    b"plaintext": _KIND_PLAIN,
    **dict.fromkeys(_RAW, _KIND_RAW),
    **dict.fromkeys(_PAGE, _KIND_PAGE),
}
#: The attributes that load something, per element (``srcset`` holds several URLs).
_LOADING: Final = {
    b"img": (b"src", b"srcset"),
    b"source": (b"src", b"srcset"),
    b"embed": (b"src",),
    b"object": (b"data",),
    b"iframe": (b"src",),
    b"link": (b"href",),
    b"script": (b"src",),
}
_PASSIVE_KINDS: Final = (_KIND_MEDIA, _KIND_LINK)
_PRELOAD_RELS: Final = frozenset({"preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload"})
#: Script types a browser runs (compared without parameters: blocking a script that would not
#: have run anyway costs nothing).
_JS_TYPES: Final = frozenset(
    {
        "", "module", "text/javascript", "application/javascript", "application/ecmascript",
        "application/x-ecmascript", "application/x-javascript", "text/ecmascript", "text/jscript",
        "text/livescript", "text/x-ecmascript", "text/x-javascript", "text/javascript1.0",
        "text/javascript1.1", "text/javascript1.2", "text/javascript1.3", "text/javascript1.4",
        "text/javascript1.5",
    }
)  # fmt: skip
_SRCSET_URL = re.compile(rb"(?:^|,)[\t\n\f\r ]*+([^\t\n\f\r ,][^\t\n\f\r ]*+)")
_CAT = b"data-cg-category"
_SVC = b"data-cg-service"

# Processing states of a Rewriter.
_DATA, _SCRIPT, _RAWTEXT, _PLAINTEXT, _OVER_TAG, _OVER_COMMENT, _OVER_BOGUS = range(7)

#: One parsed attribute: (lower-case name, name start, name end, value start, value end); the value
#: span includes the quotes and is (-1, -1) when the attribute has no value.
_Attr = tuple[bytes, int, int, int, int]


class RewritePlan:
    """Everything a rewrite needs that depends only on the gate's configuration; built once.

    ``catalog`` answers which service a URL or an inline snippet belongs to. ``injection`` gives the
    bytes to insert for a CSP nonce (``consentgate.banner_assets.Injection.render``), or None for no
    injection. ``categories`` are the config's categories: a tag explicitly assigned to a category
    not among them is treated as refused (a typo must not let a tag run). ``tag_cap`` and
    ``script_cap`` bound what a rewriter holds back (see the module docstring).
    """

    __slots__ = (
        "_cached_bytes",
        "_inline_bytes",
        "catalog",
        "injection",
        "inline_cache",
        "known",
        "passive_cache",
        "script_cap",
        "tag_cache",
        "tag_cap",
        "url_cache",
    )

    def __init__(
        self,
        catalog: CatalogLike,
        *,
        injection: Callable[[str | None], bytes] | None = None,
        categories: Iterable[str] = (),
        tag_cap: int = TAG_CAP,
        script_cap: int = SCRIPT_CAP,
    ) -> None:
        if tag_cap < 16 or script_cap < 1:
            raise ValueError("tag_cap must be at least 16 and script_cap at least 1.")
        self.catalog = catalog
        self.injection = injection
        self.known = frozenset(categories)
        self.tag_cap = tag_cap
        self.script_cap = script_cap
        #: Answers of ``catalog.match_url`` per attribute value as written (pages repeat their URLs).
        self.url_cache: dict[bytes, ServiceLike | None] = {}
        #: Answers of ``catalog.match_inline`` per script text (the same snippets on every page).
        self.inline_cache: dict[bytes, ServiceLike | None] = {}
        #: The verdict on a start tag by its exact bytes and the blocked categories: pages repeat
        #: their tags, so a tag is judged once (its inert bytes, None to leave it, or _INLINE).
        self.tag_cache: dict[tuple[bytes, frozenset[str]], object] = {}
        #: Whether a passive tag (lower-cased, up to its ``>``) is harmless whatever is blocked.
        self.passive_cache: dict[bytes, bool] = {}
        self._cached_bytes = 0
        self._inline_bytes = 0

    def match_url(self, raw: bytes) -> ServiceLike | None:
        """The service of a URL as written in an attribute (quotes stripped, entities not decoded)."""
        try:
            return self.url_cache[raw]
        except KeyError:
            pass
        service = None
        if b"//" in raw or b"\\" in raw or b"&" in raw:  # else relative: first-party
            url = raw.decode("latin-1")
            if "&" in url:
                url = html.unescape(url)
            service = self.catalog.match_url(url)
        cache = self.url_cache
        if len(raw) <= _TAG_CACHE_KEY_BYTES:
            if len(cache) >= _URL_CACHE_LIMIT:
                cache.clear()
            cache[raw] = service
        return service

    def remember(self, key: tuple[bytes, frozenset[str]], verdict: object) -> None:
        if self._room(len(key[0])):
            self.tag_cache[key] = verdict

    def remember_passive(self, key: bytes, harmless: bool) -> None:
        if self._room(len(key)):
            self.passive_cache[key] = harmless

    def _room(self, size: int) -> bool:
        """Whether a tag of ``size`` bytes may be cached; the tag caches together stay under
        _TAG_CACHE_BYTES (both start over when full)."""
        if size > _TAG_CACHE_KEY_BYTES:
            return False
        self._cached_bytes += size + 64
        if self._cached_bytes > _TAG_CACHE_BYTES:
            self.tag_cache.clear()
            self.passive_cache.clear()
            self._cached_bytes = size + 64
        return True

    def match_inline(self, text: bytes) -> ServiceLike | None:
        """The service whose snippet signature an inline script's text carries."""
        try:
            return self.inline_cache[text]
        except KeyError:
            pass
        service = self.catalog.match_inline(text.decode("latin-1"))
        if self._inline_bytes + len(text) > _INLINE_CACHE_BYTES:
            self.inline_cache.clear()
            self._inline_bytes = 0
        self.inline_cache[text] = service
        self._inline_bytes += len(text)
        return service


def rewrite(
    plan: RewritePlan,
    blocked: Iterable[str],
    document: bytes,
    *,
    nonce: str | None = None,
    nonce_from_page: bool = True,
) -> bytes:
    """Rewrite a whole document at once (the same result as feeding it in any chunks)."""
    rewriter = Rewriter(plan, blocked, nonce=nonce, nonce_from_page=nonce_from_page)
    return rewriter.feed(document) + rewriter.finish()


class Rewriter:
    """One response's rewrite. ``feed`` each chunk of the body, then call ``finish`` once.

    ``blocked`` are the categories whose tags are made inert. ``nonce`` is the response's CSP
    nonce from its header, if known; with ``nonce_from_page`` the nonce of the page's first script
    wins (it is the one the page's CSP allows). Never raises on any input and never drops a byte.
    ``record``, for tests and diagnostics, receives ``(name, start, end)`` of every start tag the
    scanner recognized among the candidates (offsets in the whole input).
    """

    __slots__ = (
        "_backslash",
        "_base",
        "_blocked",
        "_cand",
        "_clean_end",
        "_emit",
        "_extra",
        "_extra_len",
        "_finished",
        "_held",
        "_in_noscript",
        "_injected",
        "_injection",
        "_nonce",
        "_nonce_from_page",
        "_out",
        "_over",
        "_page_seen",
        "_pend_body",
        "_pend_scan",
        "_pending",
        "_plan",
        "_raw_end",
        "_record",
        "_skip",
        "_state",
        "_sub",
        "_tag_state",
        "_view",
    )

    def __init__(
        self,
        plan: RewritePlan,
        blocked: Iterable[str],
        *,
        nonce: str | None = None,
        nonce_from_page: bool = True,
        record: list[tuple[bytes, int, int]] | None = None,
    ) -> None:
        self._plan = plan
        self._record = record
        self._base = 0
        self._backslash = False
        self._blocked = frozenset(blocked)
        self._nonce = nonce or None
        self._nonce_from_page = nonce_from_page
        self._injection = plan.injection
        self._injected = plan.injection is None
        self._cand = _CAND_POST if self._injected else _CAND_PRE
        self._skip = _SKIP_POST if self._injected else _SKIP_PRE
        self._page_seen = False
        self._in_noscript = False
        self._held = b""
        self._extra: list[bytes] = []
        self._extra_len = 0
        self._state = _DATA
        self._sub = 0  # script data sub-state: 0 data, 1 escaped, 2 double escaped
        self._raw_end: re.Pattern[bytes] = _RAW_END[b"style"]
        self._pending = False  # an inline script held back until its text is known
        self._pend_body = 0
        self._pend_scan = 0
        self._tag_state = _TAG_NAME
        self._over: tuple[bytes, bool] = (b"", False)  # (name, is end tag) of a tag over the cap
        self._out: list[bytes | memoryview] = []
        self._view = memoryview(b"")
        self._emit = 0
        self._finished = False
        self._clean_end = False

    # --- the public surface ------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> bytes:
        """The rewritten bytes that can be released after ``chunk`` (possibly empty)."""
        if self._finished:
            raise RuntimeError("Rewriter.feed() called after finish().")
        if not chunk:
            return b""
        if self._state == _PLAINTEXT and not self._held:
            return bytes(chunk)
        held = self._held
        if held:
            # A construct held back only completes with a '>': a big one fed in small pieces
            # without one waits, so that re-reading it stays linear in its size.
            if len(held) > 8192 and b">" not in chunk and (self._extra_len + len(chunk)) * 8 < len(held):
                self._extra.append(bytes(chunk))
                self._extra_len += len(chunk)
                return b""
            if self._extra:
                held += b"".join(self._extra)
                self._extra.clear()
                self._extra_len = 0
            data = held + chunk
        else:
            data = bytes(chunk)
        return self._process(data, False)

    def finish(self) -> bytes:
        """Everything still held back, then the injection if the page had no place for it."""
        if self._finished:
            return b""
        data = self._held + b"".join(self._extra)
        self._extra.clear()
        self._clean_end = self._state == _DATA
        out = self._process(data, True) if data else b""
        self._finished = True
        if (
            not self._injected
            and self._page_seen
            and self._clean_end
            and not self._in_noscript
            and self._injection is not None
        ):
            self._injected = True
            out += self._injection(self._nonce)
        return out

    # --- the driver ------------------------------------------------------------------------------

    def _process(self, data: bytes, final: bool) -> bytes:
        low = data.lower()
        n = len(data)
        out: list[bytes | memoryview] = []
        self._out = out
        self._backslash = b"\\" in low
        self._view = memoryview(data)
        self._emit = 0
        pos = 0
        while True:
            state = self._state
            if state == _DATA:
                pos, stop = self._data(data, low, pos, n, final)
            elif state == _SCRIPT:
                pos, stop = self._script(data, low, pos, n, final)
            elif state == _RAWTEXT:
                m = self._raw_end.search(low, pos)
                if m is not None:
                    self._state = _DATA
                    pos, stop = m.start(), False
                else:
                    pos, stop = (n if final else max(pos, n - _RAW_TAIL)), True
            elif state == _PLAINTEXT:
                pos, stop = n, True
            elif state == _OVER_TAG:
                end, self._tag_state = _tag_end(low, pos, n, self._tag_state)
                if end >= 0:
                    self._state = _DATA
                    self._after_tag(*self._over)
                    pos, stop = end, False
                else:
                    pos, stop = n, True
            elif state == _OVER_COMMENT:
                end = _comment_close(low, pos, n)
                if end >= 0:
                    self._state = _DATA
                    pos, stop = end, False
                else:
                    pos, stop = (n if final else max(pos, n - 3)), True
            else:  # _OVER_BOGUS
                end = low.find(b">", pos)
                if end >= 0:
                    self._state = _DATA
                    pos, stop = end + 1, False
                else:
                    pos, stop = n, True
            if stop:
                break
        if final:
            # The injection may only go at the very end of a page that ends in data state.
            self._clean_end = self._state == _DATA and pos >= n
            pos = n
        emit = self._emit
        self._held = data[pos:]
        self._base += pos
        self._out = []
        if emit == 0 and not out:
            self._view.release()
            return data if pos == n else data[:pos]
        out.append(self._view[emit:pos])
        result = b"".join(out)
        self._view.release()
        return result

    def _hold_or_pass(self, data: bytes, low: bytes, k: int, n: int, final: bool) -> tuple[int, bool]:
        """The construct at ``k`` (in data state) is not complete in the buffer: hold it back, or,
        when it is longer than the cap, let it through unchanged and follow it step by step."""
        if final or n - k <= self._plan.tag_cap:
            return k, True
        if low.startswith(b"<!--", k):
            self._state = _OVER_COMMENT
            return n - 3, True
        second = low[k + 1]
        if second == 47:  # '/'
            is_end, start = True, k + 2
            if low[start] not in _LETTERS:
                self._state = _OVER_BOGUS
                return n, True
        elif second in b"!?":
            if low.startswith(b"<!doctype", k):
                self._page_seen = True
            self._state = _OVER_BOGUS
            return n, True
        else:
            is_end, start = False, k + 1
        stop = _NAME_STOP.search(low, start, n)
        name = low[start : stop.start()] if stop is not None else b""
        _end, self._tag_state = _tag_end(low, start, n, _TAG_NAME)
        self._state = _OVER_TAG
        self._over = (name, is_end)
        self._before_big_tag(k, name, is_end)
        return n, True

    # --- data state --------------------------------------------------------------------------------

    def _data(self, data: bytes, low: bytes, pos: int, n: int, final: bool) -> tuple[int, bool]:
        # ``pos`` is the last position known to be in data state, ``at`` where the search goes on:
        # a harmless img/source/link/embed/object changes no state, so it is passed over without
        # asking whether it really is a tag (it may sit inside another tag's attribute value).
        cand = self._cand
        find = low.find
        kinds = _KINDS
        tag_cap = self._plan.tag_cap
        quick = self._record is None
        passed = self._plan.passive_cache
        at = pos
        while True:
            m = cand.search(low, at)
            if m is None:
                c = _tail(low, pos, n, self._skip)
                if c >= n:
                    return n, True
                m = cand.match(low, c)
                if m is None:
                    return self._hold_or_pass(data, low, c, n, final)
            else:
                c = m.start()
                if quick and kinds[low[c + 1 : m.end()]] in _PASSIVE_KINDS:
                    g = find(b">", c)
                    if g >= 0:
                        # The verdict depends on these bytes only, and pages repeat their tags.
                        key = low[c:g]
                        harmless = passed.get(key)
                        if harmless is None:
                            harmless = not _maybe_quoted(low, c, g) and not self._may_load_third_party(
                                low, c, g
                            )
                            self._plan.remember_passive(key, harmless)
                        if harmless:
                            at = g + 1
                            continue
                if not _in_data(low, pos, c):
                    # Not sure: the exact tokenizer reads from pos up to c.
                    e = self._skip.match(low, pos, c).end()  # type: ignore[union-attr]
                    if e < c:  # c is inside the construct that starts at e
                        m = cand.match(low, e)
                        if m is None:
                            end = _construct_end(low, e, n)
                            if end < 0:
                                return self._hold_or_pass(data, low, e, n, final)
                            pos = at = end
                            continue
                        c = e
            # m is a candidate at c, and c is in data state.
            name_end = m.end()
            name = low[c + 1 : name_end]
            kind = kinds[name]
            if kind >= _KIND_END:
                pos, stop = self._other(data, low, c, name_end, name, kind, n, final)
                if stop or self._state != _DATA:
                    return pos, stop
                at = pos
                continue
            tag_end = _tag_close(low, c, name_end, n)
            if tag_end < 0:
                return self._hold_or_pass(data, low, c, n, final)
            if self._record is not None:
                self._record.append((name, self._base + c, self._base + tag_end))
            if tag_end - c > tag_cap:
                self._before_big_tag(c, name, False)
                self._after_tag(name, False)
            elif kind == _KIND_SCRIPT:
                pos, stop = self._script_tag(data, low, c, name_end, tag_end, n, final)
                if stop or self._state != _DATA:
                    return pos, stop
                at = pos
                continue
            else:
                if kind <= _KIND_IFRAME and self._may_load_third_party(low, c, tag_end):
                    self._loader_tag(data, low, c, name_end, tag_end, name)
                if kind > _KIND_LINK:
                    self._after_tag(name, False)
            pos = at = tag_end
            if self._state != _DATA:
                if self._state != _RAWTEXT:
                    return pos, False
                # The end of <style>, <title>, <iframe>...: usually right here in the buffer.
                found = self._raw_end.search(low, pos)
                if found is None:
                    return pos, False
                self._state = _DATA
                pos = at = found.start()

    def _other(
        self, data: bytes, low: bytes, c: int, name_end: int, name: bytes, kind: int, n: int, final: bool
    ) -> tuple[int, bool]:
        """A candidate that is not a start tag: ``</noscript>``, ``</head>``, ``</body>``, a
        comment or the doctype."""
        if kind == _KIND_END:
            tag_end = _tag_close(low, c, name_end, n)
            if tag_end < 0:
                return self._hold_or_pass(data, low, c, n, final)
            name = name[1:]
            if tag_end - c > self._plan.tag_cap:
                self._before_big_tag(c, name, True)
            elif name != b"noscript" and not self._injected and not self._in_noscript:  # </head>, </body>
                self._inject(c, self._nonce)
            self._after_tag(name, True)
            return tag_end, False
        if kind == _KIND_COMMENT:
            end = _comment_end(low, c, n)
        else:  # <!doctype
            self._page_seen = True
            end = low.find(b">", c) + 1 or -1
        if end < 0:
            return self._hold_or_pass(data, low, c, n, final)
        return end, False

    def _after_tag(self, name: bytes, is_end: bool) -> None:
        """The tokenizer state and the flags a start or end tag leaves behind."""
        if is_end:
            if name == b"noscript":
                self._in_noscript = False
            return
        kind = _KINDS.get(name)
        if kind is None or kind in (_KIND_MEDIA, _KIND_LINK):
            return
        if kind == _KIND_SCRIPT:
            self._state = _SCRIPT
            self._sub = 0
            self._pending = False
        elif kind in (_KIND_RAW, _KIND_IFRAME):
            self._state = _RAWTEXT
            self._raw_end = (_RAW_END_NS if self._in_noscript else _RAW_END)[name]
        elif kind == _KIND_NOSCRIPT:
            self._in_noscript = True
        elif kind == _KIND_PLAIN:
            self._state = _PLAINTEXT
        else:  # <html>, <head>, <body>
            self._page_seen = True

    def _before_big_tag(self, c: int, name: bytes, is_end: bool) -> None:
        """A tag over the cap passes unchanged; it still marks the place of the injection."""
        if self._injected or self._in_noscript:
            return
        if (is_end and name in (b"head", b"body")) or (not is_end and name == b"script"):
            self._inject(c, self._nonce)

    # --- the tags --------------------------------------------------------------------------------

    def _may_load_third_party(self, low: bytes, c: int, end: int) -> bool:
        """False when the tag in ``low[c:end]`` surely names no URL of a catalog service and no
        explicit category: then its attributes need not be parsed. Every URL the catalog can match
        holds ``//`` (or a backslash, or an entity for ``/``), and the catalog answers per
        ``//host/path`` token as it would for the whole URL."""
        if (self._backslash and low.find(b"\\", c, end) >= 0) or low.find(b"&", c, end) >= 0:
            return True
        if low.find(b"data-cg-", c, end) >= 0:
            return True
        cache = self._plan.url_cache
        for token in _URL_TOKEN.findall(low, c, end):
            service = cache.get(token, _UNKNOWN)
            if service is _UNKNOWN:
                service = self._plan.match_url(token)
            if service is not None or token[-1] in _URL_BREAKS:
                return True
        return False

    def _loader_tag(self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, name: bytes) -> None:
        key = (data[c:tag_end], self._blocked)
        new = self._plan.tag_cache.get(key, _UNKNOWN)
        if new is _UNKNOWN:
            new = self._judge_loader(data, low, c, name_end, tag_end, name)
            self._plan.remember(key, new)
        if new is not None:
            self._replace(c, tag_end, new)  # type: ignore[arg-type]

    def _judge_loader(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, name: bytes
    ) -> bytes | None:
        """The inert form of an img/source/iframe/embed/object/link tag, or None to leave it."""
        attrs = _attributes(low, name_end, tag_end - 1)
        category = _explicit(data, attrs)
        if category == "necessary":
            return None
        loading = _LOADING[name]
        present = [a for a in attrs if a[0] in loading]
        if not present:
            return None
        if name == b"link" and category is None:
            rel = _first(data, attrs, b"rel")
            if rel is None or _PRELOAD_RELS.isdisjoint(rel.decode("latin-1").lower().split()):
                return None
        first: ServiceLike | None = None  # the first service named (for data-cg-service)
        refused: ServiceLike | None = None  # the first one of a blocked category
        for attr in present:
            value = _value(data, attr)
            urls = [u.rstrip(b",") for u in _SRCSET_URL.findall(value)] if attr[0] == b"srcset" else [value]
            for url in urls:
                found = self._plan.match_url(url)
                if found is not None:
                    first = first or found
                    if self._blocks(found.category):
                        refused = found
                        break
            if refused is not None:
                break
        if category is None:
            if refused is None:
                return None
            category = refused.category
        elif not self._blocks(category):
            return None
        renames = frozenset(a[0] for a in present)
        return _inert(data, c, name_end, tag_end, attrs, renames, category, refused or first)

    def _script_tag(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, n: int, final: bool
    ) -> tuple[int, bool]:
        attrs: list[_Attr] | None = None
        if not self._injected and self._page_seen and not self._in_noscript:
            attrs = _attributes(low, name_end, tag_end - 1)
            if _runs(data, attrs):
                nonce = self._nonce
                if self._nonce_from_page:
                    page_nonce = _first(data, attrs, b"nonce")
                    if page_nonce:
                        nonce = html.unescape(page_nonce.decode("latin-1")) or nonce
                assert self._injection is not None
                injection = self._injection(nonce)
                if data.startswith(injection, c):  # rewritten before: the injection is already here
                    self._placed()
                    return c + len(injection), False
                if n - c < len(injection) and injection.startswith(data[c:]) and not final:
                    return c, True  # it may be: wait for more
                self._insert(c, injection)
        self._after_tag(b"script", False)
        key = (data[c:tag_end], self._blocked)
        verdict = self._plan.tag_cache.get(key, _UNKNOWN)
        if verdict is _UNKNOWN:
            if attrs is None:
                attrs = _attributes(low, name_end, tag_end - 1)
            verdict = self._judge_script(data, c, name_end, tag_end, attrs)
            self._plan.remember(key, verdict)
        if verdict is not _INLINE:
            if verdict is not None:
                self._replace(c, tag_end, verdict)  # type: ignore[arg-type]
            return self._script_body(low, tag_end, n, final)
        # An inline script: its text decides, so the tag waits for it (up to script_cap bytes).
        end, sub, resume = _script_end(low, tag_end, n, 0, self._in_noscript)
        cap = self._plan.script_cap
        if end < 0 and n - tag_end < cap and not final:
            self._state, self._sub, self._pending = _SCRIPT, sub, True
            self._pend_body, self._pend_scan = tag_end - c, resume - c
            return c, True
        text_end = min(end if end >= 0 else n, tag_end + cap)
        self._judge_inline(data, low, c, name_end, tag_end, text_end)
        if end >= 0:
            self._state = _DATA
            return end, False
        self._sub = sub
        return (n, True) if final else (resume, True)

    def _judge_script(self, data: bytes, c: int, name_end: int, tag_end: int, attrs: list[_Attr]) -> object:
        """The inert form of a script tag, None to leave it, or _INLINE when its text decides."""
        if not _runs(data, attrs):
            return None
        category = _explicit(data, attrs)
        if category == "necessary":
            return None
        src = _first(data, attrs, b"src")
        if category is None and src is None:
            return _INLINE
        service = self._plan.match_url(src) if src is not None else None
        if category is None and service is not None:
            category = service.category
        if category is not None and self._blocks(category):
            return _inert(data, c, name_end, tag_end, attrs, _SCRIPT_RENAMES, category, service)
        return None

    def _script_body(self, low: bytes, start: int, n: int, final: bool) -> tuple[int, bool]:
        """Past a script's text (not held back): to its end tag, or as far as the buffer goes."""
        end, sub, resume = _script_end(low, start, n, 0, self._in_noscript)
        if end >= 0:
            self._state = _DATA
            return end, False
        self._sub = sub
        return (n if final else resume), True

    def _script(self, data: bytes, low: bytes, pos: int, n: int, final: bool) -> tuple[int, bool]:
        if not self._pending:
            end, self._sub, resume = _script_end(low, pos, n, self._sub, self._in_noscript)
            if end >= 0:
                self._state = _DATA
                return end, False
            return (n if final else resume), True
        # The held inline script: the buffer starts at its tag.
        body = self._pend_body
        end, sub, resume = _script_end(low, self._pend_scan, n, self._sub, self._in_noscript)
        cap = self._plan.script_cap
        if end < 0 and n - body < cap and not final:
            self._sub, self._pend_scan = sub, resume
            return 0, True
        self._pending = False
        self._judge_inline(data, low, 0, 7, body, min(end if end >= 0 else n, body + cap))
        if end >= 0:
            self._state = _DATA
            return end, False
        self._sub = sub
        return (n if final else resume), True

    def _judge_inline(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, text_end: int
    ) -> None:
        service = self._plan.match_inline(data[tag_end:text_end])
        if service is not None and self._blocks(service.category):
            attrs = _attributes(low, name_end, tag_end - 1)
            new = _inert(data, c, name_end, tag_end, attrs, _SCRIPT_RENAMES, service.category, service)
            self._replace(c, tag_end, new)

    # --- output ----------------------------------------------------------------------------------

    def _blocks(self, category: str) -> bool:
        if category == "necessary":
            return False
        known = self._plan.known
        return category in self._blocked or (bool(known) and category not in known)

    def _insert(self, at: int, injection: bytes) -> None:
        self._out.append(self._view[self._emit : at])
        self._out.append(injection)
        self._emit = at
        self._placed()

    def _placed(self) -> None:
        """The injection is in: the page markers are no longer candidates."""
        self._injected = True
        self._cand = _CAND_POST
        self._skip = _SKIP_POST

    def _inject(self, at: int, nonce: str | None) -> None:
        if self._page_seen and self._injection is not None:
            self._insert(at, self._injection(nonce))

    def _replace(self, c: int, end: int, new: bytes) -> None:
        """Output ``new`` in place of the input's bytes ``c:end``."""
        self._out.append(self._view[self._emit : c])
        self._out.append(new)
        self._emit = end


def _inert(
    data: bytes,
    c: int,
    name_end: int,
    tag_end: int,
    attrs: list[_Attr],
    renames: frozenset[bytes],
    category: str,
    service: ServiceLike | None,
) -> bytes:
    """The tag ``data[c:tag_end]`` in its inert form: the shared vocabulary (docs/INTERNALS.md)
    added after its name, and ``data-cg-`` put before each of its loading attributes."""
    has_category = has_service = False
    for attr in attrs:
        if attr[0] == _CAT:
            has_category = True
        elif attr[0] == _SVC:
            has_service = True
    service_id = service.id if service is not None and not has_service else None
    key = (b"type" in renames, None if has_category else category, service_id)
    added = _ADDED.get(key)
    if added is None:
        added = _added_attributes(*key)
        if len(_ADDED) < 1024:
            _ADDED[key] = added
    out = [data[c:name_end], added]
    cursor = name_end
    for attr in attrs:
        if attr[0] in renames:  # "src" becomes "data-cg-src": the name keeps its own bytes
            out.append(data[cursor : attr[1]])
            out.append(b"data-cg-")
            cursor = attr[1]
    out.append(data[cursor:tag_end])
    return b"".join(out)


_SCRIPT_RENAMES: Final = frozenset({b"src", b"type"})
#: The attributes an inert tag gets, by (is a script, category to add, service id to add).
_ADDED: dict[tuple[bool, str | None, str | None], bytes] = {}


def _added_attributes(script: bool, category: str | None, service: str | None) -> bytes:
    out = b' type="text/plain"' if script else b""
    if category is not None:
        out += b' data-cg-category="' + _escape(category) + b'"'
    if service is not None:
        out += b' data-cg-service="' + _escape(service) + b'"'
    return out


# --- helpers (pure functions over the lower-cased buffer) ------------------------------------------


def _tag_close(low: bytes, c: int, name_end: int, n: int) -> int:
    """Just after the ``>`` that ends the tag opened at ``c`` (in data state), or -1 when the
    buffer does not hold it. The first ``>`` ends it unless that one is inside a quoted value."""
    g = low.find(b">", name_end, n)
    if g >= 0 and not _maybe_quoted(low, c, g):
        return g + 1
    e = _ATTRS.match(low, name_end).end()  # type: ignore[union-attr]
    return e + 1 if e < n and low[e] == 62 else -1


def _construct_end(low: bytes, e: int, n: int) -> int:
    """Just after the construct (tag, end tag, bogus comment, or a ``<`` of text) that starts at
    ``e`` in data state; -1 when the buffer does not hold all of it."""
    second = low[e + 1] if e + 1 < n else -1
    if second in _OPENERS:
        if second in b"!?" or (second == 47 and (e + 2 >= n or low[e + 2] not in _LETTERS)):
            end = low.find(b">", e)
            return end + 1 if end >= 0 else -1
        start = e + 2 if second == 47 else e + 1
        stop = _NAME_STOP.search(low, start, n)
        return _tag_close(low, e, stop.start(), n) if stop is not None else -1
    return e + 1 if second >= 0 else -1


def _in_data(low: bytes, pos: int, c: int) -> bool:
    """True when ``c`` is surely in the tokenizer's data state, given that ``pos`` is and that no
    candidate starts in between; False means "not sure" (then the exact tokenizer decides).

    The last ``>`` before ``c`` ends whatever construct it is in (a tag, a bogus comment) unless it
    sits inside a quoted attribute value; after it, with no ``<`` up to ``c``, all is text.
    """
    t = low.rfind(b"<", pos, c)
    if t < 0:
        return True
    r = low.rfind(b">", t, c)
    return r >= 0 and not _maybe_quoted(low, pos, r)


def _maybe_quoted(low: bytes, pos: int, r: int) -> bool:
    """False when position ``r`` is surely not inside a quoted attribute value of a tag that
    started at or after ``pos`` (``pos`` being in data state).

    Inside a quoted value, the last quote of its kind before ``r`` is the one that opened it, and
    only ``=`` and whitespace can stand before an opening quote.
    """
    for quote in b'"', b"'":
        q = low.rfind(quote, pos, r)
        if q > pos:
            q -= 1
            while q > pos and low[q] in _WS:
                q -= 1
            if low[q] == 61:  # '='
                return True
    return False


def _tail(low: bytes, pos: int, n: int, skip: re.Pattern[bytes]) -> int:
    """Where the buffer's unfinished tail starts (``n`` if it ends in data state); no candidate
    starts in ``[pos, n)``."""
    t = low.rfind(b"<", pos, n)
    if t < 0:
        return n
    if t + 1 == n or low[t + 1] in _OPENERS:  # else a '<' of text: let the exact path judge
        r = low.rfind(b">", t, n)
        if r >= 0:
            if not _maybe_quoted(low, pos, r):
                return n
        elif _in_data(low, pos, t):
            return t
    return skip.match(low, pos).end()  # type: ignore[union-attr]


def _comment_end(low: bytes, c: int, n: int) -> int:
    """The end of the comment opened at ``c`` (``<!--``), or -1 when the buffer does not hold it."""
    if n - c < 6:
        if n - c == 5 and low[c + 4] == 62:
            return c + 5
        return -1
    if low[c + 4] == 62:  # <!-->
        return c + 5
    if low[c + 4] == 45 and low[c + 5] == 62:  # <!--->
        return c + 6
    return _comment_close(low, c + 4, n)


def _comment_close(low: bytes, start: int, n: int) -> int:
    """Just after the first ``-->`` or ``--!>`` from ``start``, or -1."""
    a = low.find(b"-->", start, n)
    b = low.find(b"--!>", start, a if a >= 0 else n)
    if b >= 0:
        return b + 4
    return a + 3 if a >= 0 else -1


def _script_end(low: bytes, i: int, n: int, sub: int, noscript: bool) -> tuple[int, int, int]:
    """Find the end tag of script data from ``i`` in sub-state ``sub``.

    Returns ``(end, sub, resume)``: ``end`` is where ``</script`` (or, inside ``<noscript>``,
    ``</noscript``) starts, or -1; then ``sub`` is the state at ``resume``, from where the search
    must go on once more bytes arrive.
    """
    states = _SCRIPT_STATES_NS if noscript else _SCRIPT_STATES
    while True:
        m = states[sub].search(low, i, n)
        if m is None:
            return -1, sub, max(i, n - _RAW_TAIL)
        if m.group(1) is not None:  # </script (ends it, but only toggles double escaping)
            if sub != 2:
                return m.start(), sub, m.start()
            sub, i = 1, m.end()
        elif sub == 0:  # <!--
            sub, i = 1, m.start() + 2
        elif sub == 1 and m.group(2) is not None:  # <script
            sub, i = 2, m.end()
        elif sub == 2 and m.lastindex == 2:  # </noscript inside double escaping
            return m.start(), sub, m.start()
        else:  # -->
            sub, i = 0, m.end()


def _tag_end(low: bytes, i: int, n: int, state: int) -> tuple[int, int]:
    """Follow the HTML tokenizer through a tag from ``state`` at ``i``: ``(end, state)`` with
    ``end`` just after the closing ``>``, or -1 and the state at ``n``."""
    while i < n:
        if state in (_TAG_NAME, _ATTR_NAME):
            m = (_NAME_STOP if state == _TAG_NAME else _ATTR_NAME_STOP).search(low, i, n)
            if m is None:
                return -1, state
            j = m.start()
            ch = low[j]
            i = j + 1
            if ch == 62:
                return i, state
            if ch == 61:
                state = _BEFORE_VALUE
            elif ch == 47 or state == _TAG_NAME:
                state = _BEFORE_ATTR
            else:
                state = _AFTER_ATTR_NAME
        elif state in (_BEFORE_ATTR, _AFTER_ATTR_NAME):
            m = (_NOT_WS_SLASH if state == _BEFORE_ATTR else _NOT_WS).search(low, i, n)
            if m is None:
                return -1, state
            j = m.start()
            ch = low[j]
            i = j + 1
            if ch == 62:
                return i, state
            if state == _AFTER_ATTR_NAME and ch == 61:
                state = _BEFORE_VALUE
            elif ch == 47:
                state = _BEFORE_ATTR
            else:
                state = _ATTR_NAME
        elif state == _BEFORE_VALUE:
            m = _NOT_WS.search(low, i, n)
            if m is None:
                return -1, state
            j = m.start()
            ch = low[j]
            if ch == 62:
                return j + 1, state
            if ch == 34:
                state, i = _DQ, j + 1
            elif ch == 39:
                state, i = _SQ, j + 1
            else:
                state, i = _UNQUOTED, j
        elif state in (_DQ, _SQ):
            j = low.find(b'"' if state == _DQ else b"'", i, n)
            if j < 0:
                return -1, state
            state, i = _BEFORE_ATTR, j + 1
        else:  # _UNQUOTED
            m = _UNQUOTED_STOP.search(low, i, n)
            if m is None:
                return -1, state
            j = m.start()
            i = j + 1
            if low[j] == 62:
                return i, state
            state = _BEFORE_ATTR
    return -1, state


def _attributes(low: bytes, start: int, end: int) -> list[_Attr]:
    out: list[_Attr] = []
    for m in _ATTR.finditer(low, start, end):
        vs, ve = m.span(2)
        out.append((m.group(1), m.start(1), m.end(1), vs, ve))
    return out


def _value(data: bytes, attr: _Attr) -> bytes:
    vs, ve = attr[3], attr[4]
    if vs < 0:
        return b""
    if ve - vs >= 2 and data[vs] in b"\"'":
        return data[vs + 1 : ve - 1]
    return data[vs:ve]


def _first(data: bytes, attrs: list[_Attr], name: bytes) -> bytes | None:
    """The value of the first attribute called ``name`` (browsers ignore later duplicates)."""
    for attr in attrs:
        if attr[0] == name:
            return _value(data, attr)
    return None


def _text(raw: bytes) -> str:
    text = raw.decode("latin-1")
    return html.unescape(text) if "&" in text else text


def _explicit(data: bytes, attrs: list[_Attr]) -> str | None:
    """The site's own ``data-cg-category``, lower-cased; None when absent or empty."""
    raw = _first(data, attrs, _CAT)
    if raw is None:
        return None
    return _text(raw).strip(" \t\n\f\r").lower() or None


def _runs(data: bytes, attrs: list[_Attr]) -> bool:
    """True when a browser would run this script element (by its ``type``/``language``)."""
    kind = _first(data, attrs, b"type")
    if kind is None or not kind.strip(b" \t\n\f\r"):
        language = _first(data, attrs, b"language") if kind is None else None
        if not language:
            return True
        kind = b"text/" + language
    essence = _text(kind).split(";", 1)[0].strip(" \t\n\f\r").lower()
    return essence in _JS_TYPES


def _escape(text: str) -> bytes:
    return html.escape(text, quote=True).encode("utf-8")
