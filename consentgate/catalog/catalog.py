"""The :class:`Catalog`: which third-party service a URL, an inline snippet or a cookie belongs to.

:meth:`Catalog.builtin` builds it once from our data (``loading``); :meth:`Catalog.with_config`
layers a site's ``[services]`` and ``[blocking]`` on top. Two layers answer for hosts: ours (the
built-in services and the site's), whose host and path rules always win, then third-party-web's
entities (``tpw``); a host neither knows is nobody's, or in block mode an unclassified
pseudo-service (``hosts``). Matching is built for the rewriter's hot path: dicts from host suffix
to service, one probe per label suffix and layer, cached per host; path rules only for the few
hosts that serve several services; snippet patterns run only where their literals occur; cookie
answers cached per name, our services first, then the Open Cookie Database (``ocd``).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ..config import DEFAULT_CATEGORIES, BlockingConfig, Config
from .guard import guard_table
from .hosts import HostPolicy, request_hosts
from .loading import apply_override, load_builtin
from .ocd import FUNCTIONAL, OcdEntry, OcdTable
from .service import CookieRule, Service
from .snippets import InlineRule, compile_snippets, snippet_patterns
from .tpw import TpwEntity, TpwLayer
from .urls import FIRST_PARTY_HOST, compile_path, normal_host, plain_split, split_url

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
        data: TpwLayer | None = None,
        policy: HostPolicy | None = None,
        site_ids: Iterable[str] = (),
        categories: Collection[str] = tuple(DEFAULT_CATEGORIES),
    ) -> None:
        #: Our services and the site's, and the data's services the site names in ``[services]``:
        #: what the banner and the declaration list (never the whole data layer).
        self.services: Mapping[str, Service] = MappingProxyType({s.id: s for s in services})
        #: The data layer as loaded, and as it answers for the config's categories.
        self._data_loaded = data if data is not None else TpwLayer.empty()
        self._categories = tuple(categories)
        self._data = self._data_loaded.for_categories(self._categories)
        #: Every service of the third-party-web layer, by id.
        self.data_services: Mapping[str, Service] = MappingProxyType(dict(self._data.services))
        self._data_suffixes = self._data.suffixes
        self._data_exact = self._data.exact
        self.policy = policy if policy is not None else HostPolicy()
        self._site_ids = frozenset(site_ids)
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
        self._inline_literals = _literal_index(self._inline_rules)
        self._host_cache: dict[str, _HostEntry | None] = {}
        self._cookie_cache: dict[str, tuple[str | None, Service | None]] = {}
        self._ocd_services: dict[tuple[str, str | None], Service] = {}

    # --- construction ----------------------------------------------------------------------------

    @classmethod
    def builtin(cls) -> Catalog:
        """The built-in catalog (``data/services.toml`` plus the Open Cookie Database), loaded once."""
        return _builtin()

    def with_config(self, config: Config) -> Catalog:
        """This catalog with the site's ``[services]`` added or overriding, its cookie settings and
        its ``[blocking]`` and ``[site]`` hosts.

        A ``[services.<id>]`` table naming a third-party-web service (``tpw-…``) overrides it where
        it is and puts it on the banner's list. Raises :class:`~consentgate.errors.ConfigError` for
        a new service without a category.
        """
        services = dict(self.services)
        data_changes: dict[str, Service | None] = {}
        names = config.category_names
        loaded = self._data_loaded.for_categories(names)
        for sid, override in config.services.items():
            data_base = loaded.services.get(sid)
            if not override.enabled:
                services.pop(sid, None)
                if data_base is not None:
                    data_changes[sid] = None
                continue
            service = apply_override(sid, services.get(sid) or data_base, override)
            services[sid] = service
            if data_base is not None:
                data_changes[sid] = service
        functional = config.cookie_filter.functional_category or None
        if (
            not config.services
            and functional == self._functional
            and config.blocking == BlockingConfig()
            and not config.site.first_party_hosts
            and not self.policy.block
            and names == self._categories
        ):
            return self
        policy = HostPolicy(
            config.blocking.unknown_third_party == "block",
            config.site.first_party_hosts,
            config.blocking.allow_hosts,
        )
        return Catalog(
            services.values(),
            ocd=self._ocd,
            functional_category=functional,
            data=self._data_loaded.replaced(data_changes),
            policy=policy,
            site_ids=config.services,
            categories=names,
        )

    def for_request_host(self, host: str) -> Catalog:
        """This catalog for a response to ``host``: itself unless unknown hosts are blocked and
        ``host`` is not first party already, else a view that also counts ``host`` (and for
        ``www.`` hosts the apex) as first party. The view shares every table but its host cache."""
        hosts = request_hosts(host)
        if not self.policy.block or not hosts or self.policy.is_first_party(hosts[-1]):
            return self
        view = copy.copy(self)
        view.policy = self.policy.with_first_party(hosts)
        view._host_cache = {}
        return view

    # --- what answers, for people and for the banner's guard ----------------------------------------

    def find(self, sid: str) -> Service | None:
        """The service of an id, in our layer or the data layer."""
        return self.services.get(sid) or self.data_services.get(sid)

    def source(self, service: Service) -> str:
        """Where a service comes from: ``site config``, ``built-in``, ``third-party-web``,
        ``Open Cookie Database`` or ``unknown host`` (block mode's pseudo-service)."""
        if service.id in self._site_ids:
            return "site config"
        if service.id in self.data_services:
            return "third-party-web"
        if service.id.startswith("ocd:"):
            return "Open Cookie Database"
        if service.id in self.services:
            return "built-in"
        return "unknown host"

    @property
    def entities(self) -> tuple[TpwEntity, ...]:
        """Every entity of the third-party-web data, imported or not (for coverage reports)."""
        return self._data_loaded.entities

    def guard_table(self) -> dict[str, object]:
        """What the banner's guard needs to know of hosts, compact and JSON-able (see
        :func:`~consentgate.catalog.guard.guard_table` for its shape)."""
        return guard_table(self.services.values(), self._data, self.policy)

    # --- URLs and hosts ---------------------------------------------------------------------------

    def match_url(self, url: str) -> Service | None:
        """The service an absolute or protocol-relative URL belongs to; None for relative URLs,
        other schemes, first-party and unknown hosts. Case, ports and userinfo do not matter."""
        # Most URLs are plain: their host (and, for the few hosts with path rules, their path) is
        # read without the full parser, which costs ten times more.
        parts = plain_split(url, False)
        if parts is None or parts[0] == FIRST_PARTY_HOST:
            parts = split_url(url)
            if parts is None:
                return None
        entry = self._entry(parts[0])
        if entry is None:
            return self.policy.unknown(parts[0])
        if entry.rules:
            full = plain_split(url) or split_url(url)
            if full is None:
                return None
            target = full[1].lower()
            for pattern, service in entry.rules:
                if pattern.match(target):
                    return service
        return entry.service

    def match_authority(self, host: str) -> tuple[bool, Service | None]:
        """What :meth:`match_url` answers for every http(s) URL whose authority is exactly ``host``
        (ASCII letters, digits, dots and hyphens) and whose path starts right after it:
        ``(True, service)`` when the answer does not depend on the path, ``(False, None)`` when it
        may (the host has path rules, or it is not a plain host name)."""
        parts = plain_split("//" + host, False)
        if parts is None:
            return False, None
        if parts[0] == FIRST_PARTY_HOST:
            return True, None
        entry = self._entry(parts[0])
        if entry is None:
            return True, self.policy.unknown(parts[0])
        if entry.rules:
            return False, None
        return True, entry.service

    def match_host(self, host: str) -> Service | None:
        """The service a host belongs to by its host rules alone (path rules need :meth:`match_url`)."""
        name = normal_host(host)
        if not name:
            return None
        entry = self._entry(name)
        if entry is None:
            return self.policy.unknown(name)
        return entry.service

    def _entry(self, host: str) -> _HostEntry | None:
        try:
            return self._host_cache[host]
        except KeyError:
            pass
        service: Service | None = None
        data: Service | None = self._data_exact.get(host)
        rules: list[tuple[int, re.Pattern[str], Service]] = []
        suffix = host
        while True:
            if service is None:
                service = self._hosts.get(suffix)
            if data is None:
                data = self._data_suffixes.get(suffix)
            rules.extend(self._paths.get(suffix, ()))
            dot = suffix.find(".")
            if dot < 0:
                break
            suffix = suffix[dot + 1 :]
        # Our host rules win over the data's at any length; our path rules over both.
        service = service or data
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
        # Each snippet's regex runs only where its literal part occurs: a C substring search skims
        # unrelated JavaScript at memory speed, where one big alternation was tried at every
        # position (about 2 MB/s). Each distinct literal is looked for once (several services
        # share some). Leftmost match wins, ties to catalog order, as with a single alternation.
        best: tuple[int, int] | None = None
        # (the literals tested in one comprehension: a script names one or two of them at most)
        for snippets in [snippets for literal, snippets in self._inline_literals if literal in text]:
            # Each snippet's own pattern: the leftmost of them is where the service's
            # alternation would match (a match contains its snippet's literal).
            for index, pattern in snippets:
                found = pattern.search(text)
                if found is not None and (best is None or (found.start(), index) < best):
                    best = (found.start(), index)
        return self._inline_rules[best[1]][2] if best is not None else None

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
    services, ocd, data = load_builtin()
    return Catalog(services, ocd=ocd, data=data)


def _literal_index(
    rules: list[InlineRule],
) -> tuple[tuple[str, tuple[tuple[int, re.Pattern[str]], ...]], ...]:
    """Each distinct literal of the snippets, with the snippets (rule index, own pattern) whose
    matches contain it."""
    index: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
    for literal, number, pattern in snippet_patterns(rules):
        owners = index.setdefault(literal, [])
        if not any(n == number and p.pattern == pattern.pattern for n, p in owners):
            owners.append((number, pattern))
    return tuple((literal, tuple(owners)) for literal, owners in index.items())
