"""The service catalog: which third-party service a URL, an inline snippet or a cookie belongs to.

The data lives in ``data/services.toml`` (our services, with the reasons for their categories) and
``data/open-cookie-database.csv`` (the Open Cookie Database, shipped unmodified; the corrections we
apply to it live in the ``[ocd]`` table of ``services.toml``). :meth:`Catalog.builtin` loads both once;
:meth:`Catalog.with_config` layers a site's ``[services]`` on top.

Matching is built for the rewriter's hot path: a dict from host suffix to service, walked label by
label and cached per host; path rules only for the few hosts that serve several services; one
compiled alternation for inline snippets; cookie answers cached per name.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from ..config import Config, ServiceConfig, ServiceCookieConfig
from ..errors import ConfigError

__all__ = ["Catalog", "CookieRule", "Service"]

_DATA = "data"
_SERVICES_FILE = "services.toml"
_OCD_FILE = "open-cookie-database.csv"
#: Caches keyed by host or cookie name are cleared when they reach this size (a page cannot grow
#: them without bound by inventing hosts).
_CACHE_LIMIT: Final = 8192


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


@dataclass(frozen=True, slots=True)
class _OcdEntry:
    """One usable row of the Open Cookie Database, category already mapped to ours."""

    name: str
    prefix: bool
    category: str | None  # ours, or _FUNCTIONAL, or None for "unknown"
    platform: str
    description: str
    retention: str
    controller: str
    privacy_url: str


#: Placeholder for the OCD's Functional / Personalization rows: a site decides what they are
#: (``cookie_filter.functional_category``); by default they are unknown.
_FUNCTIONAL: Final = "\x00functional"


@dataclass(frozen=True, slots=True)
class _Ocd:
    exact: Mapping[str, _OcdEntry]
    prefixes: tuple[_OcdEntry, ...]  # longest first


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
        ocd: _Ocd | None = None,
        functional_category: str | None = None,
    ) -> None:
        self.services: Mapping[str, Service] = MappingProxyType({s.id: s for s in services})
        self._ocd = ocd if ocd is not None else _Ocd({}, ())
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
                self._paths.setdefault(host, []).append((len(path), _compile_path("/" + path), service))
            for cookie in service.cookies:
                if cookie.prefix:
                    prefixes.append((cookie.name, service))
                else:
                    exact[cookie.name] = service
        self._cookie_exact = exact
        self._cookie_prefixes = tuple(sorted(prefixes, key=lambda p: -len(p[0])))
        self._inline_rules = _compile_snippets(self.services.values())
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
            services[sid] = _apply_override(sid, services.get(sid), override)
        functional = config.cookie_filter.functional_category or None
        if services == dict(self.services) and functional == self._functional:
            return self
        return Catalog(services.values(), ocd=self._ocd, functional_category=functional)

    # --- URLs and hosts ---------------------------------------------------------------------------

    def match_url(self, url: str) -> Service | None:
        """The service an absolute or protocol-relative URL belongs to; None for relative URLs,
        other schemes, first-party and unknown hosts. Case, ports and userinfo do not matter."""
        parts = _split_url(url)
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
        name = _normal_host(host)
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
        entry = self._ocd.exact.get(name)
        if entry is None:
            for candidate_entry in self._ocd.prefixes:
                if name.startswith(candidate_entry.name):
                    entry = candidate_entry
                    break
        if entry is None:
            return None, None
        category = self._functional if entry.category == _FUNCTIONAL else entry.category
        if category is None:
            return None, None
        return category, self._ocd_service(entry, category) if entry.platform else None

    def _ocd_service(self, entry: _OcdEntry, category: str) -> Service:
        key = (entry.platform, category)
        service = self._ocd_services.get(key)
        if service is None:
            service = Service(
                id="ocd:" + _slug(entry.platform),
                name=entry.platform,
                provider=entry.controller or entry.platform,
                category=category,
                purpose=entry.description,
                privacy_url=entry.privacy_url,
            )
            self._ocd_services[key] = service
        return service


# --- URL parsing ------------------------------------------------------------------------------------

_URL_JUNK = re.compile(r"[\t\n\r]")


def _split_url(url: str) -> tuple[str, str] | None:
    """``(host, rest)`` of an absolute http(s) or protocol-relative URL, else None.

    Follows what browsers do: leading/trailing spaces and inner tabs/newlines are ignored, the
    scheme and host are case-insensitive, ``\\`` counts as ``/``, userinfo and port are dropped.
    """
    url = url.strip(" \t\n\r\f\v\x00")
    if "\t" in url or "\n" in url or "\r" in url:
        url = _URL_JUNK.sub("", url)
    head = url[:8].lower().replace("\\", "/")
    if head.startswith("//"):
        start = 2
    elif head.startswith("https://"):
        start = 8
    elif head.startswith("http://"):
        start = 7
    else:
        return None
    # Browsers accept any run of slashes after the scheme (https:////host).
    while start < len(url) and url[start] in "/\\":
        start += 1
    end = len(url)
    for stop in "/?#\\":
        at = url.find(stop, start, end)
        if at >= 0:
            end = at
    host = _normal_host(url[start:end])
    if not host:
        return None
    rest = url[end:].replace("\\", "/") if end < len(url) else "/"
    if not rest.startswith("/"):
        rest = "/" + rest
    return host, rest


def _normal_host(authority: str) -> str:
    """The lower-case host of an authority, without userinfo, port or a trailing dot."""
    at = authority.rfind("@")
    if at >= 0:
        authority = authority[at + 1 :]
    if authority.startswith("["):  # an IPv6 literal: never a tracker host of ours
        return authority.lower()
    colon = authority.find(":")
    if colon >= 0:
        authority = authority[:colon]
    if "%" in authority:
        from urllib.parse import unquote

        authority = unquote(authority)
    return authority.strip().rstrip(".").lower()


def _compile_path(path: str) -> re.Pattern[str]:
    """A path rule as a regex matched at the start of ``path?query`` (lower-cased).

    ``*`` stands for one path segment (``/*/fbevents.js`` covers every locale). A rule ending in
    ``/`` or holding ``?`` is a plain prefix; otherwise it must end at a segment boundary, so that
    ``/tr`` matches ``/tr?id=1`` and ``/tr/`` but not ``/trending``.
    """
    path = path.lower()
    pattern = "[^/?#]*".join(re.escape(part) for part in path.split("*"))
    if not path.endswith("/") and "?" not in path:
        pattern += r"(?=[/?#;]|$)"
    return re.compile(pattern)


def _snippet_pattern(snippet: str) -> str:
    """A snippet as a regex: either quote matches either quote, and a space, or the place after
    ``(`` and ``,``, matches any whitespace (minified or pretty-printed snippets look alike)."""
    out: list[str] = []
    for char in snippet:
        if char in "'\"":
            out.append("[\"']")
        elif char == " ":
            out.append(r"\s*")
        elif char in "(,":
            out.append(re.escape(char) + r"\s*")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _compile_snippets(services: Iterable[Service]) -> list[tuple[tuple[str, ...], re.Pattern[str], Service]]:
    rules: list[tuple[tuple[str, ...], re.Pattern[str], Service]] = []
    for service in services:
        if service.snippets:
            # Longer snippets first so a specific one wins over its own prefix.
            alts = sorted(service.snippets, key=len, reverse=True)
            pattern = re.compile("|".join(_snippet_pattern(s) for s in alts))
            rules.append((tuple(_literal(s) for s in alts), pattern, service))
    return rules


def _literal(snippet: str) -> str:
    """The longest part of ``snippet`` that any text matching its pattern contains verbatim."""
    parts: list[str] = []
    current = ""
    for char in snippet:
        if char in "'\" ":  # either quote, or any whitespace, may stand there
            parts.append(current)
            current = ""
        elif char in "(,":  # followed by optional whitespace
            parts.append(current + char)
            current = ""
        else:
            current += char
    parts.append(current)
    return max(parts, key=len)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


# --- loading ----------------------------------------------------------------------------------------


def _apply_override(sid: str, base: Service | None, override: ServiceConfig) -> Service:
    where = f"services.{sid}"
    if base is None:
        if not override.category:
            raise ConfigError(f"{where!r} is a new service and needs a 'category'.")
        if not (override.hosts or override.paths or override.snippets or override.cookies):
            raise ConfigError(f"{where!r} needs at least one of 'hosts', 'paths', 'snippets' or 'cookies'.")
        base = Service(id=sid, name=override.name or sid, provider=override.provider, category="")
    cookies = base.cookies
    if override.cookies is not None:
        cookies = tuple(_cookie_rule(c) for c in override.cookies)
    return Service(
        id=sid,
        name=override.name or base.name,
        provider=override.provider or base.provider,
        category=override.category or base.category,
        hosts=tuple(h.lower() for h in override.hosts) if override.hosts is not None else base.hosts,
        paths=override.paths if override.paths is not None else base.paths,
        snippets=override.snippets if override.snippets is not None else base.snippets,
        cookies=cookies,
        purpose=override.purpose or base.purpose,
        privacy_url=override.privacy_url or base.privacy_url,
    )


def _cookie_rule(cookie: str | ServiceCookieConfig) -> CookieRule:
    if isinstance(cookie, str):
        return CookieRule.parse(cookie)
    return CookieRule.parse(cookie.name, cookie.lifetime, cookie.purpose)


@functools.cache
def _builtin() -> Catalog:
    data = tomllib.loads(resources.files(__package__).joinpath(_DATA, _SERVICES_FILE).read_text("utf-8"))
    services = [_service_from_toml(sid, raw) for sid, raw in data.get("services", {}).items()]
    with resources.files(__package__).joinpath(_DATA, _OCD_FILE).open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        ocd = _load_ocd(csv.DictReader(text), data.get("ocd", {}))
    return Catalog(services, ocd=ocd)


def _service_from_toml(sid: str, raw: Mapping[str, Any]) -> Service:
    cookies = tuple(
        CookieRule.parse(c["name"], c.get("lifetime", ""), c.get("purpose", ""))
        for c in raw.get("cookies", ())
    )
    return Service(
        id=sid,
        name=raw["name"],
        provider=raw["provider"],
        category=raw["category"],
        hosts=tuple(raw.get("hosts", ())),
        paths=tuple(raw.get("paths", ())),
        snippets=tuple(raw.get("snippets", ())),
        cookies=cookies,
        purpose=raw.get("purpose", ""),
        privacy_url=raw.get("privacy_url", ""),
    )


#: Columns of the upstream CSV we read (the refresh script checks they are all there).
OCD_COLUMNS: Final = (
    "Platform",
    "Category",
    "Cookie / Data Key name",
    "Description",
    "Retention period",
    "Data Controller",
    "User Privacy & GDPR Rights Portals",
    "Wildcard match",
)
_NAME_OK = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z:\[\]]+\Z")
#: How much a wrong row costs decides which of two rows for one name wins: the more protective.
_RANK = {"advertising": 4, "analytics": 3, _FUNCTIONAL: 2, None: 1, "necessary": 0}


@dataclass(slots=True)
class _OcdRules:
    categories: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str | dict[str, str]] = field(default_factory=dict)
    exact_only: frozenset[str] = frozenset()
    min_exact: int = 3
    min_prefix: int = 4


def _load_ocd(rows: Iterable[Mapping[str, str]], table: Mapping[str, Any]) -> _Ocd:
    rules = _OcdRules(
        categories=dict(table.get("categories", {})),
        overrides=dict(table.get("overrides", {})),
        exact_only=frozenset(table.get("exact_only", ())),
        min_exact=int(table.get("min_exact_length", 3)),
        min_prefix=int(table.get("min_prefix_length", 4)),
    )
    exact: dict[str, _OcdEntry] = {}
    prefixes: dict[str, _OcdEntry] = {}
    for row in rows:
        entry = _ocd_entry(row, rules)
        if entry is None:
            continue
        table_ = prefixes if entry.prefix else exact
        held = table_.get(entry.name)
        if held is None or _RANK[entry.category] > _RANK[held.category]:
            table_[entry.name] = entry
    # Our corrections name cookies the database lacks too (or files wrongly): they always apply.
    for written, value in rules.overrides.items():
        rule = CookieRule.parse(written)
        category, platform = (
            (value, None) if isinstance(value, str) else (value["category"], value["platform"])
        )
        table_ = prefixes if rule.prefix else exact
        base = table_.get(rule.name)
        if base is None or (platform is not None and platform != base.platform):
            # Another setter than the row says: keep nothing of the row but the name.
            base = _OcdEntry(rule.name, rule.prefix, None, platform or "", "", "", platform or "", "")
        mapped = _FUNCTIONAL if category == "functional" else (category or None)
        table_[rule.name] = dataclasses.replace(base, prefix=rule.prefix, category=mapped)
    ordered = tuple(sorted(prefixes.values(), key=lambda e: -len(e.name)))
    return _Ocd(MappingProxyType(exact), ordered)


def _ocd_entry(row: Mapping[str, str], rules: _OcdRules) -> _OcdEntry | None:
    name = (row.get("Cookie / Data Key name") or "").strip().replace("\xad", "")
    prefix = (row.get("Wildcard match") or "").strip() == "1"
    if name.endswith("*"):
        name, prefix = name.rstrip("*"), True
    if not name or not _NAME_OK.match(name):
        return None  # placeholders such as "pagead/conv/%INTEGER%", or names with spaces
    if prefix and (name in rules.exact_only or len(name) < rules.min_prefix):
        prefix = False  # a short prefix ("_s") would swallow the site's own cookies ("_session")
    if len(name) < (rules.min_prefix if prefix else rules.min_exact):
        return None
    raw = (row.get("Category") or "").strip()
    mapped = rules.categories.get(raw)
    category = None if not mapped else (_FUNCTIONAL if mapped == "functional" else mapped)
    return _OcdEntry(
        name=name,
        prefix=prefix,
        category=category,
        platform=(row.get("Platform") or "").strip(),
        description=(row.get("Description") or "").strip(),
        retention=(row.get("Retention period") or "").strip(),
        controller=(row.get("Data Controller") or "").strip(),
        privacy_url=(row.get("User Privacy & GDPR Rights Portals") or "").strip(),
    )
