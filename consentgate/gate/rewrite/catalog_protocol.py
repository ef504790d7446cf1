"""What the rewriter asks of the catalog (:mod:`consentgate.catalog`), as protocols.

The rewriter only needs two questions answered, so it depends on these and not on the catalog.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["CatalogLike", "ServiceLike"]


class ServiceLike(Protocol):
    """What the rewriter reads of a service (``consentgate.catalog.Service``)."""

    @property
    def id(self) -> str: ...

    @property
    def category(self) -> str: ...


class CatalogLike(Protocol):
    """What the rewriter asks of the catalog (``consentgate.catalog.Catalog``)."""

    def match_url(self, url: str, /) -> ServiceLike | None: ...

    def match_inline(self, text: str, /) -> ServiceLike | None: ...
