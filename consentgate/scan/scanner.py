"""The site scanner: crawl a site (or read a local HTML file) and list every tracker it carries.

:func:`scan` fetches the start page, follows same-origin links breadth first (page and depth limits,
a fixed number of concurrent requests through an injected ``httpx.AsyncClient``: ``crawl``), and
classifies what each page loads against the same :class:`~consentgate.catalog.Catalog` the gate
enforces (``classify``). The result, a :class:`~.report.ScanReport`, groups findings by service and
category, says for each whether the gate makes it inert, lists third-party hosts the catalog does
not know (with the config that would classify them) and every page that could not be scanned, with
the reason. Nothing here raises for a broken page: problems are data in the report.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import httpx

from ..catalog import Catalog
from ..config import Config
from ..errors import ConsentGateError
from .classify import Classifier
from .crawl import Crawler, Progress
from .report import ScanReport

__all__ = ["scan"]


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
    client is made and closed here; ``request_timeout`` is in seconds per request. Raises
    :class:`~consentgate.errors.ConsentGateError` only when ``target`` is neither a URL nor a file;
    every per-page problem is reported in the result.
    """
    config = config or Config()
    catalog = catalog or Catalog.builtin().with_config(config)
    start = _start_url(target)
    report = ScanReport(target, categories=config.category_names)
    crawler = Crawler(
        start,
        report=report,
        on_page=Classifier(catalog, config, report).page,
        client=client,
        max_pages=max(1, max_pages),
        max_depth=max(0, max_depth),
        concurrency=max(1, concurrency),
        timeout=request_timeout,
        progress=progress,
    )
    return await crawler.run()


def _start_url(target: str) -> str:
    """The URL the crawl starts from: an http(s) URL without its fragment, or a file's ``file:`` URL."""
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
