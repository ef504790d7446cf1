"""Deny-by-default: what the catalog answers for a host that no layer knows.

With ``blocking.unknown_third_party = "allow"`` (the default) an unknown host is nobody's: its
tags run. With ``"block"`` a host that is neither first party (``site.first_party_hosts`` and
the request's own host) nor in ``blocking.allow_hosts`` belongs to a pseudo-service of the
category :data:`UNCLASSIFIED`, which no visitor can grant: its tags stay inert until the site
classifies the host (a ``[services]`` entry) or allows it. Host lists are suffixes, probed label
by label like the catalog's own hosts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .service import Service

__all__ = ["UNCLASSIFIED", "UNKNOWN_PREFIX", "HostPolicy", "covered", "request_hosts"]

#: The pseudo-category of an unknown third-party host in block mode (a reserved category name).
UNCLASSIFIED: Final = "unclassified"
#: The id of an unknown host's pseudo-service is this followed by the host.
UNKNOWN_PREFIX: Final = "unknown:"
_CACHE_LIMIT: Final = 4096


def request_hosts(host: str) -> tuple[str, ...]:
    """The first-party suffixes a request's own host brings: itself, and for ``www.example.com``
    also ``example.com`` (the same site's apex and its other subdomains, such as a static host)."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return ()
    if host.startswith("www.") and host.count(".") >= 2:
        return (host, host[4:])
    return (host,)


class HostPolicy:
    """Which unknown hosts are gated, and the pseudo-services that gate them."""

    __slots__ = ("_allowed", "_cache", "_first", "block")

    def __init__(
        self, block: bool = False, first_party: Iterable[str] = (), allow: Iterable[str] = ()
    ) -> None:
        self.block = block
        self._first = frozenset(h.lower().rstrip(".") for h in first_party if h)
        self._allowed = frozenset(h.lower().rstrip(".") for h in allow if h)
        self._cache: dict[str, Service | None] = {}

    @property
    def first_party(self) -> frozenset[str]:
        """The first-party host suffixes (from the config, plus the request's host in a view)."""
        return self._first

    @property
    def allowed(self) -> frozenset[str]:
        """The host suffixes of ``blocking.allow_hosts``."""
        return self._allowed

    def with_first_party(self, hosts: Iterable[str]) -> HostPolicy:
        """This policy with more first-party suffixes (a request's own host)."""
        return HostPolicy(self.block, self._first.union(hosts), self._allowed)

    def is_first_party(self, host: str) -> bool:
        """Whether ``host`` (normalised) is the site's own by a first-party suffix."""
        return covered(host, self._first)

    def unknown(self, host: str) -> Service | None:
        """The pseudo-service of a host no catalog layer knows: None when unknown hosts are
        allowed, or when the host is first party or allowed."""
        if not self.block:
            return None
        try:
            return self._cache[host]
        except KeyError:
            pass
        answer = None
        if not (covered(host, self._first) or covered(host, self._allowed)):
            answer = Service(id=UNKNOWN_PREFIX + host, name=host, provider="", category=UNCLASSIFIED)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[host] = answer
        return answer


def covered(host: str, suffixes: frozenset[str]) -> bool:
    """Whether ``host`` or one of its parent domains is in ``suffixes``: one set probe per label suffix."""
    if not suffixes:
        return False
    while True:
        if host in suffixes:
            return True
        dot = host.find(".")
        if dot < 0:
            return False
        host = host[dot + 1 :]
