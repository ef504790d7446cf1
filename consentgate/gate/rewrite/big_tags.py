"""The rewriter's constructs cut by a chunk boundary: held back until complete, or, over the
plan's ``tag_cap``, let through unchanged and followed step by step (a tag, a comment, a bogus
comment, a CDATA section in foreign content) until the state machine is back in data state.

Mixed into :class:`~.rewriter.Rewriter`, whose state it reads and sets (see :mod:`.exact` and
:mod:`.tagging` for the other parts).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .tokenizer import LETTERS, NAME_STOP, SELF_CLOSING, TAG_NAME, comment_close, follow_tag
from .tree import RAW_CAPABLE, Tree

if TYPE_CHECKING:
    from .plan import RewritePlan

__all__ = ["NEUTRAL_TAIL", "OVER_BOGUS", "OVER_CDATA", "OVER_COMMENT", "OVER_TAG", "BigTagPart"]

# The Rewriter's processing states this part sets (see rewriter.py).
_DATA = 0
OVER_TAG, OVER_COMMENT, OVER_BOGUS, OVER_CDATA = 4, 5, 6, 7
#: What a state that skims text holds back while end tags are being neutralised (the longest, and
#: the byte after its name).
NEUTRAL_TAIL = 11


class BigTagPart:
    """Mixed into :class:`~.rewriter.Rewriter`."""

    if TYPE_CHECKING:
        _plan: RewritePlan
        _tree: Tree
        _blocked: frozenset[str]
        _neutral: set[bytes]
        _neutral_re: re.Pattern[bytes] | None
        _state: int
        _tag_state: int
        _over: tuple[bytes, bool]
        _page_seen: bool
        _injected: bool
        _nonce: str | None
        _base_url: str | None
        _frameset: bool
        _emit: int
        _out: list[bytes | memoryview]

        def _comment_end(self, low: bytes, c: int, n: int, whole: bool = False) -> int: ...
        def _exact_on(self) -> bool: ...
        def _exact_busy(self) -> bool: ...
        def _leave_double(self, at: int) -> None: ...
        def _push(self, end: int) -> None: ...
        def _inject(self, at: int, nonce: str | None) -> None: ...
        def _after_tag(self, name: bytes, is_end: bool, at: int = -1) -> None: ...
        def _markup_here(self, name: bytes, foreign: bool, inside: bool) -> bool: ...
        def neutralise(self, name: bytes, at: int) -> None: ...
    else:
        __slots__ = ()

    def _follow_over(self, low: bytes, pos: int, n: int, limit: int, final: bool) -> tuple[int, bool]:
        """One step in a state that follows a construct over the cap (see rewriter.py's driver)."""
        state = self._state
        if state == OVER_TAG:
            end, self._tag_state = follow_tag(low, pos, limit, self._tag_state)
            if end >= 0:
                self._state = _DATA
                self._after_big_tag(*self._over, end, self._tag_state)
                return end, False
            return limit, True
        if state == OVER_COMMENT:
            end = comment_close(low, pos, n)
            if end >= 0:
                self._state = _DATA
                return end, False
            return (n if final else max(pos, min(n - 3, limit))), True
        if state == OVER_BOGUS:
            end = low.find(b">", pos)
            if end >= 0:
                self._state = _DATA
                return end + 1, False
            return limit, True
        # OVER_CDATA: ends at its first '>' as in the exact mode (2 bytes held: a ']]'?)
        end = low.find(b">", pos)
        if end >= 0:
            self._state = _DATA
            if end - 2 < pos or low[end - 2 : end] != b"]]":
                self._push(end)
                self._out.append(b"]]")
            return end + 1, False
        return (n if final else max(pos, min(n - 2, limit))), True

    def _hold_or_pass(self, data: bytes, low: bytes, k: int, n: int, final: bool) -> tuple[int, bool]:
        """The construct at ``k`` (in data state) is not complete in the buffer: hold it back, or,
        when it is longer than the cap, let it through unchanged and follow it step by step."""
        if low.startswith(b"<!--", k) and (final or n - k > self._plan.tag_cap):
            self._comment_end(low, k, n, True)  # (the comment goes out as it is)
        if final or n - k <= self._plan.tag_cap:
            return k, True
        if low.startswith(b"<!--", k):
            self._state = OVER_COMMENT
            return (n - 3 if not self._neutral else max(k + 4, n - NEUTRAL_TAIL)), True
        second = low[k + 1]
        if second == 47:  # '/'
            is_end, start = True, k + 2
            if low[start] not in LETTERS:
                self._state = OVER_BOGUS
                return (n if not self._neutral else max(k + 2, n - NEUTRAL_TAIL)), True
        elif self._tree.stack and low.startswith(b"<![cdata[", k) and (self._blocked or self._plan.known):
            self._state = OVER_CDATA  # (in foreign content: see the exact mode)
            return max(k + 9, min(n - 2, n if not self._neutral else n - NEUTRAL_TAIL)), True
        elif second in b"!?":
            if low.startswith(b"<!doctype", k):
                self._page_seen = True
            self._state = OVER_BOGUS
            return (n if not self._neutral else max(k + 2, n - NEUTRAL_TAIL)), True
        else:
            is_end, start = False, k + 1
        stop = NAME_STOP.search(low, start, n)
        name = low[start : stop.start()] if stop is not None else b""
        limit = n if not self._neutral else max(start, n - NEUTRAL_TAIL)
        _end, self._tag_state = follow_tag(low, start, limit, TAG_NAME)
        self._state = OVER_TAG
        self._over = (name, is_end)
        self._before_big_tag(k, name, is_end)
        return limit, True

    def _before_big_tag(self, c: int, name: bytes, is_end: bool) -> None:
        """A tag over the cap passes unchanged; it still marks the place of the injection (not in
        the exact mode, whose reading of a whole big tag does not either)."""
        if is_end and name == b"script":
            self._leave_double(c)
        if is_end and self._neutral_re is not None and self._emit <= c:
            # An end tag in every reading: its own '</' stays (else its attributes become markup).
            self._push(c)
            self._out.append(b"</")
            self._emit = c + 2
        if self._injected or self._exact_busy() or self._base_url is not None:
            return
        if (is_end and name in (b"head", b"body")) or (not is_end and name == b"script"):
            self._inject(c, self._nonce)

    def _after_big_tag(self, name: bytes, is_end: bool, at: int, tag_state: int = TAG_NAME) -> None:
        """After a tag over the cap (passed unchanged; ``tag_state``: the tokenizer's at its ``>``):
        what the exact mode would do with it."""
        if self._exact_on() or name in (b"svg", b"math", b"select", b"base", b"frameset"):
            if not is_end:
                self._big_start(name, at, tag_state == SELF_CLOSING)
            return
        self._after_tag(name, is_end, at)

    def _big_start(self, name: bytes, at: int, self_closing: bool) -> None:
        """A start tag over the cap: the tree and the tokenizer's state, as after one under it."""
        if name == b"frameset" and not self._tree.stack:
            self._frameset = True  # (as one under the cap: see _exact_tag)
        inside = bool(self._tree.stack)
        if not self._markup_here(name, self._tree.start(name, b"", self_closing), inside) and name != b"base":
            self._after_tag(name, False, at)  # (raw text, script data, plaintext; a <base> marks no page)
        elif name in RAW_CAPABLE:  # read as markup; a raw-text reading ends at its end tag
            self.neutralise(name, at)
