"""The plan's bounded memory of answers: pages repeat their URLs, snippets and tags.

A site serves the same pages again and again, so the catalog's answer for a URL or an inline
script, and the verdict on a whole start tag, are kept and reused. Every cache is bounded: when
one is full it starts over (cheaper than tracking recency, and the working set refills at once).
"""

from __future__ import annotations

from typing import Final, TypeVar

from .catalog_protocol import ServiceLike

__all__ = ["UNKNOWN", "TagKey", "VerdictCaches"]

#: A tag's verdict depends on its bytes, the blocked categories, the page's ``<base href>`` and
#: whether it is an SVG/MathML element.
TagKey = tuple[bytes, frozenset[str], str | None, bool]

#: What a cache lookup gives for a key it does not hold (None is an answer: "no service").
UNKNOWN: Final[object] = object()
_URL_LIMIT: Final = 4096
_K = TypeVar("_K")
_V = TypeVar("_V")
_INLINE_BYTES: Final = 4 * 1024 * 1024
_TAG_BYTES: Final = 8 * 1024 * 1024
#: A URL or tag longer than this is not kept (an inline data: URI, say).
_KEY_BYTES: Final = 4096
#: What an entry of the tag caches counts for beyond its key's bytes.
_ENTRY_OVERHEAD: Final = 64


class VerdictCaches:
    """The caches of one :class:`~.plan.RewritePlan` (so of one configuration).

    ``url``: the catalog's answer per URL as written in an attribute. ``inline``: its answer per
    inline script text. ``text_url``: its answer per decoded URL and ``<base href>``. ``tag``: the verdict on a start tag by its exact bytes and the blocked
    categories, the base URL and the namespace (its inert bytes, None to leave it, or the verdicts' ``INLINE``). ``style``:
    the verdict on a ``<style>`` by its tag and text (up to ``script_cap``). ``passive``:
    whether a passive tag (lower-cased, up to its ``>``) is harmless whatever is blocked. ``quiet``:
    whether an ``<svg>``/``<math>`` element (lower-cased, whole) is plain markup. The
    dictionaries are read directly on the hot path; entries go in through the ``remember_*``
    methods, which keep the bounds.
    """

    __slots__ = (
        "_inline_bytes",
        "_style_bytes",
        "_tag_bytes",
        "host",
        "inline",
        "passive",
        "quiet",
        "style",
        "tag",
        "text_url",
        "url",
    )

    def __init__(self) -> None:
        self.url: dict[bytes, ServiceLike | None] = {}
        self.host: dict[bytes, object] = {}
        self.text_url: dict[tuple[str, str | None], ServiceLike | None] = {}
        self.inline: dict[bytes, ServiceLike | None] = {}
        self.tag: dict[TagKey, object] = {}
        self.passive: dict[bytes, bool] = {}
        self.quiet: dict[bytes, bool] = {}
        self.style: dict[TagKey, bytes | None] = {}
        self._inline_bytes = 0
        self._style_bytes = 0
        self._tag_bytes = 0

    def remember_url(self, raw: bytes, service: ServiceLike | None) -> None:
        _keep(self.url, raw, len(raw), service)

    def remember_host(self, host: bytes, answer: object) -> None:
        _keep(self.host, host, len(host), answer)

    def remember_text_url(self, key: tuple[str, str | None], service: ServiceLike | None) -> None:
        _keep(self.text_url, key, len(key[0]), service)

    def remember_inline(self, text: bytes, service: ServiceLike | None) -> None:
        if self._inline_bytes + len(text) > _INLINE_BYTES:
            self.inline.clear()
            self._inline_bytes = 0
        self.inline[text] = service
        self._inline_bytes += len(text)

    def remember_style(self, key: TagKey, verdict: bytes | None) -> None:
        if self._style_bytes + len(key[0]) > _INLINE_BYTES:
            self.style.clear()
            self._style_bytes = 0
        self.style[key] = verdict
        self._style_bytes += len(key[0]) + _ENTRY_OVERHEAD

    def remember_tag(self, key: TagKey, verdict: object) -> None:
        if self._room(len(key[0])):
            self.tag[key] = verdict

    def remember_passive(self, key: bytes, harmless: bool) -> None:
        if self._room(len(key)):
            self.passive[key] = harmless

    def remember_quiet(self, key: bytes, quiet: bool) -> None:
        if self._room(len(key)):
            self.quiet[key] = quiet

    def _room(self, size: int) -> bool:
        """Whether a tag of ``size`` bytes may be kept; the tag caches together stay under
        _TAG_BYTES (all start over when full)."""
        if size > _KEY_BYTES:
            return False
        self._tag_bytes += size + _ENTRY_OVERHEAD
        if self._tag_bytes > _TAG_BYTES:
            self.tag.clear()
            self.passive.clear()
            self.quiet.clear()
            self._tag_bytes = size + _ENTRY_OVERHEAD
        return True


def _keep(cache: dict[_K, _V], key: _K, size: int, value: _V) -> None:
    """``value`` kept under ``key`` (of ``size`` bytes, not kept over _KEY_BYTES) in a cache
    bounded by its count, _URL_LIMIT: full, it starts over."""
    if size <= _KEY_BYTES:
        if len(cache) >= _URL_LIMIT:
            cache.clear()
        cache[key] = value
