"""The ``[blocking]`` and ``[site]`` sections: what happens to tags from hosts no list knows.

``blocking.unknown_third_party = "block"`` keeps every loading tag of a host that is neither first
party (``site.first_party_hosts``, and the request's own host), nor known to the catalog, nor in
``blocking.allow_hosts`` inert until the site classifies or allows it (``consentgate.catalog.hosts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .checks import check_hosts

__all__ = ["BlockingConfig", "SiteConfig"]


@dataclass(frozen=True, slots=True)
class BlockingConfig:
    """``[blocking]``: ``unknown_third_party`` ("allow", the default, or "block") and ``allow_hosts``,
    host suffixes whose tags load in block mode though no list knows them."""

    unknown_third_party: Literal["allow", "block"] = "allow"
    allow_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_hosts(self.allow_hosts, "blocking.allow_hosts")


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """``[site]``: ``first_party_hosts`` are host suffixes that are the site's own (its CDN, its other
    domains); the request's own host always is."""

    first_party_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_hosts(self.first_party_hosts, "site.first_party_hosts")
