"""The rewriter's verdicts on tags, applied: the passive loaders' quick check, the ordinary tags
that name a catalog URL between the candidates, every other start tag, ``<style>`` and ``srcdoc``.

Mixed into :class:`~.rewriter.Rewriter`, whose state it reads (see :mod:`.exact` for the other
part); what a tag *becomes* is decided in :mod:`.loaders` and :mod:`.verdicts`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from .attributes import attributes
from .caches import UNKNOWN, VerdictCaches
from .data_frames import FRAME_SOURCES, FRAME_START, frame_verdict, may_hold_data_frame, refused_category
from .loaders import style_verdict, tag_verdict
from .preload_scan import DATA_SCHEME, unscanned_style
from .tokenizer import LETTERS, NAME_STOP, RAW_END, URL_BREAKS, tag_close
from .vocabulary import CATEGORY_ATTR

if TYPE_CHECKING:
    from .plan import RewritePlan

__all__ = ["HOT", "TagPart", "next_trigger"]

#: Browsers drop tabs and newlines anywhere in a URL: HOT lets them stand between the bytes it
#: looks for.
_WS = rb"[\t\n\r]*+"

#: A scheme (tabs and newlines may stand inside) that no ``//`` follows: ``http:host``, ``http:/host``.
_SLASHLESS_SRC = (
    rb"h" + _WS + b"t" + _WS + b"t" + _WS + b"p" + _WS + b"(?:s" + _WS + b")?:(?!" + _WS + b"/" + _WS + b"/)"
)
#: What makes an ordinary tag worth a verdict: a ``//host`` URL (group 1: the catalog decides), a
#: scheme not followed by ``//`` (``http:host``, ``http:/host``), a character reference that may
#: spell one (a slash, backslash, colon, tab, newline or a letter of ``https``), a backslash, the
#: site's explicit category, an ``srcdoc`` document, a frame's (or a link's) tag with ``data:`` or a
#: reference in it (its ``data:`` URL may be a document or a style sheet: :mod:`.data_frames`; a
#: base64 one holds none of the rest).
HOT = re.compile(
    rb"(/"
    + _WS
    + rb"/[^\t\n\f\r \"'<>,\\()]*+[\t\n\r]?)|"
    + _SLASHLESS_SRC
    + rb"|&(?:#0*+(?:47|92|58|9|10|13|104|116|112|115|72|84|80|83)(?![0-9])"
    rb"|#x0*+(?:2f|5c|3a|9|a|d|68|74|70|73|48|54|50|53)(?![0-9a-f])|sol|bsol|colon|tab|newline)"
    rb"|data-cg-category|srcdoc|\\"
    rb"|<(?:i?frame|object|embed|link)[\t\n\f\r />](?s:.)*?(?:d[\t\n\r]*+a[\t\n\r]*+t[\t\n\r]*+a[\t\n\r]*+:|&)"
)
#: Where HOT may match in an ordinary tag (not a candidate: an ``srcdoc`` only matters on an
#: ``<iframe>``, which is one), as separate searches that each start with a literal byte, so that
#: the regex engine skims to it at C speed: ``//`` (and ``/`` tab ``/``), a character reference
#: that may spell a URL's bytes, the ``:`` after a scheme that no ``//`` follows; and with
#: ``bytes.find``, a backslash and the explicit category.
_SLASHES = re.compile(rb"/" + _WS + rb"/")
_REFERENCE = re.compile(rb"&(?:#|sol|bsol|colon|tab|newline)")
_SCHEME_COLON = re.compile(rb":(?<=[ps\t\n\r]:)(?!" + _WS + b"/" + _WS + b"/)")
#: HOT's scheme alternative alone (it starts with a literal byte too).
_SLASHLESS = re.compile(_SLASHLESS_SRC)
#: A named character reference other than ``&amp;`` in a lower-cased URL token: names are
#: case-sensitive (``&NewLine;``, ``&ImaginaryI;``), so the catalog cannot be asked about the
#: lower-cased token; the tag gets a verdict on its own bytes.
_NAMED_REF = re.compile(rb"&(?!amp;)[a-z][a-z0-9]*+;")
#: A ``//host`` token's part up to its path, query or fragment.
_HOST_PART = re.compile(rb"/[\t\n\r]*+/[^/?#\\]*+")


def _undecided(token: bytes) -> bool:
    """True when a ``//host`` token's answer from the catalog does not settle its tag: it ends in a
    byte a browser drops (the URL may go on), holds a named reference, or bytes that are not ASCII
    before its path (in a legacy encoding they may spell a host the catalog knows: fullwidth
    letters)."""
    # (bytes' "in" first tries the needle as an integer: find is half the cost, per URL of a page)
    return (
        token[-1] in URL_BREAKS
        or (token.find(b"&") >= 0 and _NAMED_REF.search(token) is not None)
        or (not token.isascii() and not _HOST_PART.match(token).group().isascii())  # type: ignore[union-attr]
    )


#: Bytes skimmed per lead byte that did not start a match, below which :func:`_sparse_search` hands
#: over to the regex engine (a Python step per lead byte costs about what it spends on 300 bytes),
#: once that many (_FREE) have been stepped over.
_SPARSE: Final = 256
_FREE: Final = 8


def _sparse_search(low: bytes, at: int, lead: bytes, pattern: re.Pattern[bytes]) -> int:
    """Where ``pattern`` (whose matches start with the byte ``lead``) first matches from ``at`` on,
    or -1: ``bytes.find`` skims to each ``lead`` at memchr speed, where the regex engine steps
    byte by byte, while they are sparse; where they are dense, the regex engine goes on."""
    p = low.find(lead, at)
    misses = 0
    while p >= 0 and pattern.match(low, p) is None:
        misses += 1
        if misses > _FREE and p - at < misses * _SPARSE:
            m = pattern.search(low, p + 1)
            return m.start() if m is not None else -1
        p = low.find(lead, p + 1)
    return p


def next_trigger(low: bytes, at: int, memo: list[Any], frames: bool = True) -> int:
    """The first position from ``at`` on where HOT may match in an ordinary tag (or the ``:`` of
    a scheme, or the ``<`` of a frame's start tag), ``len(low)`` if none: every match of HOT but
    ``srcdoc`` holds one, so that whoever stops there reads every tag HOT would flag. ``memo``
    keeps each search's next hit for the buffer (``[low, ...]``; any list to start), so that the
    buffer is skimmed once per search while ``at`` does not go back.

    ``frames=False`` leaves out the frames' start tags (a search that stops at every ``<`` of the
    page, the most of this one's cost): in the rewriter's fast data mode an ``<iframe>``,
    ``<object>`` and ``<embed>`` are candidates judged as such, and a ``<frame>`` does nothing
    outside a frameset (whose ``<frameset>`` turns the exact mode on for good, which looks for them)."""
    size = len(low)
    if not memo or memo[0] is not low:
        memo[:] = [low, -1, -1, -1, -1, -1, -1]
    best = size
    p = memo[1]
    if p < at:
        m = _SLASHES.search(low, at)
        p = memo[1] = m.start() if m is not None else size
    if p < best:
        best = p
    p = memo[2]
    if p < at:
        p = memo[2] = _sparse_search(low, at, b"&", _REFERENCE) % (size + 1)
    if p < best:
        best = p
    p = memo[3]
    if p < at:
        m = _SCHEME_COLON.search(low, at)
        p = memo[3] = m.start() if m is not None else size
    if p < best:
        best = p
    p = memo[4]
    if p < at:
        p = memo[4] = low.find(b"\\", at) % (size + 1)
    if p < best:
        best = p
    p = memo[5]
    if p < at:
        p = memo[5] = low.find(CATEGORY_ATTR, at) % (size + 1)
    if p < best:
        best = p
    if frames:
        p = memo[6]
        if p < at:
            m = FRAME_START.search(low, at)
            p = memo[6] = m.start() if m is not None else size
        if p < best:
            best = p
    return best


#: A scheme (``http:``, ``https:``, tabs and newlines allowed inside) in lower-cased text.
_SCHEME = re.compile(rb"h" + _WS + b"t" + _WS + b"t" + _WS + b"p" + _WS + b"(?:s" + _WS + b")?:")


def _may_name_url(low: bytes, start: int, end: int) -> bool:
    """False when the text ``low[start:end]`` surely names no absolute or protocol-relative URL,
    even once escapes and character references are decoded (the judge reads both) and tabs and
    newlines dropped: no ``//``, no scheme (``data:`` too), no backslash, no ``&`` (searches that skim at C speed,
    where the URL regex stops at every letter)."""
    return (
        low.find(b"\\", start, end) >= 0
        or low.find(b"&", start, end) >= 0
        or _SLASHES.search(low, start, end) is not None
        or _SCHEME.search(low, start, end) is not None
        or DATA_SCHEME.search(low, start, end) is not None
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
        # HOT's alternatives one by one, each found by a search that skims to a literal byte (HOT
        # itself would stop at every h, d and s): what needs no catalog answer first.
        if (
            low.find(b"\\", c, end) >= 0
            or low.find(CATEGORY_ATTR, c, end) >= 0
            or low.find(b"srcdoc", c, end) >= 0
            or (_SCHEME_COLON.search(low, c, end) is not None and _SLASHLESS.search(low, c, end) is not None)
            or may_hold_data_frame(low, c, end)
        ):
            return True
        at = c
        while True:
            m = _REFERENCE.search(low, at, end)
            if m is None:
                break
            if HOT.match(low, m.start(), end) is not None:
                return True
            at = m.end()
        cache = self._caches.url
        at = c
        while True:
            m = _SLASHES.search(low, at, end)
            if m is None:
                return False
            token = HOT.match(low, m.start(), end).group(1)  # type: ignore[union-attr]
            service = cache.get(token, UNKNOWN)
            if service is UNKNOWN:
                service = self._plan.match_url(token)
            if service is not None or _undecided(token):
                return True
            at = m.start() + len(token)

    def _hot(
        self, data: bytes, low: bytes, start: int, at: int, c: int, n: int, final: bool
    ) -> tuple[int, bool]:
        """The ordinary tags in ``[start, c)`` (data state at ``start``, no candidate up to ``c``)
        that name a catalog URL, from the trigger at ``at`` on: each gets a verdict. Returns the
        last position known to be in data state, or the start of an unfinished tag to hold back
        (and True)."""
        cache = self._caches.url
        t = at
        while t < c:
            if low[t] == 58:  # the ':' after a scheme (its start is before t, in the same value)
                after = t + 1
            else:
                m = HOT.match(low, t, c)
                if m is None:
                    t = self._next_trigger(low, t + 1)
                    continue
                after = m.end()
                token = m.group(1)
                if token is not None:
                    service = cache.get(token, UNKNOWN)
                    if service is UNKNOWN:
                        service = self._plan.match_url(token)
                    if service is None and not _undecided(token):
                        t = self._next_trigger(low, after)
                        continue
            # Where the construct holding t starts: from there on, start is in data state.
            e = self._skip.match(low, start, t).end()  # type: ignore[union-attr]
            start = e
            if e >= t or low[e + 1] not in LETTERS:  # text, or an end tag or a comment
                t = self._next_trigger(low, max(after, e + 1) if e < t else after)
                continue
            stop = NAME_STOP.search(low, e + 1, n)
            tag_end = tag_close(low, e, stop.start(), n) if stop is not None else -1
            if tag_end < 0:
                return self._hold_or_pass(data, low, e, n, final)[0], True
            self._general(data, low, e, stop.start(), tag_end, low[e + 1 : stop.start()], False)  # type: ignore[union-attr]
            start = tag_end
            t = self._next_trigger(low, tag_end)
        return start, False

    def _next_trigger(self, low: bytes, at: int) -> int:
        """The first position from ``at`` on where HOT may match in an ordinary tag (see
        :func:`next_trigger`), remembered for this buffer."""
        return next_trigger(low, at, self._triggers, False)

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
            if name in FRAME_SOURCES:
                whole = data[c:tag_end] if new is None else new
                framed = frame_verdict(
                    self._plan, self._blocked, whole, name_end - c, name, self._nested, self._depth
                )
                if framed is not None:
                    # Its category is explicit now, so a second rewrite renames every loading
                    # attribute of it, as any refused tag's: so does this one (idempotence).
                    again = tag_verdict(
                        self._plan, self._blocked, framed, 0, name_end - c, len(framed), name,
                        attributes(framed.lower(), name_end - c, len(framed) - 1),
                        foreign=foreign, base=self._base_url, nested=self._nested, depth=self._depth,
                    )  # fmt: skip
                    new = again if again is not None else framed
            self._caches.remember_tag(key, new)
        if new is not None:
            self._replace(c, tag_end, new)  # type: ignore[arg-type]

    def _nested(self, document: bytes, depth: int) -> str | None:
        """The category of what an ``srcdoc`` document (or a frame's ``data:`` one) would load that
        is refused, if anything."""
        return refused_category(document, self._nested_rewrite(document, depth))

    def _style_tag(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, n: int, final: bool
    ) -> bool:
        """A ``<style>`` whose CSS fetches a refused URL is made inert (else its attributes get the
        verdict of any tag). True: its text is not all here yet, hold the tag back."""
        m = RAW_END[b"style"].search(low, tag_end)
        if m is None and not final and n - tag_end < self._plan.script_cap:
            return True
        text_end = min(m.start() if m is not None else n, tag_end + self._plan.script_cap)
        new: bytes | None = None
        if _may_name_url(low, tag_end, text_end):
            key = (data[c:text_end], self._blocked, self._base_url, False)
            caches = self._caches
            try:
                new = caches.style[key]
            except KeyError:
                new = style_verdict(
                    self._plan, self._blocked, data, low, c, name_end, tag_end, text_end, self._base_url
                )
                caches.remember_style(key, new)
        if new is not None:
            self._replace(c, tag_end, unscanned_style(new, low, tag_end, text_end))
        elif self._base_url is not None or self._may_load_third_party(low, c, tag_end):
            self._general(data, low, c, name_end, tag_end, b"style", False)
        return False
