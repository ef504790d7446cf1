"""The catalog's model: a third-party service and the cookies it sets."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CookieRule", "Service"]


@dataclass(frozen=True, slots=True)
class CookieRule:
    """A cookie of a service: an exact name, or a prefix when ``prefix`` is true."""

    name: str
    prefix: bool = False
    lifetime: str = ""
    purpose: str = ""

    def matches(self, cookie: str) -> bool:
        """True when ``cookie`` (a name, case-sensitive as browsers treat it) is this rule's."""
        return cookie.startswith(self.name) if self.prefix else cookie == self.name

    @classmethod
    def parse(cls, name: str, lifetime: str = "", purpose: str = "") -> CookieRule:
        """A rule from its written form: ``"_ga"`` is exact, ``"_ga_*"`` a prefix."""
        if name.endswith("*"):
            return cls(name.rstrip("*"), True, lifetime, purpose)
        return cls(name, False, lifetime, purpose)


@dataclass(frozen=True, slots=True)
class Service:
    """One third-party service: where its tags come from and which cookies it sets."""

    id: str
    name: str
    provider: str
    category: str
    hosts: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    snippets: tuple[str, ...] = ()
    cookies: tuple[CookieRule, ...] = ()
    purpose: str = ""
    privacy_url: str = ""
