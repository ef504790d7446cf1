"""The rewriter's verdicts on tags, applied: the passive loaders' quick check, the ordinary tags
that name a catalog URL between the candidates, every other start tag, ``<style>`` and ``srcdoc``.

Mixed into :class:`~.rewriter.Rewriter`, whose state it reads (see :mod:`.exact` for the other
part); what a tag *becomes* is decided in :mod:`.loaders` and :mod:`.verdicts`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .attributes import attributes
from .caches import UNKNOWN, VerdictCaches
from .loaders import style_verdict, tag_verdict
from .tokenizer import LETTERS, NAME_STOP, RAW_END, URL_BREAKS, tag_close
from .vocabulary import CATEGORY_ATTR

if TYPE_CHECKING:
    from .plan import RewritePlan

__all__ = ["HOT", "TagPart"]

#: Where HOT can start: it is searched for only there (a regex scan of every byte costs more).
_TRIGGERS = (b"//", b"http:", b"https:", b"&", b"\\", b"data-cg-category", b"srcdoc")

#: What makes an ordinary tag worth a verdict: a ``//host`` URL (group 1: the catalog decides), a
#: scheme without slashes (``http:host``), an entity or backslash that may hide one, the site's
#: explicit category, an ``srcdoc`` document.
HOT = re.compile(
    rb"(//[^\t\n\f\r \"'<>,\\()]*+[\t\n\r]?)|https?:[\t\n\r]*+[^/\\\t\n\r]"
    rb"|&(?:#0*+(?:47|92|58)|#x0*+(?:2f|5c|3a)|sol|bsol|colon)|data-cg-category|srcdoc|\\"
)


class TagPart:
    """Mixed into :class:`~.rewriter.Rewriter`."""

    if TYPE_CHECKING:
        _caches: VerdictCaches
        _plan: RewritePlan
        _blocked: frozenset[str]
        _base_url: str | None
        _depth: int
        _skip: re.Pattern[bytes]
        _triggers: list[Any]

        def _hold_or_pass(self, data: bytes, low: bytes, k: int, n: int, final: bool) -> tuple[int, bool]: ...
        def _replace(self, c: int, end: int, new: bytes) -> None: ...
        def _nested_rewrite(self, document: bytes, depth: int) -> bytes: ...
    else:
        __slots__ = ()

    def _may_load_third_party(self, low: bytes, c: int, end: int) -> bool:
        """False when the tag in ``low[c:end]`` surely names no URL of a catalog service and no
        explicit category: then its attributes need not be parsed. Every URL the catalog can match
        holds ``//``, ``scheme:`` or an entity or backslash (see ``HOT``), and the catalog answers
        per ``//host/path`` token as it would for the whole URL."""
        cache = self._caches.url
        for m in HOT.finditer(low, c, end):
            token = m.group(1)
            if token is None:
                return True
            service = cache.get(token, UNKNOWN)
            if service is UNKNOWN:
                service = self._plan.match_url(token)
            if service is not None or token[-1] in URL_BREAKS:
                return True
        return False

    def _hot(self, data: bytes, low: bytes, start: int, c: int, n: int, final: bool) -> tuple[int, bool]:
        """The ordinary tags in ``[start, c)`` (data state at ``start``, no candidate up to ``c``)
        that name a catalog URL: each gets a verdict. Returns where the search may go on, or the
        start of an unfinished tag to hold back (and True)."""
        cache = self._caches.url
        at = start
        while True:
            p = self._next_trigger(low, at, c)
            if p < 0:
                return c, False
            m = HOT.match(low, p, c)
            if m is None:
                at = p + 1
                continue
            token = m.group(1)
            if token is not None:
                service = cache.get(token, UNKNOWN)
                if service is UNKNOWN:
                    service = self._plan.match_url(token)
                if service is None and token[-1] not in URL_BREAKS:
                    at = m.end()
                    continue
            t = m.start()
            e = self._skip.match(low, start, t).end()  # type: ignore[union-attr]
            if e >= t or low[e + 1] not in LETTERS:  # text, or an end tag or a comment
                at = max(m.end(), e + 1) if e < t else m.end()
                continue
            stop = NAME_STOP.search(low, e + 1, n)
            tag_end = tag_close(low, e, stop.start(), n) if stop is not None else -1
            if tag_end < 0:
                return self._hold_or_pass(data, low, e, n, final)[0], True
            if tag_end - e <= self._plan.tag_cap:
                self._general(data, low, e, stop.start(), tag_end, low[e + 1 : stop.start()], False)  # type: ignore[union-attr]
            start = at = tag_end

    def _next_trigger(self, low: bytes, at: int, end: int) -> int:
        """The first position in ``[at, end)`` where HOT may match, or -1: each trigger's next
        occurrence is found with ``bytes.find`` (C speed) and remembered for this buffer."""
        nxt = self._triggers
        if nxt[0] is not low:
            nxt[:] = [low, *([-1] * len(_TRIGGERS))]
        best = -1
        for i, needle in enumerate(_TRIGGERS, 1):
            p = nxt[i]
            if p < at:
                p = low.find(needle, at)
                nxt[i] = p if p >= 0 else len(low)
                p = nxt[i]
            if p < end and (best < 0 or p < best):
                best = p
        return best

    def _loader_tag(self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, name: bytes) -> None:
        self._general(data, low, c, name_end, tag_end, name, False)

    def _general(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, name: bytes, foreign: bool
    ) -> None:
        """Any start tag but an HTML script's: its verdict (cached by its bytes), applied."""
        key = (data[c:tag_end], self._blocked, self._base_url, foreign)
        new = self._caches.tag.get(key, UNKNOWN)
        if new is UNKNOWN:
            attrs = attributes(low, name_end, tag_end - 1)
            new = tag_verdict(
                self._plan, self._blocked, data, c, name_end, tag_end, name, attrs,
                foreign=foreign, base=self._base_url, nested=self._nested, depth=self._depth,
            )  # fmt: skip
            self._caches.remember_tag(key, new)
        if new is not None:
            self._replace(c, tag_end, new)  # type: ignore[arg-type]

    def _nested(self, document: bytes, depth: int) -> str | None:
        """The category of what an ``srcdoc`` document would load that is refused, if anything."""
        out = self._nested_rewrite(document, depth)
        if out == document:
            return None
        at = out.find(CATEGORY_ATTR + b'="')
        if at < 0:
            return "unclassified"
        start = at + len(CATEGORY_ATTR) + 2
        return out[start : out.find(b'"', start)].decode("utf-8", "replace")

    def _style_tag(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, n: int, final: bool
    ) -> bool:
        """A ``<style>`` whose CSS fetches a refused URL is made inert (else its attributes get the
        verdict of any tag). True: its text is not all here yet, hold the tag back."""
        m = RAW_END[b"style"].search(low, tag_end)
        if m is None and not final and n - tag_end < self._plan.script_cap:
            return True
        text_end = min(m.start() if m is not None else n, tag_end + self._plan.script_cap)
        new = style_verdict(
            self._plan, self._blocked, data, low, c, name_end, tag_end, text_end, self._base_url
        )
        if new is not None:
            self._replace(c, tag_end, new)
        elif self._base_url is not None or self._may_load_third_party(low, c, tag_end):
            self._general(data, low, c, name_end, tag_end, b"style", False)
        return False
