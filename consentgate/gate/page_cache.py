"""Whole pages already rewritten, answered without being read again (see :mod:`.html_response`).

A site serves the same pages over and over: a body that came in one message, with the same
blocked categories, nonce, coding and plan, gets the same rewrite. The body itself is the key (no
hash can collide); keys and answers count towards a bound, and the memory starts over when full.
A site whose pages change on every request (a token, a nonce) never finds one, and keying and
keeping each page costs it about a sixth of what the gate adds to such a page: so bodies are
looked up only while recent look-ups found some, and one in ``_PROBE`` otherwise.
"""

from __future__ import annotations

from typing import Final

__all__ = ["PageCache", "PageKey"]

#: (body as sent, blocked categories, CSP nonce of the header, content coding, charset, sniffed,
#: host of a plan of its own or "")
PageKey = tuple[bytes, frozenset[str], str | None, bytes, bytes, bool, str]
_BYTES: Final = 32 * 1024 * 1024
_ENTRY_BYTES: Final = 2 * 1024 * 1024
#: The share of look-ups that must find something for every body to be looked up.
_WORTH: Final = 0.1
_PROBE: Final = 16


class PageCache:
    """Rewritten pages by :data:`PageKey`, each with its ``Content-Length`` value and the
    ``charset`` its ``Content-Type`` is made to name (None: the app's stands); bounded."""

    __slots__ = ("_bytes", "_pages", "_share", "_skips")

    def __init__(self) -> None:
        self._pages: dict[PageKey, tuple[bytes, bytes, bytes | None]] = {}
        self._bytes = 0
        self._share = 1.0  # the running share of look-ups that found the page
        self._skips = 0

    def __len__(self) -> int:
        return len(self._pages)

    def worth_looking_up(self) -> bool:
        """Whether to look a whole body up (and keep its rewrite): while recent look-ups found
        some, else one body in ``_PROBE``, to find out again."""
        if self._share >= _WORTH:
            return True
        self._skips += 1
        return self._skips % _PROBE == 0

    def found(self, hit: bool) -> None:
        """A look-up's answer, for :meth:`worth_looking_up`."""
        self._share = self._share * 0.9 + (0.1 if hit else 0.0)

    def get(self, key: PageKey) -> tuple[bytes, bytes, bytes | None] | None:
        """The rewritten page, its ``Content-Length`` value and ``charset``, or None."""
        return self._pages.get(key)

    def remember(self, key: PageKey, out: bytes, pin: bytes | None = None) -> None:
        size = len(key[0]) + len(out)
        if size > _ENTRY_BYTES:
            return
        if self._bytes + size > _BYTES:
            # Cheaper than tracking recency; what a site serves fills it again at once.
            self._pages.clear()
            self._bytes = 0
        self._pages[key] = (out, str(len(out)).encode("ascii"), pin)
        self._bytes += size
