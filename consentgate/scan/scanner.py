"""The site scanner: crawl a site (or read a local HTML file) and list every tracker it carries.

:func:`scan` fetches the start page, follows same-origin links breadth first (page and depth limits,
a fixed number of concurrent requests through an injected ``httpx.AsyncClient``), and classifies
what each page loads against the same :class:`~consentgate.catalog.Catalog` the gate enforces.
The result, a :class:`ScanReport`, groups findings by service and category, says for each whether
the gate makes it inert, lists third-party hosts the catalog does not know (with the config that
would classify them) and every page that could not be scanned, with the reason. Nothing here
raises for a broken page: problems are data in the report.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import httpx

from ..catalog.catalog import Catalog, Service
from ..config import Config
from ..errors import ConsentGateError
from .tags import FoundTag, find_tags

__all__ = [
    "CookieFinding",
    "Item",
    "Occurrence",
    "PageResult",
    "ScanReport",
    "ServiceFinding",
    "Unclassified",
    "scan",
    "toml_snippet",
]

#: Kinds of tags the rewriter turns inert (``docs/INTERNALS.md``, "Inert tags"); stylesheets it leaves.
GATED_KINDS = frozenset({"script", "inline", "frame", "embed", "pixel", "media", "preload"})
MAX_REDIRECTS = 10
#: A marketing page is well under this; a bigger body is cut here and the rest is not scanned.
MAX_PAGE_BYTES = 5 * 1024 * 1024
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Hosts inline scripts name as identifiers (XML namespaces, vocabularies), never to load from.
_NAMESPACE_HOSTS = frozenset({"www.w3.org", "w3.org", "schema.org", "ogp.me", "purl.org", "xmlns.com"})
#: A host name worth reporting ends in a letters-only top-level label.
_TLD_RE = re.compile(r"\.[a-z]{2,63}$")

Progress = Callable[[int, int], None]


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where something appears: a page and a line of its HTML."""

    page: str
    line: int


@dataclass(slots=True)
class Item:
    """One thing pages load (a script URL, an inline snippet, a frame…), with every place it appears.

    ``gated`` says whether the gate makes it inert for a visitor who has not granted its category;
    ``inert_in_page`` that the scanned pages already carried it inert (the site is behind the gate).
    """

    kind: str
    url: str
    excerpt: str = ""
    gated: bool = False
    inert_in_page: bool = False
    occurrences: list[Occurrence] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "excerpt": self.excerpt,
            "gated": self.gated,
            "inert_in_page": self.inert_in_page,
            "occurrences": [{"page": o.page, "line": o.line} for o in self.occurrences],
        }


@dataclass(slots=True)
class CookieFinding:
    """A cookie: seen in a ``Set-Cookie`` header, or known from the catalog to be set by a found script."""

    name: str
    source: str  # "set-cookie" or "catalog"
    category: str | None
    service: str | None
    lifetime: str
    gated: bool
    pages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "category": self.category,
            "service": self.service,
            "lifetime": self.lifetime,
            "gated": self.gated,
            "pages": list(self.pages),
        }


@dataclass(slots=True)
class ServiceFinding:
    """A known service the pages load, with what loads it and the cookies it brings."""

    service: Service
    items: list[Item] = field(default_factory=list)
    cookies: list[CookieFinding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        s = self.service
        return {
            "id": s.id,
            "name": s.name,
            "provider": s.provider,
            "category": s.category,
            "items": [i.to_json() for i in self.items],
            "cookies": [c.to_json() for c in self.cookies],
        }


@dataclass(slots=True)
class Unclassified:
    """A third-party host the catalog does not know: the gate lets it run. ``snippet`` classifies it."""

    host: str
    snippet: str
    items: list[Item] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "snippet": self.snippet, "items": [i.to_json() for i in self.items]}


@dataclass(slots=True)
class PageResult:
    """One page the crawl reached: ``problem`` is empty when it was scanned."""

    url: str
    depth: int
    status: int | None = None
    problem: str = ""
    final_url: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "depth": self.depth,
            "status": self.status,
            "problem": self.problem or None,
            "final_url": self.final_url or self.url,
        }


@dataclass(slots=True)
class ScanReport:
    """Everything a scan found. ``failed`` is true when anything is unclassified."""

    target: str
    pages: list[PageResult] = field(default_factory=list)
    services: dict[str, ServiceFinding] = field(default_factory=dict)
    unclassified: dict[str, Unclassified] = field(default_factory=dict)
    unknown_cookies: list[CookieFinding] = field(default_factory=list)
    categories: tuple[str, ...] = ()
    #: Same-origin links the page limit kept the crawl from following.
    not_followed: set[str] = field(default_factory=set)

    @property
    def broken_pages(self) -> list[PageResult]:
        """The pages that could not be scanned, with the reason."""
        return [p for p in self.pages if p.problem]

    @property
    def failed(self) -> bool:
        """True when a third-party host or a cookie is unclassified (exit status 1 for CI)."""
        return bool(self.unclassified or self.unknown_cookies)

    def by_category(self) -> list[tuple[str, list[ServiceFinding]]]:
        """The service findings grouped by category, in the config's category order."""
        order = {name: i for i, name in enumerate(self.categories)}
        groups: dict[str, list[ServiceFinding]] = {}
        for finding in self.services.values():
            groups.setdefault(finding.service.category, []).append(finding)
        return [
            (name, sorted(groups[name], key=lambda f: f.service.name.lower()))
            for name in sorted(groups, key=lambda n: (order.get(n, len(order)), n))
        ]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-able data (``consentgate scan --format json``)."""
        return {
            "target": self.target,
            "failed": self.failed,
            "pages": [p.to_json() for p in self.pages],
            "categories": {name: [f.to_json() for f in findings] for name, findings in self.by_category()},
            "unclassified": [u.to_json() for u in self.unclassified.values()],
            "unknown_cookies": [c.to_json() for c in self.unknown_cookies],
            "not_followed": sorted(self.not_followed),
        }


# --- the scan -------------------------------------------------------------------------------------


async def scan(
    target: str,
    *,
    catalog: Catalog | None = None,
    config: Config | None = None,
    client: httpx.AsyncClient | None = None,
    max_pages: int = 50,
    max_depth: int = 3,
    concurrency: int = 4,
    request_timeout: float = 10.0,
    progress: Progress | None = None,
) -> ScanReport:
    """Scan ``target`` (an http(s) URL, a ``file:`` URL or a path to an HTML file).

    ``client`` is used for every request (tests point it at a loopback server); without one a
    client is made and closed here; ``request_timeout`` is in seconds per request. Raises :class:`~consentgate.errors.ConsentGateError` only when
    ``target`` is neither a URL nor a file; every per-page problem is reported in the result.
    """
    config = config or Config()
    catalog = catalog or Catalog.builtin().with_config(config)
    start = _start_url(target)
    crawler = _Crawler(
        start,
        classifier=_Classifier(catalog, config, ScanReport(target, categories=config.category_names)),
        client=client,
        max_pages=max(1, max_pages),
        max_depth=max(0, max_depth),
        concurrency=max(1, concurrency),
        timeout=request_timeout,
        progress=progress,
    )
    return await crawler.run()


def _start_url(target: str) -> str:
    scheme = urlsplit(target).scheme.lower()
    if scheme in ("http", "https"):
        if not urlsplit(target).hostname:
            raise ConsentGateError(f"{target!r} has no host; pass a URL such as https://www.example.com/.")
        return urldefrag(target)[0]
    if scheme == "file":
        path = Path(unquote(urlsplit(target).path))
    elif len(scheme) > 1:  # "c:" on Windows is a drive, not a scheme
        raise ConsentGateError(f"{target!r} is not an http(s) URL or a file; pass a URL or an HTML file.")
    else:
        path = Path(target)
    if not path.is_file():
        raise ConsentGateError(
            f"{target!r} is neither an http(s) URL nor an existing file; pass https://… or a path."
        )
    return path.resolve().as_uri()


class _Crawler:
    """Breadth-first crawl with a fixed number of workers; owns the page list and the link frontier."""

    def __init__(
        self,
        start: str,
        *,
        classifier: _Classifier,
        client: httpx.AsyncClient | None,
        max_pages: int,
        max_depth: int,
        concurrency: int,
        timeout: float,
        progress: Progress | None,
    ) -> None:
        self.start = start
        self.classifier = classifier
        self.report = classifier.report
        self.client = client
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.concurrency = concurrency
        self.timeout = timeout
        self.progress = progress
        self.local = start.startswith("file:")
        self.root = _file_path(start).parent if self.local else Path()
        self.origin = _origin(start)
        self.seen: set[str] = set()
        self.done = 0
        self.queue: asyncio.Queue[PageResult] = asyncio.Queue()

    async def run(self) -> ScanReport:
        own_client = self.client is None and not self.local
        if own_client:
            self.client = httpx.AsyncClient(headers={"user-agent": "consentgate-scan"})
        try:
            self._enqueue(self.start, 0)
            workers = [asyncio.create_task(self._work()) for _ in range(self.concurrency)]
            try:
                await self.queue.join()
            finally:
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
        finally:
            if own_client and self.client is not None:
                await self.client.aclose()
        self.report.pages.sort(key=lambda p: (p.depth, p.url))
        return self.report

    def _enqueue(self, url: str, depth: int) -> None:
        if url in self.seen:
            return
        if len(self.report.pages) >= self.max_pages:
            self.report.not_followed.add(url)
            return
        self.seen.add(url)
        page = PageResult(url, depth)
        self.report.pages.append(page)
        self.queue.put_nowait(page)
        self._tick()

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.done, len(self.report.pages))

    async def _work(self) -> None:
        while True:
            page = await self.queue.get()
            try:
                await self._visit(page)
            except Exception as exc:  # a bug on one odd page must not cost the whole report
                page.problem = f"could not be scanned ({type(exc).__name__}: {exc})"
            finally:
                self.done += 1
                self._tick()
                self.queue.task_done()

    async def _visit(self, page: PageResult) -> None:
        html, cookies = self._read_file(page) if self.local else await self._fetch(page)
        if html is None:
            return
        if page.final_url:
            if page.final_url in self.seen:
                return  # an on-site redirect to a page the crawl has (or will have) scanned itself
            self.seen.add(page.final_url)
        base = page.final_url or page.url
        name = self._name(base)
        tags = find_tags(html)
        self.classifier.page(name, base, tags, cookies)
        if page.depth >= self.max_depth:
            return
        for tag in tags:
            if tag.kind == "link":
                link = self._follow(base, tag.url)
                if link is not None:
                    self._enqueue(link, page.depth + 1)

    def _name(self, url: str) -> str:
        """How a page is named in the report: its path (and query) on the scanned site."""
        if self.local:
            path = _file_path(url)
            return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
        parts = urlsplit(url)
        if _origin(url) != self.origin:
            return url
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def _follow(self, base: str, href: str) -> str | None:
        """The URL of a same-origin page link, without its fragment; None for anything else."""
        url = urldefrag(urljoin(base, href.strip()))[0]
        if self.local:
            # A local site is the start file's folder and everything under it.
            if not url.startswith("file:") or not url.lower().endswith((".html", ".htm")):
                return None
            return url if _file_path(url).is_relative_to(self.root) else None
        return url if _origin(url) == self.origin else None

    # --- reading pages ----------------------------------------------------------------------------

    def _read_file(self, page: PageResult) -> tuple[str | None, list[str]]:
        path = _file_path(page.url)
        try:
            data = path.read_bytes()[:MAX_PAGE_BYTES]
        except FileNotFoundError:
            page.problem = "file not found"
            return None, []
        except OSError as exc:
            page.problem = f"cannot be read ({exc.strerror})"
            return None, []
        return data.decode(_charset("", data), errors="replace"), []

    async def _fetch(self, page: PageResult) -> tuple[str | None, list[str]]:
        assert self.client is not None
        chain = [page.url]
        cookies: list[str] = []
        url = page.url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                request = self.client.build_request("GET", url, timeout=self.timeout)
                response = await self.client.send(request, stream=True, follow_redirects=False)
                try:
                    page.status = response.status_code
                    cookies.extend(response.headers.get_list("set-cookie"))
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        url = urldefrag(urljoin(url, location.strip()))[0]
                        problem = self._redirect_problem(page, chain, url)
                        if problem:
                            page.problem = problem
                            return None, cookies
                        chain.append(url)
                        continue
                    page.final_url = url if url != page.url else ""
                    return await self._body(page, response), cookies
                finally:
                    await response.aclose()
            page.problem = f"more than {MAX_REDIRECTS} redirects"
        except httpx.TimeoutException:
            page.problem = f"timed out after {self.timeout:g} s"
        except httpx.ConnectError as exc:
            page.problem = f"unreachable ({_reason(exc)})"
        except httpx.HTTPError as exc:
            page.problem = f"request failed ({_reason(exc)})"
        except httpx.InvalidURL as exc:
            page.problem = f"not a valid URL ({exc})"
        return None, cookies

    def _redirect_problem(self, page: PageResult, chain: list[str], url: str) -> str:
        if _origin(url) != self.origin:
            if page.depth == 0 and urlsplit(url).scheme in ("http", "https"):
                # The start URL moved (http -> https, example.com -> www.example.com): the site is
                # where it landed, and the crawl follows links there.
                self.origin = _origin(url)
                return ""
            return f"redirects off-site to {url}"
        if url in chain:
            loop = " → ".join(self._name(u) for u in [*chain[chain.index(url) :], url])
            return f"redirect loop: {loop}"
        return ""

    async def _body(self, page: PageResult, response: httpx.Response) -> str | None:
        if response.status_code >= 400:
            page.problem = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            return None
        content_type = response.headers.get("content-type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        if media not in _HTML_TYPES:
            page.problem = f"not HTML ({media or 'no Content-Type'})"
            return None
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= MAX_PAGE_BYTES:
                break
        data = bytes(body[:MAX_PAGE_BYTES])
        return data.decode(_charset(content_type, data), errors="replace")


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def _charset(content_type: str, data: bytes) -> str:
    """The page's encoding: the Content-Type charset, else a ``<meta charset>``, else UTF-8."""
    candidates = []
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            candidates.append(value.strip().strip('"'))
    found = _META_CHARSET.search(data[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii"))
    for name in candidates:
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return "utf-8"


def _file_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    default = {"http": 80, "https": 443}.get(scheme)
    host = (parts.hostname or "").rstrip(".")
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


# --- classification -------------------------------------------------------------------------------


class _Classifier:
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
        service = self._explicit(tag, host) or self.catalog.match_url(absolute)
        if service is None:
            if not _third_party(host, first_party):
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
            if not _third_party(host, first_party):
                continue
            known = self.catalog.match_url(absolute)
            where = Occurrence(page, line)
            if known is None:
                self._unclassified(host, "inline", url, tag.excerpt, where, tag.inert)
            else:
                self._found(known, "inline", url, tag.excerpt, where, False, tag.inert)

    def _explicit(self, tag: FoundTag, host: str) -> Service | None:
        """The service a tag's own ``data-cg-category`` (and ``data-cg-service``) assigns it."""
        if not tag.category:
            return None
        known = self.catalog.services.get(tag.service) if tag.service else None
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


def _third_party(host: str, site: str) -> bool:
    if not site:  # a local file: every host on the network is someone else's
        return True
    return not (host == site or host.endswith("." + site))


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def toml_snippet(host: str, categories: tuple[str, ...]) -> str:
    """The ``consentgate.toml`` table that would classify ``host`` (pick the category that fits)."""
    sid = (_SLUG_RE.sub("-", host.lower()).strip("-") or "unknown")[:64]
    choices = ", ".join(categories)
    return (
        f"[services.{sid}]\n"
        f'name = "{host}"\n'
        f'category = "analytics"  # the category that fits: {choices}\n'
        f'hosts = ["{host}"]\n'
    )
