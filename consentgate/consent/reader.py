"""The visitor's :class:`Consent` for a request, from its headers alone (no I/O).

Runs on every request the gate does not answer itself: one pass over the headers, the signed cookie
verified by the codec (cached by its text), the decision by the decider (cached by its inputs). The
consent of a valid cookie is kept until its signature expires, by the cookie's bytes and, for a
request without signal (most), by its whole Cookie header (up to 1 KiB), so a returning visitor
costs one look-up; a request without cookie or signal gets the one shared default.
"""

from __future__ import annotations

import time
from typing import Final, TypeVar

from starlette.types import Scope

from .cookie import CookieCodec
from .decision import Decider
from .model import Consent

__all__ = ["ConsentReader", "cookie_value", "pair_value"]

_CACHE_SIZE: Final = 8192
#: The longest Cookie header kept whole as a key (longer ones are kept by the cookie's value only):
#: it bounds what the cache holds.
_KEY_BYTES: Final = 1024
#: The request headers the reader reads.
_READ: Final = frozenset((b"cookie", b"sec-gpc", b"dnt"))
_K = TypeVar("_K")
#: What ``str.strip()`` strips from a Latin-1 text: a cookie value read as bytes is stripped alike.
_SPACE: Final = bytes(c for c in range(256) if chr(c).isspace())


class ConsentReader:
    """Reads the consent cookie named ``cookie_name`` and the privacy signals of a request."""

    def __init__(self, cookie_name: str, codec: CookieCodec, decider: Decider) -> None:
        self._prefix = cookie_name + "="
        self._pair = self._prefix.encode("latin-1")
        self._codec = codec
        self._decider = decider
        self._uses_region = decider.uses_region
        #: The consent of a request without consent cookie, privacy signal or region.
        self._plain = decider.decide(None, region=None, gpc=False, dnt=False)
        #: By (cookie value, region, GPC, DNT): the consent of a valid cookie, and when it expires.
        self._kept: dict[tuple[bytes, str | None, bool, bool], tuple[Consent, float]] = {}
        #: The same, by the whole Cookie header of a request without signal or region (most
        #: requests): a hit finds the consent without looking for the cookie in the header.
        self._kept_plain: dict[bytes, tuple[Consent, float]] = {}

    def read(self, scope: Scope) -> Consent:
        """The consent for the request in ``scope``."""
        return self.read_with_cookie(scope)[0]

    def read_with_cookie(self, scope: Scope) -> tuple[Consent, bytes]:
        """The consent for the request in ``scope`` and its ``Cookie`` header (several joined by
        ``; ``, empty when none): the response path looks for its other cookies there."""
        cookie = gpc = dnt = b""
        headers = scope["headers"]
        try:
            for name, value in headers:
                if name in _READ:  # one hash and look-up for a header not read, not three tests
                    if name == b"cookie":
                        cookie = value if not cookie else cookie + b"; " + value
                    elif name == b"sec-gpc":
                        gpc = value
                    else:
                        dnt = value
        except TypeError:  # a bytearray name (unhashable; servers send bytes): read as bytes
            return self.read_with_cookie({"headers": [(bytes(n), v) for n, v in headers]})
        if gpc or dnt or self._uses_region:
            return self._read_signals(scope, cookie, gpc, dnt), cookie
        if not cookie:
            return self._plain, cookie
        key = cookie if type(cookie) is bytes else bytes(cookie)
        kept = self._kept_plain.get(key)
        if kept is not None:
            if time.time() < kept[1]:
                return kept[0], cookie
            del self._kept_plain[key]
        found = self._consent_of(cookie, None, False, False)
        if found is None:
            return self._plain, cookie
        if len(key) <= _KEY_BYTES:
            _keep(self._kept_plain, key, found)
        return found[0], cookie

    def _read_signals(self, scope: Scope, cookie: bytes, gpc: bytes, dnt: bytes) -> Consent:
        # A request with a privacy signal, or a site that reads a region header.
        decider = self._decider
        region = decider.region(dict(scope["headers"])) if self._uses_region else None
        gpc_on = gpc != b"" and gpc.strip() == b"1"
        dnt_on = dnt != b"" and dnt.strip() == b"1"
        found = self._consent_of(cookie, region, gpc_on, dnt_on) if cookie else None
        if found is not None:
            return found[0]
        if region is None and not gpc_on and not dnt_on:
            return self._plain
        return decider.decide(None, region=region, gpc=gpc_on, dnt=dnt_on)

    def _consent_of(
        self, cookie: bytes, region: str | None, gpc: bool, dnt: bool
    ) -> tuple[Consent, float] | None:
        """The consent of the valid consent cookie in a Cookie header and when it expires; None
        when the header holds none (or one that is malformed, tampered with or expired)."""
        raw = pair_value(cookie, self._pair)
        if not raw:
            return None
        if type(raw) is not bytes:  # a bytearray header (servers send bytes): hashable for the key
            raw = bytes(raw)
        key = (raw, region, gpc, dnt)
        kept = self._kept.get(key)
        if kept is not None:
            if time.time() < kept[1]:
                return kept
            del self._kept[key]
        found = self._codec.verified(raw.decode("latin-1"))
        if found is None:
            return None
        kept = (self._decider.decide(found[0], region=region, gpc=gpc, dnt=dnt), found[1])
        _keep(self._kept, key, kept)
        return kept


def _keep(cache: dict[_K, tuple[Consent, float]], key: _K, entry: tuple[Consent, float]) -> None:
    if len(cache) >= _CACHE_SIZE:
        del cache[next(iter(cache))]  # the oldest entry
    cache[key] = entry


def pair_value(header: bytes, pair: bytes) -> bytes | None:
    """The value of the cookie whose ``pair`` (``b"name="``) starts a pair of a Cookie header
    (``b"xname="`` is another cookie), stripped of spaces and quotes; None when there is none."""
    # find, not ``in``: bytes' ``in`` first tries its operand as an integer, and the TypeError it
    # raises and clears costs more than the whole search.
    at = header.find(pair)
    while at >= 0:
        if at == 0 or header[at - 1] in b"; ":
            end = header.find(b";", at)
            return header[at + len(pair) : end if end >= 0 else None].strip(_SPACE).strip(b'"')
        at = header.find(pair, at + 1)
    return None


def cookie_value(header: str, prefix: str) -> str | None:
    """The value of the cookie named by ``prefix`` (``"name="``) in a Cookie header, else None
    (:func:`pair_value` of the text)."""
    found = pair_value(header.encode("latin-1", "replace"), prefix.encode("latin-1", "replace"))
    return None if found is None else found.decode("latin-1")
