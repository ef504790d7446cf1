"""The :class:`Catalog`: which third-party service a URL, an inline snippet or a cookie belongs to.

:meth:`Catalog.builtin` builds it once from our data (``loading``); :meth:`Catalog.with_config`
layers a site's ``[services]`` on top. Matching is built for the rewriter's hot path: a dict from
host suffix to service, probed label by label and cached per host; path rules only for the few
hosts that serve several services; snippet patterns run only where their literals occur; cookie
answers cached per name, our services first, then the Open Cookie Database (``ocd``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ..config import Config
from .loading import apply_override, load_builtin
from .ocd import FUNCTIONAL, OcdEntry, OcdTable
from .service import CookieRule, Service
from .snippets import compile_snippets
from .urls import compile_path, normal_host, split_url

# Service and CookieRule are the types this module's answers are made of; importers that name
# this module for them keep working.
__all__ = ["Catalog", "CookieRule", "Service"]

#: Caches keyed by host or cookie name are cleared when they reach this size (a page cannot grow
#: them without bound by inventing hosts).
_CACHE_LIMIT: Final = 8192


@dataclass(slots=True)
class _HostEntry:
    service: Service | None  # the host rule of the longest matching suffix
    rules: tuple[tuple[re.Pattern[str], Service], ...]  # path rules, most specific first


class Catalog:
    """Services by id, and the lookups the rewriter, the cookie filter and the scanner use."""

    def __init__(
        self,
        services: Iterable[Service],
        *,
        ocd: OcdTable | None = None,
        functional_category: str | None = None,
    ) -> None:
        self.services: Mapping[str, Service] = MappingProxyType({s.id: s for s in services})
        self._ocd = ocd if ocd is not None else OcdTable({}, ())
        self._functional = functional_category or None
        self._hosts: dict[str, Service] = {}
        self._paths: dict[str, list[tuple[int, re.Pattern[str], Service]]] = {}
        exact: dict[str, Service] = {}
        prefixes: list[tuple[str, Service]] = []
        for service in self.services.values():
            for host in service.hosts:
                self._hosts[host] = service
            for rule in service.paths:
                host, _, path = rule.partition("/")
                self._paths.setdefault(host, []).append((len(path), compile_path("/" + path), service))
            for cookie in service.cookies:
                if cookie.prefix:
                    prefixes.append((cookie.name, service))
                else:
                    exact[cookie.name] = service
        self._cookie_exact = exact
        self._cookie_prefixes = tuple(sorted(prefixes, key=lambda p: -len(p[0])))
        self._inline_rules = compile_snippets(self.services.values())
        self._host_cache: dict[str, _HostEntry | None] = {}
        self._cookie_cache: dict[str, tuple[str | None, Service | None]] = {}
        self._ocd_services: dict[tuple[str, str | None], Service] = {}

    # --- construction ----------------------------------------------------------------------------

    @classmethod
    def builtin(cls) -> Catalog:
        """The built-in catalog (``data/services.toml`` plus the Open Cookie Database), loaded once."""
        return _builtin()

    def with_config(self, config: Config) -> Catalog:
        """This catalog with the site's ``[services]`` added or overriding, and its cookie settings.

        Raises :class:`~consentgate.errors.ConfigError` for a new service without a category.
        """
        services = dict(self.services)
        for sid, override in config.services.items():
            if not override.enabled:
                services.pop(sid, None)
                continue
            services[sid] = apply_override(sid, services.get(sid), override)
        functional = config.cookie_filter.functional_category or None
        if services == dict(self.services) and functional == self._functional:
            return self
        return Catalog(services.values(), ocd=self._ocd, functional_category=functional)

    # --- URLs and hosts ---------------------------------------------------------------------------

    def match_url(self, url: str) -> Service | None:
        """The service an absolute or protocol-relative URL belongs to; None for relative URLs,
        other schemes, first-party and unknown hosts. Case, ports and userinfo do not matter."""
        parts = split_url(url)
        if parts is None:
            return None
        entry = self._entry(parts[0])
        if entry is None:
            return None
        if entry.rules:
            target = parts[1].lower()
            for pattern, service in entry.rules:
                if pattern.match(target):
                    return service
        return entry.service

    def match_host(self, host: str) -> Service | None:
        """The service a host belongs to by its host rules alone (path rules need :meth:`match_url`)."""
        name = normal_host(host)
        if not name:
            return None
        entry = self._entry(name)
        return entry.service if entry is not None else None

    def _entry(self, host: str) -> _HostEntry | None:
        try:
            return self._host_cache[host]
        except KeyError:
            pass
        service: Service | None = None
        rules: list[tuple[int, re.Pattern[str], Service]] = []
        suffix = host
        while True:
            if service is None:
                service = self._hosts.get(suffix)
            rules.extend(self._paths.get(suffix, ()))
            dot = suffix.find(".")
            if dot < 0:
                break
            suffix = suffix[dot + 1 :]
        entry = None
        if service is not None or rules:
            rules.sort(key=lambda r: -r[0])
            entry = _HostEntry(service, tuple((p, s) for _, p, s in rules))
        if len(self._host_cache) >= _CACHE_LIMIT:
            self._host_cache.clear()
        self._host_cache[host] = entry
        return entry

    # --- inline scripts ---------------------------------------------------------------------------

    def match_inline(self, text: str) -> Service | None:
        """The service whose install snippet appears in an inline script's text (first one found)."""
        # Each service's regex runs only where one of its snippets' literal parts occurs: a C
        # substring search skims unrelated JavaScript at memory speed, where one big alternation
        # was tried at every position (about 2 MB/s). Leftmost match wins, ties to catalog order,
        # as with a single alternation.
        best: tuple[int, Service] | None = None
        for literals, pattern, service in self._inline_rules:
            if any(literal in text for literal in literals):
                found = pattern.search(text)
                if found is not None and (best is None or found.start() < best[0]):
                    best = (found.start(), service)
        return best[1] if best is not None else None

    # --- cookies ----------------------------------------------------------------------------------

    def cookie_category(self, name: str) -> str | None:
        """The category of a cookie by its name: catalog rules first, then the Open Cookie Database
        (with our corrections); None when neither knows it."""
        return self._cookie(name)[0]

    def cookie_service(self, name: str) -> Service | None:
        """The service that sets a cookie: a catalog service, or one made from its OCD row."""
        return self._cookie(name)[1]

    def _cookie(self, name: str) -> tuple[str | None, Service | None]:
        try:
            return self._cookie_cache[name]
        except KeyError:
            pass
        answer = self._cookie_uncached(name)
        if len(self._cookie_cache) >= _CACHE_LIMIT:
            self._cookie_cache.clear()
        self._cookie_cache[name] = answer
        return answer

    def _cookie_uncached(self, name: str) -> tuple[str | None, Service | None]:
        service = self._cookie_exact.get(name)
        if service is None:
            for prefix, candidate in self._cookie_prefixes:
                if name.startswith(prefix):
                    service = candidate
                    break
        if service is not None:
            return service.category, service
        entry = self._ocd.find(name)
        if entry is None:
            return None, None
        category = self._functional if entry.category == FUNCTIONAL else entry.category
        if category is None:
            return None, None
        return category, self._ocd_service(entry, category) if entry.platform else None

    def _ocd_service(self, entry: OcdEntry, category: str) -> Service:
        # Made once per platform and category, not once per cookie name.
        key = (entry.platform, category)
        service = self._ocd_services.get(key)
        if service is None:
            service = self._ocd_services[key] = entry.service(category)
        return service


@functools.cache
def _builtin() -> Catalog:
    services, ocd = load_builtin()
    return Catalog(services, ocd=ocd)
