"""The streaming HTML rewriter: tags of refused categories made inert, the banner injected.

Pure: bytes in, bytes out, no I/O. A :class:`~.plan.RewritePlan` holds what depends only on the
gate's configuration (the catalog, the injection, the caps, the caches) and is built once; a
:class:`Rewriter` is one response's pass over the body, fed chunk by chunk::

    rewriter = Rewriter(plan, blocked=frozenset({"analytics", "advertising", "social"}))
    for chunk in body:
        yield rewriter.feed(chunk)
    yield rewriter.finish()

This module is the state machine (where the tokenizer is, what is held back between chunks,
where the injection goes); :mod:`.tokenizer` finds the tags cheaply, :mod:`.exact` reads every
construct where the tree matters (:mod:`.tree`), :mod:`.tagging` and :mod:`.scripts` apply the
verdicts (:mod:`.loaders`, :mod:`.verdicts`), cached in the plan by the tag's bytes.

The injection (the banner's tags) goes before the first script that runs (outside ``<noscript>``),
else before ``</head>``, else before ``</body>``, else at the end; only into a whole page (one
that has shown a doctype, ``<html>``, ``<head>`` or ``<body>``), never into a fragment, and never
twice (a page that already carries it, byte for byte, keeps it as it is).

A rewrite renames loading attributes and adds the category (``docs/ARCHITECTURE.md``). Every byte outside a rewritten tag is copied unchanged, a page with nothing
to block comes back byte for byte (plus the injection), rewriting is idempotent, and the output
does not depend on how the input is split into chunks. Only an incomplete tag is held back
between chunks, however long (:mod:`.big_tags`: past ``hold_cap`` bytes held, the rewrite ends
before it), and an inline script's text until its ``</script>`` (only the first ``script_cap``
bytes of it are inspected).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .big_tags import NEUTRAL_TAIL, NO_TAG, BigTagPart
from .exact import ExactMode
from .neutral import neutral_pattern
from .plan import RewritePlan
from .scripts import ScriptPart
from .tagging import TagPart
from .tokenizer import (
    CAND_POST,
    CAND_PRE,
    KIND_COMMENT,
    KIND_END,
    KIND_EXACT,
    KIND_IFRAME,
    KIND_LINK,
    KIND_MEDIA,
    KIND_NOSCRIPT,
    KIND_PLAIN,
    KIND_RAW,
    KIND_SCRIPT,
    KINDS,
    PASSIVE_KINDS,
    QUIET_ELEMENT,
    RAW_END,
    RAW_TAIL,
    SKIP_POST,
    SKIP_PRE,
    construct_end,
    in_data,
    maybe_quoted,
    tag_close,
    tail,
)
from .tree import Tree

__all__ = ["Rewriter", "rewrite"]

# Processing states of a Rewriter (shared with .exact; those that follow a construct over the cap
# are .big_tags').
_DATA, _SCRIPT, _RAWTEXT, _PLAINTEXT = range(4)


def rewrite(
    plan: RewritePlan,
    blocked: Iterable[str],
    document: bytes,
    *,
    nonce: str | None = None,
    nonce_from_page: bool = True,
    depth: int = 0,
) -> bytes:
    """Rewrite a whole document at once (the same result as feeding it in any chunks)."""
    rewriter = Rewriter(plan, blocked, nonce=nonce, nonce_from_page=nonce_from_page, depth=depth)
    return rewriter.feed(document) + rewriter.finish()


class Rewriter(ExactMode, TagPart, ScriptPart, BigTagPart):
    """One response's rewrite. ``feed`` each chunk of the body, then call ``finish`` once.

    ``blocked`` are the categories whose tags are made inert. ``nonce`` is the response's CSP
    nonce from its header, if known; with ``nonce_from_page`` the nonce of the page's first script
    wins (it is the one the page's CSP allows). Never raises on any input and never drops a byte,
    but for a tag that would make it hold more than the plan's ``hold_cap``: then the output ends
    before that tag (``stopped``).
    ``record``, for tests and diagnostics, receives ``(name, start, end)`` of every start tag the
    scanner recognized among the candidates (offsets in the whole input).
    """

    __slots__ = (
        "_base",
        "_base_url",
        "_blocked",
        "_caches",
        "_cand",
        "_clean_end",
        "_depth",
        "_emit",
        "_extra",
        "_extra_len",
        "_finished",
        "_frameset",
        "_held",
        "_held_at",
        "_in_noscript",
        "_injected",
        "_injection",
        "_neutral",
        "_neutral_re",
        "_nonce",
        "_nonce_from_page",
        "_out",
        "_page_seen",
        "_pend_body",
        "_pend_scan",
        "_pending",
        "_plan",
        "_raw_end",
        "_record",
        "_skip",
        "_state",
        "_stopped",
        "_sub",
        "_tag_state",
        "_tree",
        "_triggers",
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
        depth: int = 0,
    ) -> None:
        self._plan = plan
        self._depth = depth  # > 0: an iframe's srcdoc document (no injection)
        self._tree = Tree()
        self._triggers: list[object] = [None]
        self._neutral: set[bytes] = set()
        self._neutral_re: re.Pattern[bytes] | None = None
        self._base_url: str | None = None
        self._caches = plan.caches
        self._record = record
        self._base = 0
        self._blocked = frozenset(blocked)
        self._nonce = nonce or None
        self._nonce_from_page = nonce_from_page
        self._injection = None if depth else plan.injection
        self._injected = self._injection is None
        self._cand = CAND_POST if self._injected else CAND_PRE
        self._skip = SKIP_POST if self._injected else SKIP_PRE
        self._page_seen = False
        self._in_noscript = False
        self._held = b""
        self._extra: list[bytes] = []
        self._extra_len = 0
        self._state = _DATA
        self._sub = 0  # script data sub-state: 0 data, 1 escaped, 2 double escaped
        self._raw_end: re.Pattern[bytes] = RAW_END[b"style"]
        self._pending = False  # an inline script held back until its text is known
        self._pend_body = 0
        self._pend_scan = 0
        self._tag_state = NO_TAG  # the tokenizer's in a tag over the cap held back (see big_tags)
        self._held_at = -1
        self._stopped = False
        self._out: list[bytes | memoryview] = []
        self._view = memoryview(b"")
        self._emit = 0
        self._finished = self._frameset = False  # (_frameset: see ExactMode._exact_tag)
        self._clean_end = False

    # --- the public surface ------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> bytes:
        """The rewritten bytes that can be released after ``chunk`` (possibly empty)."""
        if self._finished:
            raise RuntimeError("Rewriter.feed() called after finish().")
        if not chunk or self._stopped:
            return b""
        if self._state == _PLAINTEXT and not self._held and not self._neutral:
            return bytes(chunk)
        held = self._held
        if held:
            if self._tag_state != NO_TAG:
                if self._follow_held(chunk):  # (a tag over the cap, followed: read again once)
                    return b""
            # A construct held back only completes with a '>': a big one fed in small pieces
            # without one waits, so that re-reading it stays linear in its size; one over the tag
            # cap (a long tag waiting for its script's or style's text) waits for an eighth more.
            elif (
                len(held) > 8192
                and (b">" not in chunk or len(held) > self._plan.tag_cap)
                and (self._extra_len + len(chunk)) * 8 < len(held)
            ):
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
        if self._stopped:
            self._finished = True
            return b""
        data = self._held + b"".join(self._extra)
        self._extra.clear()
        if self._tag_state != NO_TAG and not self._neutral:
            # The page ends inside a tag, which browsers drop: it goes out as it is, unread.
            self._finished = True
            return data
        self._clean_end = self._state == _DATA
        out = self._process(data, True) if data else b""
        self._finished = True
        if (
            not self._injected
            and self._page_seen
            and self._clean_end
            and not self._exact_busy()
            and self._injection is not None
        ):
            self._injected = True
            out += self._injection(self._nonce)
        return out

    @property
    def stopped(self) -> bool:
        """True once a tag longer than the plan's ``hold_cap`` ended the output there."""
        return self._stopped

    # --- the driver ------------------------------------------------------------------------------

    def _process(self, data: bytes, final: bool) -> bytes:
        low = data.lower()
        n = len(data)
        out: list[bytes | memoryview] = []
        self._out = out
        self._view = memoryview(data)
        self._emit = 0
        pos = 0
        while True:
            state = self._state
            # While end tags are neutralised, what skims text holds back enough to see one whole.
            limit = n if final or not self._neutral else max(pos, n - NEUTRAL_TAIL)
            if state == _DATA:
                if self._exact_on():
                    pos, stop = self._exact(data, low, pos, n, final)
                else:
                    pos, stop = self._data(data, low, pos, n, final)
            elif state == _SCRIPT:
                pos, stop = self._script(data, low, pos, n, final)
            elif state == _RAWTEXT:
                m = self._raw_end.search(low, pos)
                if m is not None:
                    self._state = _DATA
                    pos, stop = m.start(), False
                else:
                    pos, stop = (n if final else max(pos, n - RAW_TAIL)), True
            elif state == _PLAINTEXT:
                pos, stop = limit, True
            else:  # following a construct over the cap
                pos, stop = self._follow_over(low, pos, n, limit, final)
            if stop:
                break
        if final:
            # The injection may only go at the very end of a page that ends in data state.
            self._clean_end = self._state == _DATA and pos >= n
            if self._neutral_re and self._state == _DATA and self._emit <= pos and low.startswith(b"</", pos):
                # An end tag the page ends inside: every reading drops it whole (what its
                # attributes hold too), so its own '</' stays as it is.
                self._push(pos)
                self._out.append(data[pos : pos + 2])
                self._emit = pos + 2
            pos = n
        if self._tag_state != NO_TAG and (pos != self._held_at or final):
            self._tag_state = NO_TAG
        emit = self._emit
        self._held = data[pos:] if not self._stopped else b""
        self._base += pos
        if emit == 0 and not out and not self._neutral:
            self._out = []
            self._view.release()
            return data if pos == n else data[:pos]
        self._push(pos)
        self._out = []
        result = b"".join(out)
        self._view.release()
        return result

    # --- data state --------------------------------------------------------------------------------

    def _data(self, data: bytes, low: bytes, pos: int, n: int, final: bool) -> tuple[int, bool]:
        # ``pos`` is the last position known to be in data state, ``at`` where the search goes on:
        # a harmless img/source/link/embed/object changes no state, so it is passed over without
        # asking whether it really is a tag (it may sit inside another tag's attribute value).
        # ``trig`` is the next place where an ordinary tag may name a catalog URL (see ``_hot``),
        # ``hot_at`` the last data-state position ``_hot`` knows of.
        cand = self._cand
        find = low.find
        kinds = KINDS
        quick = self._record is None
        passed = self._caches.passive
        quiets = self._caches.quiet
        at = hot_at = pos
        loads = -1  # a passive tag found to name a catalog URL just now
        trig = self._next_trigger(low, pos)
        while True:
            m = cand.search(low, at)
            if m is None:
                c = tail(low, pos, n, self._skip)
                if trig < c:
                    floor = pos if pos > hot_at else hot_at
                    if trig < floor:
                        trig = self._next_trigger(low, floor)
                    if trig < c:
                        hot_at, stop = self._hot(data, low, floor, trig, c, n, final)
                        if stop:
                            return hot_at, True
                        hot_at = c
                if c >= n:
                    return n, True
                m = cand.match(low, c)
                if m is None:
                    return self._hold_or_pass(data, low, c, n, final)
            else:
                c = m.start()
                kind = kinds[low[c + 1 : m.end()]]
                if kind == KIND_EXACT and low[c + 1] in b"sm":
                    # An <svg>/<math> icon that is plain markup to its end is no candidate.
                    close = find(b"</svg>" if low[c + 1] == 115 else b"</math>", c)
                    if close >= 0:
                        close += 6 if low[c + 1] == 115 else 7
                        key = low[c:close]
                        quiet = quiets.get(key)
                        if quiet is None:
                            quiet = QUIET_ELEMENT.fullmatch(low, c, close) is not None
                            self._caches.remember_quiet(key, quiet)
                        if quiet:
                            at = close
                            continue
                if quick and kind in PASSIVE_KINDS:
                    g = find(b">", c)
                    if g >= 0:
                        # The verdict depends on these bytes only, and pages repeat their tags.
                        key = low[c:g]
                        harmless = passed.get(key)
                        if harmless is None:
                            harmless = not maybe_quoted(low, c, g)
                            if harmless and self._may_load_third_party(low, c, g):
                                # The tag ends at g (its '>' is not quoted): asked once.
                                harmless, loads = False, c
                            self._caches.remember_passive(key, harmless)
                        if harmless:
                            # What HOT finds inside it are URLs of no catalog service, skipped as
                            # _hot would skip them: the ordinary tags before it first.
                            if trig < c:
                                floor = pos if pos > hot_at else hot_at
                                if trig < floor:
                                    trig = self._next_trigger(low, floor)
                                if trig < c:
                                    hot_at, stop = self._hot(data, low, floor, trig, c, n, final)
                                    if stop:
                                        return hot_at, True
                            if trig <= g:
                                trig = self._next_trigger(low, g + 1)
                            at = g + 1
                            continue
                if not in_data(low, pos, c):
                    # Not sure: the exact tokenizer reads from pos up to c.
                    e = self._skip.match(low, pos, c).end()  # type: ignore[union-attr]
                    if e < c:  # c is inside the construct that starts at e
                        m = cand.match(low, e)
                        if m is None:
                            end = construct_end(low, e, n)
                            # The ordinary tags before it get their verdicts even when it is held.
                            upto = end if end >= 0 else e
                            if trig < upto:
                                floor = pos if pos > hot_at else hot_at
                                if trig < floor:
                                    trig = self._next_trigger(low, floor)
                                if trig < upto:
                                    hot_at, stop = self._hot(data, low, floor, trig, upto, n, final)
                                    if stop:
                                        return hot_at, True
                            if end < 0:
                                return self._hold_or_pass(data, low, e, n, final)
                            pos = at = hot_at = end
                            continue
                        c = e
            # m is a candidate at c, and c is in data state: first the ordinary tags before it.
            if trig < c:
                floor = pos if pos > hot_at else hot_at
                if trig < floor:
                    trig = self._next_trigger(low, floor)
                if trig < c:
                    hot_at, stop = self._hot(data, low, floor, trig, c, n, final)
                    if stop:
                        return hot_at, True
            hot_at = c
            name_end = m.end()
            name = low[c + 1 : name_end]
            kind = kinds[name]
            if kind == KIND_EXACT:
                pos, stop = self._exact_tag(data, low, c, n, final)
                return pos, stop
            if kind >= KIND_END:
                pos, stop = self._other(data, low, c, name_end, name, kind, n, final)
                if stop or self._state != _DATA:
                    return pos, stop
                at = pos
                continue
            tag_end = tag_close(low, c, name_end, n)
            if tag_end < 0:
                return self._hold_or_pass(data, low, c, n, final)
            if self._record is not None:
                self._record.append((name, self._base + c, self._base + tag_end))
            if kind == KIND_SCRIPT:
                pos, stop = self._script_tag(data, low, c, name_end, tag_end, n, final)
                if stop or self._state != _DATA:
                    return pos, stop
                at = pos
                continue
            if kind == KIND_RAW and name == b"style":
                if self._style_tag(data, low, c, name_end, tag_end, n, final):
                    return c, True
            elif loads == c or self._may_load_third_party(low, c, tag_end):
                self._loader_tag(data, low, c, name_end, tag_end, name)
            if kind > KIND_LINK:
                self._after_tag(name, False, tag_end)
            pos = at = hot_at = tag_end
            if self._exact_on():
                return pos, False
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
        if kind == KIND_END:
            tag_end = tag_close(low, c, name_end, n)
            if tag_end < 0:
                return self._hold_or_pass(data, low, c, n, final)
            name = name[1:]
            if name != b"noscript" and not self._injected and not self._in_noscript:  # </head>, </body>
                self._inject(c, self._nonce)
            self._after_tag(name, True)
            return tag_end, False
        if kind == KIND_COMMENT:
            end = self._comment_end(low, c, n)
        else:  # <!doctype
            self._page_seen = True
            end = low.find(b">", c) + 1 or -1
        if end < 0:
            return self._hold_or_pass(data, low, c, n, final)
        return end, False

    def _after_tag(self, name: bytes, is_end: bool, at: int = -1) -> None:
        """The tokenizer state and the flags a start or end tag leaves behind."""
        if is_end:
            if name == b"noscript":
                self._in_noscript = False
            return
        kind = KINDS.get(name)
        if kind is None or kind in (KIND_MEDIA, KIND_LINK):
            return
        if kind == KIND_SCRIPT:
            self._state = _SCRIPT
            self._sub = 0
            self._pending = False
        elif kind in (KIND_RAW, KIND_IFRAME):
            self._state = _RAWTEXT
            self._raw_end = RAW_END[name]
        elif kind == KIND_NOSCRIPT:
            # Parsed (scripting off); with scripting on it is raw text up to </noscript.
            self._in_noscript = True
            self.neutralise(b"noscript", at)
        elif kind == KIND_PLAIN:
            self._state = _PLAINTEXT
        else:  # <html>, <head>, <body>
            self._page_seen = True

    def _nested_rewrite(self, document: bytes, depth: int) -> bytes:  # an iframe's srcdoc
        return rewrite(self._plan, self._blocked, document, depth=depth)

    # --- output ----------------------------------------------------------------------------------

    def neutralise(self, name: bytes, at: int) -> None:
        """From ``at`` on, ``</name`` inside anything but data is written ``<\\/name`` (see
        :mod:`.tree`); a ``</name`` end tag in data state ends that (:meth:`settled`)."""
        if name not in self._neutral and (self._blocked or self._plan.known):
            self._push(at)
            self._neutral.add(name)
            self._neutral_re = neutral_pattern(frozenset(self._neutral))

    def settled(self, name: bytes, at: int) -> None:
        """``</name`` at ``at`` is an end tag in data state: every reading agrees again."""
        if name in self._neutral:
            self._push(at)
            self._neutral.discard(name)
            self._neutral_re = neutral_pattern(frozenset(self._neutral)) if self._neutral else None

    def _push(self, end: int) -> None:
        """Output the input's bytes from the emit point up to ``end``."""
        if end <= self._emit:
            return
        view, at = self._view, self._emit
        pattern = self._neutral_re
        if pattern is not None:
            # The piece at C speed, but its last bytes matched in the buffer: an end tag that
            # straddles ``end`` is seen whole (every state holds back enough that its name is in
            # the buffer). A match's lookahead holds no '<', so cutting the piece at a '<' changes
            # no match before it, and a lookahead cut by the piece's end only matches less.
            out = self._out
            for m in pattern.finditer(view, max(at, end - NEUTRAL_TAIL), min(len(view), end + NEUTRAL_TAIL)):
                start = m.start()
                if start >= end:
                    break
                out.append(pattern.sub(b"<\\\\", view[at:start]))
                out.append(b"<\\")
                at = start + 1
            out.append(pattern.sub(b"<\\\\", view[at:end]))
        else:
            self._out.append(view[at:end])
        self._emit = end

    def _insert(self, at: int, injection: bytes) -> None:
        self._push(at)
        self._out.append(injection)
        self._emit = at
        self._placed()

    def _placed(self) -> None:
        """The injection is in: the page markers are no longer candidates."""
        self._injected = True
        self._cand = CAND_POST
        self._skip = SKIP_POST

    def _inject(self, at: int, nonce: str | None) -> None:
        if self._page_seen and self._injection is not None:
            self._insert(at, self._injection(nonce))

    def _replace(self, c: int, end: int, new: bytes) -> None:
        """Output ``new`` in place of the input's bytes ``c:end``."""
        self._push(c)
        self._out.append(self._neutral_re.sub(b"<\\\\", new) if self._neutral_re is not None else new)
        self._emit = end
