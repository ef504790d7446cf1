"""The visitor's :class:`Consent` for a request, from its headers alone (no I/O).

Runs on every request the gate does not answer itself: one pass over the headers, the signed cookie
verified by the codec (cached by its text), the decision by the decider (cached by its inputs).
"""

from __future__ import annotations

from starlette.types import Scope

from .cookie import CookieCodec
from .decision import Decider
from .model import Consent

__all__ = ["ConsentReader", "cookie_value"]


class ConsentReader:
    """Reads the consent cookie named ``cookie_name`` and the privacy signals of a request."""

    def __init__(self, cookie_name: str, codec: CookieCodec, decider: Decider) -> None:
        self._prefix = cookie_name + "="
        self._codec = codec
        self._decider = decider

    def read(self, scope: Scope) -> Consent:
        """The consent for the request in ``scope``."""
        cookie = gpc = dnt = b""
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie = value if not cookie else cookie + b"; " + value
            elif name == b"sec-gpc":
                gpc = value
            elif name == b"dnt":
                dnt = value
        choice = None
        if cookie:
            raw = cookie_value(cookie.decode("latin-1"), self._prefix)
            if raw:
                choice = self._codec.decode(raw)
        decider = self._decider
        region = decider.region(dict(scope["headers"])) if decider.uses_region else None
        return decider.decide(choice, region=region, gpc=gpc.strip() == b"1", dnt=dnt.strip() == b"1")


def cookie_value(header: str, prefix: str) -> str | None:
    """The value of the cookie named by ``prefix`` (``"name="``) in a Cookie header, else None."""
    start = 0
    while True:
        at = header.find(prefix, start)
        if at < 0:
            return None
        # Only a match at the start of a cookie pair counts ("xconsentgate=" is another cookie).
        if at == 0 or header[at - 1] in "; ":
            end = header.find(";", at)
            value = header[at + len(prefix) : end if end >= 0 else None].strip()
            return value.strip('"')
        start = at + 1
