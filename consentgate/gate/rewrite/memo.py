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
script tag, so segments are remembered with a placeholder of the same length in its place, and
the output gets the nonce back. The placeholder is letters and digits, as a nonce is, so the
rewriter reads both alike. It has no border (no beginning that is also its ending), so
occurrences cannot overlap. Neither the body nor the output is searched for either as a whole:
a remembered segment is kept cut at its placeholders, so the body is compared with it piece by
piece (with the nonce between the pieces), and its output is given back as pieces with the
nonce between them (:mod:`.memo_output`); only a segment that is read is searched and has its
nonce replaced. A page that holds the placeholder itself (found in a segment that is read; no
cut goes through one) ends the memoizing for the rest of the body (the real rewriter goes on
from the same state, with the nonce): no text of the page can ever be turned into the nonce.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from typing import Final

from .memo_output import Pieces, joined, merged, pieces, whole
from .memo_state import load, resume, snapshot
from .memo_store import SegmentMemo
from .placeholder import HEAD, NONCE, placeholder_for, put_back
from .plan import RewritePlan
from .rewriter import Rewriter

__all__ = ["MemoRewriter"]

#: A segment ends at the first line that ends a tag at least this far from its start (see
#: ``_cut``); a segment not in memory is looked up in pieces of the next size, and so on.
_SIZES: Final = (2048, 512, 128)
#: A segment is cut at the latest this many times its size on, even without a line end or ``>``.
_LONGEST: Final = 4
#: What stands for a segment that held a fresh value, as the segment before the next one: this
#: mark and its last ``_MARK`` bytes.
_CHANGED: Final = b"\x00"
_MARK: Final = 32


def _cut(buf: bytes, pos: int, size: int, guards: tuple[bytes, ...]) -> int:
    """Where the segment that starts at ``pos`` ends, or -1 when ``buf`` does not tell yet: after
    the first line that ends a tag at least ``size`` bytes on (so rarely inside an inline script,
    whose lines end otherwise), else after a line end, else after a ``>``; never through one of
    ``guards`` (the nonce, its placeholder: all of one length)."""
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
    for guard in guards:  # (these hold no line end and no ">", so only here can a cut meet one)
        if len(buf) < last + len(guard):
            return -1  # not even through page text that may be the start of one
        near = buf.find(guard, last - len(guard) + 1, last + len(guard) - 1)
        if 0 <= near < last:
            return near if near > pos else near + len(guard)
    return last


def _at(buf: bytes, pos: int, cut: Pieces, gap: bytes) -> bool:
    """Whether ``buf`` holds, at ``pos``, the pieces of ``cut`` with ``gap`` between them."""
    # (one join and one compare cost less than a compare per piece, for pieces of a segment)
    return buf.startswith(cut[0] if len(cut) == 1 else gap.join(cut), pos)


class MemoRewriter:
    """A :class:`~.rewriter.Rewriter` with the plan's memory of segments (same interface).

    ``feed`` each chunk of the body, then ``finish`` once; the output is the bytes a
    ``Rewriter(plan.read_as(encoding), blocked, nonce=nonce)`` gives, only released a segment at a
    time (``encoding``: the page's, as the gate decided it; None while it is not known).
    ``memoize``: True or False to decide instead of the memory's score; ``segment`` and ``piece``:
    the sizes segments are cut at (small ones let tests cut small pages). ``answered``: how many
    bytes of the body came from memory so far.
    """

    __slots__ = (
        "_blocked",
        "_direct",
        "_halted",
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
        "_prev",
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
        encoding: str | None = None,
        memoize: bool | None = None,
        sizes: tuple[int, ...] = _SIZES,
    ) -> None:
        if not sizes or sizes[-1] < 1 or any(a < b for a, b in pairwise(sizes)):
            raise ValueError("sizes must be positive and not growing.")
        self._plan = plan = plan.read_as(encoding)  # (its reading is in every state's snapshot)
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
        self._halted = False
        self._prev = b""  # the segment before (keys are (state number, that segment): states repeat)
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
        start_key = (self._blocked, self._inner_nonce(), plan.reading.name)
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
        out: list[Pieces] = []
        pos = self._pieces(raw, 0, out, False, self._prev)
        if self._halted:  # the page spells the placeholder: no memoizing from here
            self._rest = b""
            released = self._released(out)
            tail, self._tail = self._tail, b""
            return released + tail + self._stop_memoizing().feed(raw[pos:])
        self._rest = raw[pos:]
        return self._released(out)

    def finish(self) -> bytes:
        """Everything still held back, then what the rewriter's ``finish`` adds."""
        if self._direct is not None:
            return self._direct.finish()
        rest = self._rest
        self._rest = b""
        out: list[Pieces] = []
        pos = self._pieces(rest, 0, out, True, self._prev)
        if self._halted:
            released = self._released(out)
            tail, self._tail = self._tail, b""
            direct = self._stop_memoizing()
            return released + tail + direct.feed(rest[pos:]) + direct.finish()
        self._memo.judge(self._hit, self._read_bytes)
        # What the rewriter's finish adds depends on its state only.
        found = self._memo.finals.get(self._number)
        if found is None:
            found = pieces(self._resumed().finish(), self._placeholder)
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

    def _pieces(self, buf: bytes, level: int, out: list[Pieces], whole: bool, prev: bytes) -> int:
        """Cut ``buf`` into segments of ``level``'s size, each answered from memory or read;
        the end of the last one (``whole``: ``buf`` is a segment of the level above, so its end
        ends the last piece; else what is left is held back for more bytes). At level 0,
        ``buf`` holds the response's nonce, below it the placeholder (see the module's text).
        ``prev``: what stands for the segment before, in the keys of ``follows``."""
        memo = self._memo
        segments = memo.segments
        size = self._sizes[level]
        follows = memo.follows.get(size)
        placeholder = self._placeholder
        nonce = self._nonce_bytes if level == 0 and placeholder is not None else None
        if nonce is not None and placeholder is not None:
            guards: tuple[bytes, ...] = (nonce, placeholder)
        else:
            guards = () if whole or placeholder is None else (placeholder,)
        pos, n = 0, len(buf)
        find = buf.find
        startswith = buf.startswith
        window = size * _LONGEST
        while pos < n:
            last = None
            if follows is not None:
                # The segment that followed this state last time, when the bytes are the same.
                # (Before more bytes come, only one that ends a line or a tag: no nonce is cut
                # through at its end.)
                last = follows.get((self._number, prev))
                if (
                    last is not None
                    and (startswith(last[0], pos) if nonce is None else _at(buf, pos, last[1], nonce))
                    and (whole or last[0][-1] in b">\n")
                ):
                    out.append(last[2])
                    self._number, self._state = last[3], last[4]
                    self._hit += len(last[0])
                    pos += len(last[0])
                    prev = last[0]
                    continue
            end = find(b">\n", pos + size - 1, pos + window)  # _cut's usual answer, at once
            if end >= 0:
                end += 2
            else:
                end = _cut(buf, pos, size, guards)
                if end < 0:
                    if not whole:
                        break
                    end = n
            seg = buf[pos:end]
            if nonce is not None and placeholder is not None:
                if seg.find(placeholder) >= 0:
                    self._halted = True
                    break
                seg = seg.replace(nonce, placeholder)
            number = self._number
            found = segments.get((number, seg))
            if found is not None:
                out.append(found[0])
                self._number, self._state = found[1], found[2]
                self._hit += end - pos
                memo.follow(size, (number, prev), (seg, self._cut_pieces(seg), *found))
            else:
                # A piece of the smallest size in place of another as long (a fresh value of a
                # fixed width, most likely: a token, an id) is not kept: it would not come back.
                keep = last is None or len(last[0]) != len(seg) or level + 1 < len(self._sizes)
                if self._missed(seg, level, out, keep):
                    memo.follow(
                        size, (number, prev), (seg, self._cut_pieces(seg), out[-1], self._number, self._state)
                    )
                # What follows a segment that was not in memory is keyed by a mark and its last
                # bytes, not by the whole segment: one that held a fresh value will not come
                # back, but a value seldom ends a segment, and the mark tells two places apart.
                seg = _CHANGED + seg[-_MARK:]
            follows = memo.follows.get(size)
            prev = seg
            pos = end
        if level == 0:
            self._prev = prev
        return pos

    def _cut_pieces(self, seg: bytes) -> Pieces:
        placeholder = self._placeholder
        if placeholder is None or seg.find(placeholder) < 0:
            return (seg,)
        return tuple(seg.split(placeholder))

    def _missed(self, seg: bytes, level: int, out: list[Pieces], keep: bool) -> bool:
        """A segment the memory does not hold in this state: read whole, or, when it starts or
        ends like one read before (most likely the same page with a value changed), looked up
        in the next level's smaller pieces. True when it was remembered (its output is then the
        last item of ``out``; one read whole only when ``keep``)."""
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
                # (what follows the start of this segment is keyed by its first bytes: another
                # segment looked up in pieces starts in the same state just as often)
                self._pieces(seg, level + 1, out, True, _CHANGED + _CHANGED + seg[:_MARK])
            else:
                memo.saw(head)
                memo.saw(tail)
                self._read(seg, out)
        else:
            self._read(seg, out)
        read = self._read_bytes - before
        if read == 0 or (read == len(seg) and keep):
            joined = merged(out[start:], self._placeholder)
            del out[start:]
            out.append(joined)
            memo.remember(key, joined, self._number, self._state)
            return True
        return False  # partly new: it held a fresh value and will not come back (its pieces are kept)

    def _read(self, seg: bytes, out: list[Pieces]) -> None:
        """Feed ``seg`` to the real rewriter in the current state; the state moves on."""
        inner = self._resumed()
        out.append(pieces(inner.feed(seg), self._placeholder))
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

    def _released(self, out: list[Pieces], final: bool = False) -> bytes:
        """The output so far with the nonce for the placeholder; a possible start of one at its
        end waits for the rest (the rewriter may release raw text up to any byte)."""
        placeholder, nonce = self._placeholder, self._nonce_bytes
        if placeholder is None or nonce is None:
            return whole(out, None)
        if not self._tail:
            data = joined(out, nonce)
            if data is not None:
                return data
        # An output ends with the start of a placeholder: put together the plain way.
        data = put_back(self._tail + whole(out, placeholder), placeholder, nonce)
        self._tail = b""
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
