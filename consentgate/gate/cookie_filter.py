"""Cookie filtering: drop the app's ``Set-Cookie`` headers for categories the visitor has not granted.

The middleware calls :meth:`CookieFilter.filter` on the headers of ``http.response.start``. Most
responses set no cookie, so that case is one pass over the header names that allocates nothing and
hands back the very same list. Otherwise each ``Set-Cookie`` is judged by its cookie's name:

- the gate's own cookies, the names in ``cookie_filter.keep`` and deletions (``Max-Age=0`` or an
  ``Expires`` in the past: removing a tracker's cookie never needs consent) always stay;
- a cookie the catalog or the Open Cookie Database puts in a category stays when that category is
  ``necessary`` or granted, and is dropped otherwise;
- a cookie neither knows (the site's own) stays unless ``cookie_filter.keep_unknown`` is false.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Container, Sequence
from email.utils import parsedate_to_datetime

from ..catalog.catalog import Catalog, CookieRule
from ..config import Config

__all__ = ["CookieFilter", "Header"]

#: One ASGI header: (lower-case name, value), both bytes.
Header = tuple[bytes, bytes]

_SET_COOKIE = b"set-cookie"
_log = logging.getLogger("consentgate.cookies")


class CookieFilter:
    """Judges ``Set-Cookie`` headers against a visitor's granted categories.

    Built once per gate from the catalog (with the site's config applied) and the config.
    """

    __slots__ = ("_catalog", "_enabled", "_keep", "_keep_unknown", "_own")

    def __init__(self, catalog: Catalog, config: Config) -> None:
        self._catalog = catalog
        self._enabled = config.cookie_filter.enabled
        self._keep_unknown = config.cookie_filter.keep_unknown
        self._own = frozenset({config.cookie.name, config.cookie.name + "_state"})
        self._keep = tuple(CookieRule.parse(name) for name in config.cookie_filter.keep)

    def filter(self, headers: Sequence[Header], granted: Container[str]) -> Sequence[Header]:
        """``headers`` without the ``Set-Cookie`` headers of refused categories.

        Returns ``headers`` itself (not a copy) when nothing is dropped, so the caller can test
        ``result is headers`` to know whether the message changed.
        """
        if not self._enabled:
            return headers
        for name, _ in headers:
            if name == _SET_COOKIE or (len(name) == 10 and name.lower() == _SET_COOKIE):
                break
        else:
            return headers
        kept: list[Header] = []
        dropped = False
        for header in headers:
            name, value = header
            if (name == _SET_COOKIE or (len(name) == 10 and name.lower() == _SET_COOKIE)) and not self.allows(
                value, granted
            ):
                dropped = True
                continue
            kept.append(header)
        return kept if dropped else headers

    def allows(self, set_cookie: bytes, granted: Container[str]) -> bool:
        """True when one ``Set-Cookie`` header value may reach a visitor who granted ``granted``."""
        text = set_cookie.decode("latin-1")
        pair, _, attributes = text.partition(";")
        name = pair.partition("=")[0].strip() if "=" in pair else ""
        if name in self._own:
            return True
        if any(rule.matches(name) for rule in self._keep):
            return True
        category = self.category(name)
        if category is None:
            if self._keep_unknown:
                return True
        elif category == "necessary" or category in granted:
            return True
        if _is_deletion(attributes):
            return True
        _log.debug("dropped Set-Cookie %r (category %s)", name, category or "unknown")
        return False

    def category(self, name: str) -> str | None:
        """The category of a cookie name, looking through the ``__Secure-``/``__Host-`` prefixes."""
        category = self._catalog.cookie_category(name)
        if category is None and name.startswith(("__Secure-", "__Host-")):
            category = self._catalog.cookie_category(name.partition("-")[2])
        return category


def _is_deletion(attributes: str) -> bool:
    """True when the attributes of a Set-Cookie make the browser delete the cookie."""
    lowered = attributes.lower()
    if "max-age" not in lowered and "expires" not in lowered:
        return False
    for attribute in lowered.split(";"):
        key, _, value = attribute.partition("=")
        key, value = key.strip(), value.strip()
        if key == "max-age":
            # Max-Age wins over Expires in every browser, whichever comes first.
            return value.startswith("-") or (value != "" and value.lstrip("0") == "")
    for attribute in attributes.split(";"):
        key, _, value = attribute.partition("=")
        if key.strip().lower() == "expires":
            try:
                return parsedate_to_datetime(value.strip()).timestamp() < time.time()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
    return False
