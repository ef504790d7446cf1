"""The placeholder that stands for a response's CSP nonce while :mod:`.memo` looks segments up.

The nonce is new on every request and sits on every script, so segments are keyed with a
placeholder of the same length in its place, and the output gets the nonce back.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["HEAD", "NONCE", "placeholder_for", "put_back"]

#: What a nonce must look like to be replaced (base64 or base64url, as long as CSP asks).
NONCE = re.compile(rb"[A-Za-z0-9+/_=-]{16,256}")
#: The placeholder: "Q", then "Z"s. "Q" occurs once, so the placeholder has no border (no
#: beginning that is also an ending): two occurrences can never overlap, nor can page text and a
#: placeholder beside it spell another one, so replacing every occurrence, left to right, is
#: exact both ways.
HEAD: Final = b"Q"
_FILL: Final = b"Z"


def put_back(data: bytes, placeholder: bytes, nonce: bytes) -> bytes:
    """``data`` with ``nonce`` for every ``placeholder``."""
    return data.replace(placeholder, nonce)


def placeholder_for(length: int) -> bytes:
    """The placeholder that stands for a nonce of ``length`` bytes."""
    return (HEAD + _FILL * (length // len(_FILL) + 1))[:length]
