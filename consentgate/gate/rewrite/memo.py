"""A rewrite that pays only for what is new in a page: segments seen before are not read again.

Server-rendered pages differ on every request (a CSRF token, a CSP nonce on every script, the
page data of a tag manager), but only in a few places: the same tags come back in the same
order. :class:`MemoRewriter` cuts a body into segments at places found from its own bytes (the
first line ending in ``>`` at least 2 KB after the last cut), so that two renderings of a page
are cut alike, and keeps each segment's output in the plan's :class:`~.memo_store.SegmentMemo`,
keyed by the rewriter's state before the segment and the segment's bytes. A segment seen before
in the same state is answered from memory; only the others are fed to a real
:class:`~.rewriter.Rewriter`, resumed from that state. Pages come back in the same order, so the
segment that followed last time is tried first (``SegmentMemo.follows``): its bytes compared in
place, which costs neither a cut nor a hash of them. A segment that starts or ends like one
read before (most likely the same with a value changed) is looked up again in pieces of 512
bytes, and those in pieces of 128, so that only the piece holding the change is read.

The result is the same bytes a :class:`~.rewriter.Rewriter` gives for the whole body: it does
not depend on how a body is cut (a property of the rewriter), and the state snapshot holds every
slot that changes while a rewriter reads (a test checks every slot is classified). The snapshot
writes leftovers the rewriter will set again before reading them (a finished inline script's
offsets, say) as their first values, so that two readings that differ only there meet again.

Cutting a body into segments and keeping them makes a page never seen before up to twice as slow
to rewrite (measured on the benchmark's marketing pages), so a plan whose pages share little
(each one new) rewrites them directly: the memory keeps a running
score of how much of the bodies it answered, memoizes while it is high, and tries again every
few bodies while it is low (see :meth:`~.memo_store.SegmentMemo.worth_it`).

The CSP nonce: a response's nonce (from its header) is new on every request and is on every
script tag, so before a segment is looked up the nonce is replaced by a placeholder of the same
length, and the output gets the nonce back. The placeholder is letters and digits, as a nonce
is, so the rewriter reads both alike. It has no border (no beginning that is also its ending),
so occurrences cannot overlap, and a page that holds the placeholder itself ends the memoizing
for the rest of the body (the real rewriter goes on from the same state, with the nonce): no
text of the page can ever be turned into the nonce.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from typing import Final

from .memo_state import load, resume, snapshot
from .memo_store import SegmentMemo
from .placeholder import HEAD, NONCE, holds, placeholder_for, put_back
from .plan import RewritePlan
from .rewriter import Rewriter

__all__ = ["MemoRewriter"]

#: A segment ends at the first line that ends a tag at least this far from its start (see
#: ``_cut``); a segment not in memory is looked up in pieces of the next size, and so on.
_SIZES: Final = (2048, 512, 128)
#: A segment is cut at the latest this many times its size on, even without a line end or ``>``.
_LONGEST: Final = 4
#: What stands for a segment that held a fresh value, as the segment before the next one.
_CHANGED: Final = b"\x00"


def _cut(buf: bytes, pos: int, size: int, nonce: bytes | None) -> int:
    """Where the segment that starts at ``pos`` ends, or -1 when ``buf`` does not tell yet: after
    the first line that ends a tag at least ``size`` bytes on (so rarely inside an inline script,
    whose lines end otherwise), else after a line end, else after a ``>``."""
    start = pos + size
    last = pos + size * _LONGEST
    end = buf.find(b">\n", start - 1, last)
    if end >= 0:
        return end + 2
    if len(buf) < last:
        return -1
    end = buf.find(b"\n", start, last)
    if end < 0:
        end = buf.find(b">", start, last)
    if end >= 0:
        return end + 1
    if nonce is not None:  # never through the nonce (or its placeholder: no line end, no ">")
        if len(buf) < last + len(nonce):
            return -1  # not even through page text that may be the start of one
        near = buf.find(nonce, last - len(nonce) + 1, last + len(nonce) - 1)
        if 0 <= near < last:
            return near if near > pos else near + len(nonce)
    return last


class MemoRewriter:
    """A :class:`~.rewriter.Rewriter` with the plan's memory of segments (same interface).

    ``feed`` each chunk of the body, then ``finish`` once; the output is the bytes a
    ``Rewriter(plan, blocked, nonce=nonce)`` gives, only released a segment at a time.
    ``memoize``: True or False to decide instead of the memory's score; ``segment`` and ``piece``:
    the sizes segments are cut at (small ones let tests cut small pages). ``answered``: how many
    bytes of the body came from memory so far.
    """

    __slots__ = (
        "_blocked",
        "_direct",
        "_hit",
        "_inner",
        "_inner_number",
        "_memo",
        "_memoized",
        "_nonce",
        "_nonce_bytes",
        "_number",
        "_placeholder",
        "_plan",
        "_read_bytes",
        "_rest",
        "_sizes",
        "_state",
        "_tail",
    )

    def __init__(
        self,
        plan: RewritePlan,
        blocked: Iterable[str],
        *,
        nonce: str | None = None,
        memoize: bool | None = None,
        sizes: tuple[int, ...] = _SIZES,
    ) -> None:
        if not sizes or sizes[-1] < 1 or any(a < b for a, b in pairwise(sizes)):
            raise ValueError("sizes must be positive and not growing.")
        self._plan = plan
        self._sizes = sizes
        self._memo: SegmentMemo = plan.memo
        self._blocked = frozenset(blocked)
        self._nonce = nonce or None
        self._nonce_bytes: bytes | None = None
        self._placeholder: bytes | None = None
        if self._nonce is not None:
            raw = self._nonce.encode("latin-1", "replace")
            if NONCE.fullmatch(raw):
                self._nonce_bytes = raw
                self._placeholder = placeholder_for(len(raw))
        self._direct: Rewriter | None = None
        self._hit = self._read_bytes = 0
        self._memoized = self._memo.worth_it() if memoize is None else memoize
        if not self._memoized:
            # A site whose pages share little: the real rewriter alone, at its full speed.
            self._direct = Rewriter(plan, self._blocked, nonce=self._nonce)
            return
        self._inner: Rewriter | None = None
        self._inner_number = 0
        self._rest = b""
        self._tail = b""
        start_key = (self._blocked, self._placeholder if self._placeholder is not None else self._nonce)
        start = self._memo.starts.get(start_key)
        if start is None:
            state, size = snapshot(Rewriter(plan, self._blocked, nonce=self._inner_nonce()))
            start = (self._memo.number(state, size), state)
            self._memo.starts[start_key] = start
        self._number, self._state = start

    def feed(self, chunk: bytes) -> bytes:
        """The rewritten bytes that can be released after ``chunk`` (possibly empty)."""
        if self._direct is not None:
            return self._direct.feed(chunk)
        if not chunk:
            return b""
        raw = self._rest + chunk if self._rest else bytes(chunk)
        out: list[bytes] = []
        placeholder = self._placeholder
        if placeholder is not None:
            if holds(raw, placeholder):  # the page spells the placeholder: no memoizing from here
                self._rest = b""
                tail, self._tail = self._tail, b""
                return tail + self._stop_memoizing().feed(raw)
            buf = raw.replace(self._nonce_bytes, placeholder)  # type: ignore[arg-type]
        else:
            buf = raw
        pos = self._pieces(buf, 0, out, False)
        self._rest = raw[pos:]
        return self._released(out)

    def finish(self) -> bytes:
        """Everything still held back, then what the rewriter's ``finish`` adds."""
        if self._direct is not None:
            return self._direct.finish()
        rest = self._rest
        self._rest = b""
        if self._placeholder is not None:
            if holds(rest, self._placeholder):
                direct = self._stop_memoizing()
                return self._tail + direct.feed(rest) + direct.finish()
            rest = rest.replace(self._nonce_bytes, self._placeholder)  # type: ignore[arg-type]
        out: list[bytes] = []
        self._pieces(rest, 0, out, True)
        self._memo.judge(self._hit, self._read_bytes)
        # What the rewriter's finish adds depends on its state only.
        found = self._memo.finals.get(self._number)
        if found is None:
            found = self._resumed().finish()
            self._memo.remember_final(self._number, found)
        out.append(found)
        return self._released(out, final=True)

    @property
    def answered(self) -> int:
        return self._hit

    @property
    def memoizing(self) -> bool:
        """Whether this body was memoized (False: it went to the real rewriter alone)."""
        return self._memoized

    # --- segments --------------------------------------------------------------------------------

    def _pieces(self, buf: bytes, level: int, out: list[bytes], whole: bool) -> int:
        """Cut ``buf`` into segments of ``level``'s size, each answered from memory or read;
        the end of the last one (``whole``: ``buf`` is a segment of the level above, so its end
        ends the last piece; else what is left is held back for more bytes)."""
        memo = self._memo
        segments = memo.segments
        size = self._sizes[level]
        follows = memo.follows.get(size)
        guard = None if whole else self._placeholder
        pos, n = 0, len(buf)
        find = buf.find
        startswith = buf.startswith
        window = size * _LONGEST
        prev = b""  # the segment before (keys are (state number, that segment): a page's states repeat)
        while pos < n:
            if follows is not None:
                # The segment that followed this state last time, when the bytes are the same.
                # (Before more bytes come, only one that ends a line or a tag: no nonce is cut
                # through at its end.)
                last = follows.get((self._number, prev))
                if last is not None and startswith(last[0], pos) and (whole or last[0][-1] in b">\n"):
                    out.append(last[1])
                    self._number, self._state = last[2], last[3]
                    self._hit += len(last[0])
                    pos += len(last[0])
                    prev = last[0]
                    continue
            end = find(b">\n", pos + size - 1, pos + window)  # _cut's usual answer, at once
            if end >= 0:
                end += 2
            else:
                end = _cut(buf, pos, size, guard)
                if end < 0:
                    if not whole:
                        break
                    end = n
            seg = buf[pos:end]
            number = self._number
            found = segments.get((number, seg))
            if found is not None:
                out.append(found[0])
                self._number, self._state = found[1], found[2]
                self._hit += end - pos
                memo.follow(size, (number, prev), (seg, *found))
            elif self._missed(seg, level, out):
                memo.follow(size, (number, prev), (seg, out[-1], self._number, self._state))
            else:
                seg = _CHANGED  # (it will not come back: what follows it is keyed by this)
            follows = memo.follows.get(size)
            prev = seg
            pos = end
        return pos

    def _missed(self, seg: bytes, level: int, out: list[bytes]) -> bool:
        """A segment the memory does not hold in this state: read whole, or, when it starts or
        ends like one read before (most likely the same page with a value changed), looked up
        in the next level's smaller pieces. True when it was remembered (its output is then the
        last item of ``out``)."""
        memo = self._memo
        key = (self._number, seg)
        start = len(out)
        before = self._read_bytes
        sizes = self._sizes
        if level + 1 < len(sizes) and len(seg) > 2 * sizes[level + 1]:
            # Its first or its last bytes say "seen before, changed" (a value near one end
            # changes that end only).
            ends = max(1, sizes[-1] // 4)
            number = self._number
            head, tail = (number, b"<" + seg[:ends]), (number, b">" + seg[-ends:])
            if head in memo.seen or tail in memo.seen:
                self._pieces(seg, level + 1, out, True)
            else:
                memo.saw(head)
                memo.saw(tail)
                self._read(seg, out)
        else:
            self._read(seg, out)
        read = self._read_bytes - before
        if read == len(seg) or read == 0:
            joined = b"".join(out[start:])
            del out[start:]
            out.append(joined)
            memo.remember(key, joined, self._number, self._state)
            return True
        return False  # partly new: it held a fresh value and will not come back (its pieces are kept)

    def _read(self, seg: bytes, out: list[bytes]) -> None:
        """Feed ``seg`` to the real rewriter in the current state; the state moves on."""
        inner = self._resumed()
        out.append(inner.feed(seg))
        self._read_bytes += len(seg)
        state, size = snapshot(inner)
        self._number = self._inner_number = self._memo.number(state, size)
        self._state = state

    def _resumed(self) -> Rewriter:
        inner = self._inner
        if inner is None:
            inner = self._inner = resume(self._state, self._plan, self._blocked, self._inner_nonce())
            self._inner_number = self._number
        elif self._inner_number != self._number:
            load(inner, self._state)
            self._inner_number = self._number
        return inner

    def _inner_nonce(self) -> str | None:
        if self._placeholder is not None:
            return self._placeholder.decode("ascii")
        return self._nonce

    def _released(self, out: list[bytes], final: bool = False) -> bytes:
        """The output so far with the nonce for the placeholder; a possible start of one at its
        end waits for the rest (the rewriter may release raw text up to any byte)."""
        placeholder = self._placeholder
        if placeholder is None:
            return b"".join(out)
        if self._tail:
            out.insert(0, self._tail)
            self._tail = b""
        data = put_back(b"".join(out), placeholder, self._nonce_bytes)  # type: ignore[arg-type]
        if not final:
            at = data.rfind(HEAD, len(data) - len(placeholder) + 1)
            if at >= 0 and placeholder.startswith(data[at:]):
                self._tail = data[at:]
                return data[:at]
        return data

    def _stop_memoizing(self) -> Rewriter:
        """The page holds the placeholder itself: from here on the real rewriter, with the real
        nonce, resumed from the current state (its held bytes given their nonce back)."""
        swap = None
        if self._placeholder is not None and self._nonce_bytes is not None:
            swap = (self._placeholder, self._nonce_bytes)
        self._direct = resume(self._state, self._plan, self._blocked, self._nonce, swap)
        self._memo.judge(self._hit, self._read_bytes)
        return self._direct
