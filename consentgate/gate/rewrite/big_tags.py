"""The rewriter's constructs cut by a chunk boundary: held back until complete, or followed.

A tag of any length is judged once it is complete, like any other: until then it is held back.
One longer than the plan's ``tag_cap`` is followed piece by piece from where its scan stopped (the
HTML tokenizer's tag states, :func:`~.tokenizer.follow_tag`), so that it is read again whole only
once, when its ``>`` has come; one that would make the rewriter hold more than ``hold_cap`` ends
the rewrite there (what it would load is not known yet, so nothing of it, or after it, goes out).
A comment, a bogus comment or a CDATA section in foreign content over ``tag_cap`` loads nothing:
it passes unchanged, followed step by step until the state machine is back in data state.

Mixed into :class:`~.rewriter.Rewriter`, whose state it reads and sets (see :mod:`.exact` and
:mod:`.tagging` for the other parts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .tokenizer import LETTERS, TAG_NAME, comment_close, follow_tag
from .tree import Tree

if TYPE_CHECKING:
    from .plan import RewritePlan

__all__ = ["NEUTRAL_TAIL", "NO_TAG", "OVER_BOGUS", "OVER_CDATA", "OVER_COMMENT", "BigTagPart"]

# The Rewriter's processing states this part sets (see rewriter.py).
_DATA = 0
OVER_COMMENT, OVER_BOGUS, OVER_CDATA = 5, 6, 7
#: What a state that skims text holds back while end tags are being neutralised (the longest, and
#: the byte after its name).
NEUTRAL_TAIL = 11
#: The rewriter's ``_tag_state`` when what it holds back is no tag followed piece by piece.
NO_TAG = -1


class BigTagPart:
    """Mixed into :class:`~.rewriter.Rewriter`."""

    if TYPE_CHECKING:
        _plan: RewritePlan
        _tree: Tree
        _blocked: frozenset[str]
        _neutral: set[bytes]
        _state: int
        _tag_state: int
        _held_at: int
        _stopped: bool
        _held: bytes
        _extra: list[bytes]
        _extra_len: int
        _page_seen: bool
        _out: list[bytes | memoryview]

        def _comment_end(self, low: bytes, c: int, n: int, whole: bool = False) -> int: ...
        def _push(self, end: int) -> None: ...
    else:
        __slots__ = ()

    def _follow_over(self, low: bytes, pos: int, n: int, limit: int, final: bool) -> tuple[int, bool]:
        """One step in a state that follows a construct over the cap (see rewriter.py's driver)."""
        state = self._state
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
        """The construct at ``k`` (in data state) is not complete in the buffer: hold it back (a
        tag over the cap followed from here on, one over ``hold_cap`` the end of the rewrite), or,
        when a comment or a bogus one is longer than the cap, let it through and follow it."""
        if low.startswith(b"<!--", k) and (final or n - k > self._plan.tag_cap):
            self._comment_end(low, k, n, True)  # (the comment goes out as it is)
        if final or n - k <= self._plan.tag_cap:
            return k, True
        if low.startswith(b"<!--", k):
            self._state = OVER_COMMENT
            return (n - 3 if not self._neutral else max(k + 4, n - NEUTRAL_TAIL)), True
        second = low[k + 1]
        if second == 47:  # '/'
            start = k + 2
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
            start = k + 1
        # A start or end tag: held back whole, however long, and followed from where this scan ends.
        if n - k > self._plan.hold_cap:
            self._stopped = True
            return k, True
        self._tag_state = follow_tag(low, start, n, TAG_NAME)[1]
        self._held_at = k
        return k, True

    def _follow_held(self, chunk: bytes) -> bool:
        """``chunk`` follows a tag over the cap held back: True when it does not end the tag (then it
        is held back too, or, past ``hold_cap``, the rewrite ends), False when it does (read all)."""
        end, state = follow_tag(chunk.lower(), 0, len(chunk), self._tag_state)
        if end >= 0:
            self._tag_state = NO_TAG
            return False
        if len(self._held) + self._extra_len + len(chunk) > self._plan.hold_cap:
            self._stopped = True
            self._tag_state = NO_TAG
            self._held = b""
            self._extra.clear()
            self._extra_len = 0
            return True
        self._tag_state = state
        self._extra.append(bytes(chunk))
        self._extra_len += len(chunk)
        return True
