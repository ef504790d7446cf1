"""Outputs of :mod:`.memo`, kept cut at the nonce's placeholder so that the nonce goes back in
without a search through the page.

A rewritten segment is remembered as its pieces between placeholders (:func:`pieces`); a
response's output is those pieces with the response's nonce between them, joined once
(:func:`joined`). Only an output that ends with the start of a placeholder (the rewriter held
the rest of it back, or page text ends so) cannot be handled this way: it is marked
:class:`Ragged`, and a response that holds one is put together the plain way (every
placeholder of the whole output replaced, the start of one at its very end kept for the next
bytes; see ``MemoRewriter._released``).
"""

from __future__ import annotations

from .placeholder import HEAD

__all__ = ["Pieces", "Ragged", "joined", "merged", "pieces", "whole"]

#: An output cut at every placeholder: ``placeholder.join(p)`` is the output.
Pieces = tuple[bytes, ...]


class Ragged(tuple[bytes, ...]):
    """Pieces of an output that ends with the start of a placeholder."""

    __slots__ = ()


def pieces(out: bytes, placeholder: bytes | None) -> Pieces:
    """``out`` cut at every ``placeholder`` (one piece when there is none)."""
    if placeholder is None:
        return (out,)
    found: Pieces = (out,) if out.find(placeholder) < 0 else tuple(out.split(placeholder))
    last = found[-1]
    at = last.rfind(HEAD, max(0, len(last) - len(placeholder) + 1))
    if at >= 0 and placeholder.startswith(last[at:]):
        return Ragged(found)
    return found


def whole(items: list[Pieces], placeholder: bytes | None) -> bytes:
    """The outputs of ``items`` in one, placeholders and all."""
    if placeholder is None:
        return b"".join([item[0] for item in items])
    return b"".join([placeholder.join(item) for item in items])


def merged(items: list[Pieces], placeholder: bytes | None) -> Pieces:
    """The pieces of the outputs of ``items`` as one output."""
    if len(items) == 1:
        return items[0]
    return pieces(whole(items, placeholder), placeholder)


def joined(items: list[Pieces], nonce: bytes) -> bytes | None:
    """The output of ``items`` with ``nonce`` for each placeholder; None when one of them is
    :class:`Ragged`."""
    if Ragged in map(type, items):
        return None
    # (an item of one piece is joined to itself, no copy: most segments hold no script tag)
    return b"".join([nonce.join(item) for item in items])
