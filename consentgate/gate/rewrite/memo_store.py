"""The plan's bounded memory of rewritten segments (see :mod:`.memo`).

Kept apart from :mod:`.memo` so that :mod:`.plan` can own one without importing the rewriter.
A rewriter's state between two segments is a tuple (its "state"); each distinct state gets a
number once, so that a segment's key is ``(number, bytes)`` and costs one hash of the bytes.
Numbers are never reused: a response that still holds one after the memory started over only
misses.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final

from .memo_output import Pieces

__all__ = ["Segment", "SegmentMemo", "State"]

#: A rewriter's state between two segments, as :mod:`.memo` snapshots it.
State = tuple[object, ...]
#: A segment read in some state: its bytes (with the placeholder), those bytes cut at the
#: placeholder, its output (cut likewise), the number of the state after it, that state.
Segment = tuple[bytes, Pieces, Pieces, int, State]
#: What the memory may hold (segments, outputs and held-back bytes of states) before it starts over.
_BYTES: Final = 16 * 1024 * 1024
#: What an entry counts for beyond its bytes.
_ENTRY: Final = 96
#: The share of a body answered from memory above which memoizing pays.
_WORTH: Final = 0.25
#: While it does not pay, one body in this many is memoized all the same, to find out again.
_PROBE: Final = 8


class SegmentMemo:
    """Segment outputs by (state number, segment bytes); bounded, started over when full.

    ``segments``: the output of a segment and the state after it (its number and the state).
    ``finals``: what the rewriter's ``finish`` adds at the end of a body, per state.
    ``seen``: (state number, first or last bytes) of segments rewritten whole, so that one that
    starts or ends alike (a page whose values changed) is looked up in smaller pieces.
    ``starts``: the first state of a rewrite, per what it depends on.
    ``follows``: per segment size, per (state number, segment read into that state), the segment
    that came next last time (its bytes, output, and the state after it, as in ``segments``): a
    page served again comes in the same order, so the next segment is first compared with the one
    that followed last time (no hash of its bytes, no cut to find), and looked up only when it
    differs.
    """

    __slots__ = (
        "_bodies", "_bytes", "_next", "_score", "_states", "finals", "follows", "seen", "segments", "starts",
    )  # fmt: skip

    def __init__(self) -> None:
        self.segments: dict[tuple[int, bytes], tuple[Pieces, int, State]] = {}
        self.finals: dict[int, Pieces] = {}
        self.seen: set[tuple[int, bytes]] = set()
        self.starts: dict[Hashable, tuple[int, State]] = {}
        self.follows: dict[int, dict[tuple[int, bytes], Segment]] = {}
        self._states: dict[State, int] = {}
        self._bytes = 0
        self._next = 1
        self._score = 0.0
        self._bodies = 0

    @property
    def size(self) -> int:
        """The bytes it counts as held (at most 16 MB)."""
        return self._bytes

    def worth_it(self) -> bool:
        """Whether the next body should be memoized: while the recent bodies were mostly answered
        from memory, and one in ``_PROBE`` otherwise (the first body of a plan is not: there is
        nothing to answer it with, and the second stores what the third may use)."""
        self._bodies += 1
        return self._score >= _WORTH or self._bodies % _PROBE == 2

    def judge(self, answered: int, read: int) -> None:
        """A memoized body: ``answered`` bytes came from memory, ``read`` were rewritten."""
        if answered + read:
            self._score = (self._score + answered / (answered + read)) / 2

    def number(self, state: State, size: int) -> int:
        """The number of ``state`` (``size``: the bytes it holds), given once per distinct state."""
        found = self._states.get(state)
        if found is not None:
            return found
        self._charge(size)
        number = self._next
        self._next += 1
        self._states[state] = number
        return number

    def remember(self, key: tuple[int, bytes], out: Pieces, number: int, state: State) -> None:
        self._charge(2 * len(key[1]) + sum(map(len, out)))  # (the bytes, and cut for following)
        self.segments[key] = (out, number, state)

    def follow(self, size: int, key: tuple[int, bytes], segment: Segment) -> None:
        """``segment`` came after ``key`` (a state number and the segment that led to it) in a
        body cut at ``size``."""
        follows = self.follows.get(size)
        if follows is None or key not in follows:
            self._charge(0)  # (its bytes are counted with the segment's entry; this may start over)
            follows = self.follows.setdefault(size, {})
        follows[key] = segment

    def remember_final(self, number: int, out: Pieces) -> None:
        self._charge(sum(map(len, out)))
        self.finals[number] = out

    def saw(self, key: tuple[int, bytes]) -> None:
        self._charge(len(key[1]))
        self.seen.add(key)

    def _charge(self, size: int) -> None:
        size += _ENTRY
        if self._bytes + size > _BYTES:
            # Cheaper than tracking recency; what a site serves fills it again at once.
            self.segments.clear()
            self.finals.clear()
            self.seen.clear()
            self.starts.clear()
            self.follows.clear()
            self._states.clear()
            self._bytes = 0
        self._bytes += size
