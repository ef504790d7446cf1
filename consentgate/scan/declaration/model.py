"""The declaration's parts: a category, a service in it, a cookie of the service."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["DeclaredCategory", "DeclaredCookie", "DeclaredService", "safe_url"]


@dataclass(frozen=True, slots=True)
class DeclaredCookie:
    """A cookie as the declaration lists it (a name ending in ``*`` stands for every name it begins)."""

    name: str
    lifetime: str
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class DeclaredService:
    """A service as the declaration lists it."""

    id: str
    name: str
    provider: str
    purpose: str
    privacy_url: str
    cookies: tuple[DeclaredCookie, ...]


@dataclass(frozen=True, slots=True)
class DeclaredCategory:
    """A category with its label, description and services."""

    name: str
    label: str
    description: str
    services: tuple[DeclaredService, ...]


def safe_url(url: str) -> bool:
    """Only http(s) URLs and site paths become links (never ``javascript:`` or ``data:``)."""
    if url.startswith("/") and not url.startswith("//"):
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
