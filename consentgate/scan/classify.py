"""Classification: what each scanned page loads, sorted against the catalog the gate enforces.

:class:`Classifier` turns a page's tags and ``Set-Cookie`` headers into the report's findings:
known services (and whether the gate makes each tag inert), third-party hosts the catalog does not
know (with the :func:`toml_snippet` that would classify them), and cookies by category.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from ..catalog import Catalog, Service
from ..catalog.hosts import UNCLASSIFIED
from ..config import Config
from .report import CookieFinding, Item, Occurrence, ScanReport, ServiceFinding, Unclassified
from .tags import FoundTag

__all__ = ["GATED_KINDS", "Classifier", "describe_seconds", "toml_snippet"]

#: Kinds of tags the rewriter turns inert (``docs/ARCHITECTURE.md``, "Inert tags"); stylesheets it leaves.
GATED_KINDS = frozenset({"script", "inline", "frame", "embed", "pixel", "media", "preload"})
#: Hosts inline scripts name as identifiers (XML namespaces, vocabularies), never to load from.
_NAMESPACE_HOSTS = frozenset({"www.w3.org", "w3.org", "schema.org", "ogp.me", "purl.org", "xmlns.com"})
#: A host name worth reporting ends in a letters-only top-level label.
_TLD_RE = re.compile(r"\.[a-z]{2,63}$")


class Classifier:
    """Sorts what each page loads into services, unclassified hosts and cookies."""

    def __init__(self, catalog: Catalog, config: Config, report: ScanReport) -> None:
        self.catalog = catalog
        self.config = config
        self.report = report
        self._items: dict[tuple[str, str, str], Item] = {}
        self._cookies: dict[tuple[str, str], CookieFinding] = {}
        self._keep = config.cookie_filter.keep
        self._own_cookies = {config.cookie.name, config.cookie.name + "_state"}

    def page(self, name: str, url: str, tags: list[FoundTag], set_cookies: list[str]) -> None:
        """Classify one scanned page (``name`` as the report shows it, ``url`` to resolve links)."""
        first_party = _site_host(url)
        for tag in tags:
            if tag.kind == "link":
                continue
            if tag.kind == "inline":
                self._inline(name, tag, first_party)
            else:
                self._tag(name, url, tag, first_party)
        for header in set_cookies:
            self._set_cookie(name, header)

    def _tag(self, page: str, base: str, tag: FoundTag, first_party: str) -> None:
        absolute = urljoin(base, tag.url) if not tag.url.startswith("//") else "https:" + tag.url
        host = _host(absolute)
        if not host:
            return  # data:, javascript:, blob: and the like load nothing from a host
        service = self._explicit(tag, host) or _known(self.catalog.match_url(absolute))
        if service is None:
            if not _third_party(host, first_party) or self.catalog.policy.is_first_party(host):
                return
            self._unclassified(host, tag.kind, tag.url, "", Occurrence(page, tag.line), tag.inert)
            return
        gated = service.category != "necessary" and tag.kind in GATED_KINDS
        self._found(service, tag.kind, tag.url, "", Occurrence(page, tag.line), gated, tag.inert)

    def _inline(self, page: str, tag: FoundTag, first_party: str) -> None:
        service = self._explicit(tag, "") or self.catalog.match_inline(tag.text)
        if service is not None:
            gated = service.category != "necessary"
            self._found(service, "inline", "", tag.excerpt, Occurrence(page, tag.line), gated, tag.inert)
            return
        # No known snippet: the hosts the script names are what it may load. A known host here is a
        # service the gate will not catch (it matches inline scripts by snippet), so not gated.
        for url, line in tag.script_urls():
            absolute = "https:" + url if url.startswith("//") else url
            host = _host(absolute)
            if not host or host in _NAMESPACE_HOSTS or not _TLD_RE.search(host):
                continue  # XML namespaces and "a//b.c" arithmetic name no host that is loaded
            if not _third_party(host, first_party) or self.catalog.policy.is_first_party(host):
                continue
            known = _known(self.catalog.match_url(absolute))
            where = Occurrence(page, line)
            if known is None:
                self._unclassified(host, "inline", url, tag.excerpt, where, tag.inert)
            else:
                self._found(known, "inline", url, tag.excerpt, where, False, tag.inert)

    def _explicit(self, tag: FoundTag, host: str) -> Service | None:
        """The service a tag's own ``data-cg-category`` (and ``data-cg-service``) assigns it."""
        if not tag.category:
            return None
        known = self.catalog.find(tag.service) if tag.service else None
        if known is not None and known.category == tag.category:
            return known
        sid = tag.service or ("site:" + (host or "inline"))
        return Service(
            id=sid, name=tag.service or host or "inline script", provider="", category=tag.category
        )

    def _found(
        self,
        service: Service,
        kind: str,
        url: str,
        excerpt: str,
        where: Occurrence,
        gated: bool,
        inert: bool,
    ) -> None:
        finding = self.report.services.get(service.id)
        if finding is None:
            finding = self.report.services[service.id] = ServiceFinding(service)
            for rule in service.cookies:
                cookie = CookieFinding(
                    rule.name + ("*" if rule.prefix else ""),
                    "catalog",
                    service.category,
                    service.id,
                    rule.lifetime,
                    service.category != "necessary",
                )
                finding.cookies.append(cookie)
        item = self._item(finding.items, service.id, kind, url, excerpt, gated)
        item.inert_in_page = item.inert_in_page or inert
        if where not in item.occurrences:
            item.occurrences.append(where)
        for cookie in finding.cookies:
            if cookie.source == "catalog" and where.page not in cookie.pages:
                cookie.pages.append(where.page)

    def _unclassified(
        self, host: str, kind: str, url: str, excerpt: str, where: Occurrence, inert: bool
    ) -> None:
        entry = self.report.unclassified.get(host)
        if entry is None:
            entry = self.report.unclassified[host] = Unclassified(
                host, toml_snippet(host, self.config.category_names)
            )
        item = self._item(entry.items, "host:" + host, kind, url, excerpt, False)
        item.inert_in_page = item.inert_in_page or inert
        if where not in item.occurrences:
            item.occurrences.append(where)

    def _item(self, items: list[Item], owner: str, kind: str, url: str, excerpt: str, gated: bool) -> Item:
        key = (owner, kind, url or excerpt)
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = Item(kind, url, excerpt, gated)
            items.append(item)
        return item

    def _set_cookie(self, page: str, header: str) -> None:
        name, lifetime = _parse_set_cookie(header)
        if not name:
            return
        if name in self._own_cookies:
            category: str | None = "necessary"
            service: Service | None = None
        else:
            category = self.catalog.cookie_category(name)
            service = self.catalog.cookie_service(name)
        key = (name, "set-cookie")
        cookie = self._cookies.get(key)
        if cookie is None:
            kept = any(name.startswith(k[:-1]) if k.endswith("*") else name == k for k in self._keep)
            gated = (
                category is not None
                and category != "necessary"
                and self.config.cookie_filter.enabled
                and not kept
            )
            cookie = self._cookies[key] = CookieFinding(
                name, "set-cookie", category, service.id if service else None, lifetime, gated
            )
            if category is None and not kept:
                self.report.unknown_cookies.append(cookie)
            elif service is not None:
                finding = self.report.services.setdefault(service.id, ServiceFinding(service))
                finding.cookies.append(cookie)
            else:
                # Known category without a service (the gate's own cookies): a pseudo-service.
                own = Service(
                    id="consentgate", name="consentgate", provider="this site", category="necessary"
                )
                self.report.services.setdefault(own.id, ServiceFinding(own)).cookies.append(cookie)
        if page not in cookie.pages:
            cookie.pages.append(page)


def _parse_set_cookie(header: str) -> tuple[str, str]:
    """``(name, lifetime)`` of a Set-Cookie header; the lifetime in words ("session" without one)."""
    first, *attributes = header.split(";")
    name = first.split("=", 1)[0].strip()
    max_age = expires = ""
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        key = key.strip().lower()
        if key == "max-age":
            max_age = value.strip()
        elif key == "expires":
            expires = value.strip()
    if max_age.lstrip("-").isdigit():
        return name, describe_seconds(int(max_age))
    if expires:
        try:
            when = parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return name, f"until {expires}"
        return name, f"until {when.date().isoformat()}"
    return name, "session"


def describe_seconds(seconds: int) -> str:
    """A cookie lifetime in words: ``"2 years"``, ``"30 days"``, ``"1 hour"``, ``"deleted"``."""
    if seconds <= 0:
        return "deleted"
    for unit, size in (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size) if unit != "day" else seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _host(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return ""
    try:
        return (parts.hostname or "").rstrip(".")
    except ValueError:
        return ""


def _site_host(url: str) -> str:
    """The host that counts as first-party for a page (``www.`` dropped, so subdomains count too)."""
    host = _host(url)
    return host.removeprefix("www.")


def _known(service: Service | None) -> Service | None:
    """A catalog answer, or None for a host no list knows (block mode's pseudo-service included:
    the report lists such hosts with the TOML that classifies them)."""
    return None if service is None or service.category == UNCLASSIFIED else service


def _third_party(host: str, site: str) -> bool:
    if not site:  # a local file: every host on the network is someone else's
        return True
    return not (host == site or host.endswith("." + site))


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def toml_snippet(host: str, categories: tuple[str, ...]) -> str:
    """The ``consentgate.toml`` table that would classify ``host`` (pick the category that fits), and
    the ``[blocking]`` line that would let it load unclassified in deny-by-default mode."""
    sid = (_SLUG_RE.sub("-", host.lower()).strip("-") or "unknown")[:64]
    choices = ", ".join(categories)
    return (
        f"[services.{sid}]\n"
        f'name = "{host}"\n'
        f'category = "analytics"  # the category that fits: {choices}\n'
        f'hosts = ["{host}"]\n'
        f'# or, to let it load without a category: [blocking] allow_hosts = ["{host}"]\n'
    )
