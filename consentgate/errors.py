"""The one exception tree of consentgate.

Everything the package raises on purpose derives from :class:`ConsentGateError`, so a
caller can catch the whole family with one ``except``.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConsentGateError",
    "HTTPError",
    "IdentityError",
    "StoreError",
]


class ConsentGateError(Exception):
    """Base class of every error consentgate raises on purpose."""


class ConfigError(ConsentGateError, ValueError):
    """The configuration is wrong; the message is one sentence that says what to fix."""


class StoreError(ConsentGateError):
    """The consent store could not do what was asked (connection, schema, integrity)."""


class IdentityError(ConsentGateError, ValueError):
    """An identifier that cannot be normalised (the message says which and why)."""


class HTTPError(ConsentGateError):
    """A request the gate refuses: becomes ``{"error": code, "detail": detail}`` with a 4xx status."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
