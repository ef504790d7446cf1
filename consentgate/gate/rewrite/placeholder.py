"""The placeholder that stands for a response's CSP nonce while :mod:`.memo` looks segments up.

The nonce is new on every request and sits on every script, so segments are keyed with a
placeholder of the same length in its place, and the output gets the nonce back.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["HEAD", "NONCE", "holds", "placeholder_for", "put_back"]

#: What a nonce must look like to be replaced (base64 or base64url, as long as CSP asks).
NONCE = re.compile(rb"[A-Za-z0-9+/_=-]{16,256}")
#: The placeholder: "Q", then "Z"s. "Q" occurs once, so the placeholder has no border (no
#: beginning that is also an ending): two occurrences can never overlap, nor can page text and a
#: placeholder beside it spell another one. Both letters are rare in pages, so that looking for it
#: skims them (a search skips ahead at every byte that is neither).
HEAD: Final = b"Q"
_FILL: Final = b"Z"


#: Letters "Q" that are not a placeholder's, after which a search uses bytes' own (see ``holds``).
_STRAYHEADS: Final = 64


def holds(data: bytes, placeholder: bytes) -> bool:
    """Whether ``data`` holds ``placeholder``: its rare first letter found at memchr speed, then
    compared (bytes' own search for a 24-byte needle skims four times slower); a page of many
    "Q"s gets bytes' own search."""
    at = data.find(HEAD)
    stray = 0
    while at >= 0:
        if data.startswith(placeholder, at):
            return True
        stray += 1
        if stray > _STRAYHEADS:
            return placeholder in data
        at = data.find(HEAD, at + 1)
    return False


def put_back(data: bytes, placeholder: bytes, nonce: bytes) -> bytes:
    """``data`` with ``nonce`` for every ``placeholder`` (found as ``holds`` finds it)."""
    parts: list[bytes] = []
    last = stray = 0
    at = data.find(HEAD)
    while at >= 0:
        if data.startswith(placeholder, at):
            parts.append(data[last:at])
            last = at + len(placeholder)
            at = data.find(HEAD, last)
            continue
        stray += 1
        if stray > _STRAYHEADS:
            tail = data[last:].replace(placeholder, nonce)
            return nonce.join(parts) + nonce + tail if parts else tail
        at = data.find(HEAD, at + 1)
    if not parts:
        return data
    parts.append(data[last:])
    return nonce.join(parts)


def placeholder_for(length: int) -> bytes:
    """The placeholder that stands for a nonce of ``length`` bytes."""
    return (HEAD + _FILL * (length // len(_FILL) + 1))[:length]
