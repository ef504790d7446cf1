"""The readable state cookie (``<cookie name>_state``), built here and nowhere else.

The banner and the bootstrap cannot read the signed, HttpOnly consent cookie, so the server sets this
one beside it: ``<revision>.<decided 0|1>.<granted categories joined by '-'>``, e.g.
``3.1.necessary-analytics``. The server never trusts it. Both of its uses (after a choice, and the
default state of an undecided visitor under an opt-out regime) share one set of attributes, and so
does its deletion: an HTML page for a visitor without a valid signed cookie of the current revision
deletes a state cookie the browser sent (it is stale, or forged), so the banner cannot act on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..config import Config
from ..config.regimes import default_grants, regime_names
from .reader import pair_value

__all__ = ["StateCookie"]

Header = tuple[bytes, bytes]


class StateCookie:
    """Builds ``Set-Cookie`` headers of the readable state cookie for one configuration."""

    def __init__(self, config: Config) -> None:
        self.name = f"{config.cookie.name}_state"
        self._names = config.category_names
        self._revision = config.revision
        self._max_age = config.cookie.max_age_days * 86400
        self._attributes = "; Path=/; SameSite=Lax" + (
            f"; Domain={config.cookie.domain}" if config.cookie.domain else ""
        )
        #: The headers for undecided visitors, by "the request is https", then by granted set:
        #: precomputed, since the response path looks one up per HTML page. Only defaults that grant
        #: more than ``necessary`` have one (a regime that grants a category until it is refused,
        #: with or without GPC): the banner treats
        #: a visitor without a state cookie as having refused everything.
        self.defaults: dict[bool, dict[frozenset[str], Header]] = {
            secure: self._default_headers(config, secure=secure) for secure in (False, True)
        }
        #: The header that deletes the state cookie, by "the request is https" (same attributes).
        self.deletions: dict[bool, Header] = {
            secure: (
                b"set-cookie",
                f"{self.name}=; Max-Age=0{self._attributes}{'; Secure' if secure else ''}".encode("latin-1"),
            )
            for secure in (False, True)
        }
        self._pair = (self.name + "=").encode("latin-1")

    def sent(self, headers: Iterable[Header]) -> bool:
        """Whether the request ``headers`` (ASGI, lower-case names) carry a state cookie."""
        return any(name == b"cookie" and self.sent_in(value) for name, value in headers)

    def sent_in(self, cookie: bytes) -> bool:
        """Whether a ``Cookie`` header (or several joined by ``; ``) carries a state cookie."""
        return pair_value(cookie, self._pair) is not None

    def header(self, granted: frozenset[str], *, decided: bool, secure: bool) -> Header:
        """The header for this state; a decided state lasts as long as the consent cookie, a default
        one for the browser session (it only mirrors the configuration, which may change)."""
        value = "-".join(name for name in self._names if name in granted)
        cookie = f"{self.name}={self._revision}.{int(decided)}.{value}{self._attributes}"
        if decided:
            cookie += f"; Max-Age={self._max_age}"
        if secure:
            cookie += "; Secure"
        return (b"set-cookie", cookie.encode("latin-1"))

    def _default_headers(self, config: Config, *, secure: bool) -> dict[frozenset[str], Header]:
        # Every default any regime gives (per category: granted until refused, or not), with and
        # without a privacy signal.
        custom = config.region.custom
        grants = default_grants(
            regime_names(custom), custom, config.category_names, config.signals.gpc_refuses
        )
        return {
            granted: self.header(granted, decided=False, secure=secure)
            for granted in grants
            if granted != {"necessary"}
        }
