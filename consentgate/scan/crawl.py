"""The crawl: fetch a site's pages (or read local HTML files) breadth first, same origin only.

:class:`Crawler` runs a fixed number of workers over a queue, with page and depth limits, through
an injected ``httpx.AsyncClient`` (tests point it at a loopback server). It follows redirects itself
so that it can name loops and off-site jumps, reads at most :data:`MAX_PAGE_BYTES` of a page, and
hands each page's tags and ``Set-Cookie`` headers to a callback. A page that cannot be scanned is
not an exception: its :class:`~.report.PageResult` carries the reason.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import httpx

from .report import PageResult, ScanReport
from .tags import FoundTag, find_tags

__all__ = ["MAX_PAGE_BYTES", "MAX_REDIRECTS", "Crawler", "PageSink", "Progress"]

MAX_REDIRECTS = 10
#: A marketing page is well under this; a bigger body is cut here and the rest is not scanned.
MAX_PAGE_BYTES = 5 * 1024 * 1024
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

#: Called with (pages done, pages found) whenever either changes.
Progress = Callable[[int, int], None]
#: Called for each scanned page with its name in the report, its URL, its tags and Set-Cookie headers.
PageSink = Callable[[str, str, list[FoundTag], list[str]], None]


class Crawler:
    """Breadth-first crawl with a fixed number of workers; owns the page list and the link frontier.

    Every page it reaches goes into ``report.pages`` (links past the page limit into
    ``report.not_followed``); each page it scans goes to ``on_page``.
    """

    def __init__(
        self,
        start: str,
        *,
        report: ScanReport,
        on_page: PageSink,
        client: httpx.AsyncClient | None,
        max_pages: int,
        max_depth: int,
        concurrency: int,
        timeout: float,
        progress: Progress | None,
    ) -> None:
        self.start = start
        self.report = report
        self.on_page = on_page
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
        """Crawl from the start page until the queue is empty; the report, pages in (depth, URL) order."""
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
        self.on_page(name, base, tags, cookies)
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
