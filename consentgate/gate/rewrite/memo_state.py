"""The state of a :class:`~.rewriter.Rewriter` between two feeds, as :mod:`.memo` keeps it.

A snapshot is a tuple (hashable, so that :class:`~.memo_store.SegmentMemo` can number it) of
every slot that changes while a rewriter reads; :func:`resume` builds a rewriter in such a state.
Every slot of the rewriter is in one of three sets here (a test checks it): fixed for the
rewriter's life, alive only inside one ``feed``, or the state.
"""

from __future__ import annotations

from collections import deque
from operator import attrgetter
from typing import Final, cast

from .memo_store import State
from .plan import RewritePlan
from .rewriter import Rewriter
from .tokenizer import CAND_POST, CAND_PRE, RAW_END, SKIP_POST, SKIP_PRE
from .tree import Tree

__all__ = ["CONSTANT_SLOTS", "STATE_SLOTS", "TRANSIENT_SLOTS", "load", "resume", "snapshot"]

#: Slots of a Rewriter fixed for its whole life (set from the MemoRewriter's arguments).
CONSTANT_SLOTS: Final = frozenset(
    {"_plan", "_caches", "_blocked", "_nonce", "_nonce_from_page", "_injection", "_depth", "_record"}
)
#: Slots that live only inside one ``feed`` (reset on resume).
TRANSIENT_SLOTS: Final = frozenset({"_out", "_view", "_emit", "_triggers", "_base", "_held_at"})
#: Slots whose value is the state: copied as they are (immutable values) ...
_PLAIN: Final = (
    "_base_url", "_injected", "_page_seen", "_in_noscript", "_held", "_extra_len",
    "_state", "_sub", "_raw_end", "_pending", "_pend_body", "_pend_scan", "_tag_state", "_stopped",
    "_neutral_re", "_finished", "_clean_end", "_frameset",
)  # fmt: skip
#: ... and those that follow from the injection's being placed (the candidate and skip patterns):
#: not in the snapshot, whose hash would otherwise hash their compiled code (several KB) each time.
_DERIVED: Final = ("_cand", "_skip")
_INJECTED = _PLAIN.index("_injected")
_STATE, _SUB, _RAW_END, _PENDING, _PEND_BODY, _PEND_SCAN = (
    _PLAIN.index(name) for name in ("_state", "_sub", "_raw_end", "_pending", "_pend_body", "_pend_scan")
)
#: The rewriter's states that set these leftovers on entry (see rewriter.py's state machine).
_SCRIPT, _RAWTEXT = 1, 2
_FIRST_RAW_END: Final = RAW_END[b"style"]
#: ... and those holding a mutable value, frozen into the snapshot.
_MUTABLE: Final = ("_tree", "_neutral", "_extra")
#: The plain slots' values in one call (a tuple, in :data:`_PLAIN`'s order).
_PLAIN_VALUES: Final = attrgetter(*_PLAIN)
STATE_SLOTS: Final = frozenset(_PLAIN) | frozenset(_MUTABLE) | frozenset(_DERIVED)


def snapshot(rewriter: Rewriter) -> tuple[State, int]:
    """The state of ``rewriter`` between two feeds, and the bytes it holds. The blocked
    categories, the nonce and the plan's reading of the page's encoding are in it too: the same
    bytes in the same state give another output for another of them."""
    get = rewriter.__getattribute__
    tree: Tree = get("_tree")
    extra: list[bytes] = get("_extra")
    held: bytes = get("_held")
    values = list(_PLAIN_VALUES(rewriter))
    # Leftovers that the rewriter only reads in the state that sets them again are written as
    # their first values, so that two readings that agree on everything else meet in one state.
    kind = values[_STATE]
    if kind != _SCRIPT:
        values[_SUB] = 0
    if kind != _RAWTEXT:
        values[_RAW_END] = _FIRST_RAW_END
    if not values[_PENDING]:
        values[_PEND_BODY] = values[_PEND_SCAN] = 0
    state = (
        *values,
        tuple(tree.stack),
        tree.select,
        frozenset(get("_neutral")),
        tuple(extra),
        get("_blocked"),
        get("_nonce"),
        get("_plan").reading.name,
    )
    return state, len(held) + sum(map(len, extra)) + 16 * len(tree.stack)


def resume(
    state: State,
    plan: RewritePlan,
    blocked: frozenset[str],
    nonce: str | None,
    swap: tuple[bytes, bytes] | None = None,
) -> Rewriter:
    """A Rewriter in ``state``, as if it had read what led there (``swap``: bytes to put back
    in the held text, the placeholder by the nonce)."""
    rewriter = Rewriter(plan, blocked, nonce=nonce)
    load(rewriter, state, swap)
    return rewriter


def load(rewriter: Rewriter, state: State, swap: tuple[bytes, bytes] | None = None) -> None:
    """Put ``rewriter`` (of the same plan, categories and nonce) in ``state``."""
    put = rewriter.__setattr__
    if swap is None:
        deque(map(put, _PLAIN, state), 0)  # (every plain slot set in one call)
    else:
        for name, value in zip(_PLAIN, state, strict=False):
            put(name, _swapped(value, swap))
    injected = state[_INJECTED]
    put("_cand", CAND_POST if injected else CAND_PRE)
    put("_skip", SKIP_POST if injected else SKIP_PRE)
    stack, select, neutral, extra = cast(
        "tuple[tuple[tuple[bytes, int], ...], bool, frozenset[bytes], tuple[bytes, ...]]",
        state[len(_PLAIN) : len(_PLAIN) + 4],
    )
    if swap is not None:
        stack = cast("tuple[tuple[bytes, int], ...]", _swapped(stack, swap))
        extra = tuple(cast(bytes, _swapped(e, swap)) for e in extra)
    tree = Tree()
    tree.stack = list(stack)
    tree.select = select
    put("_tree", tree)
    put("_neutral", set(neutral))
    put("_extra", list(extra))


def _swapped(value: object, swap: tuple[bytes, bytes]) -> object:
    if isinstance(value, bytes):
        return value.replace(*swap)
    if isinstance(value, str):
        return value.replace(swap[0].decode("ascii"), swap[1].decode("latin-1"))
    if isinstance(value, tuple):
        return tuple(_swapped(v, swap) for v in value)
    return value
