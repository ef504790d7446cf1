"""A multi-page test site for the scanner on a real loopback uvicorn, and helpers to scan it.

The site has known trackers on several pages, one unknown third-party host (``UNKNOWN_HOST``),
and every kind of broken page: slow, missing, a redirect loop, an off-site redirect, a PDF.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from consentgate.scan import ScanReport, scan
from tests.support.site import free_port

Endpoint = Callable[[Request], Awaitable[Response]]
UNKNOWN_HOST = "cdn.mystery-metrics.example"

HOME = """<!doctype html>
<html><head><title>Home</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST123"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-TEST123');
</script>
<link rel="preconnect" href="https://www.googletagmanager.com">
<link rel="stylesheet" href="/static/site.css">
</head><body>
<nav><a href="/pricing">Pricing</a> <a href="/blog#top">Blog</a> <a href="/slow">Slow</a>
<a href="/gone">Gone</a> <a href="/loop-a">Loop</a> <a href="/offsite">Partner</a>
<a href="/brochure.pdf">Brochure</a> <a href="/old-pricing">Old pricing</a>
<a href="https://elsewhere.example/">Elsewhere</a> <a href="mailto:hi@example.com">Mail</a></nav>
<img src="/static/logo.png" alt="">
</body></html>
"""

PRICING = """<!doctype html>
<html><head><title>Pricing</title></head><body>
<h1>Pricing</h1>
<a href="/">Home</a> <a href="/blog">Blog</a>
<noscript><img height="1" width="1" style="display:none"
src="https://www.facebook.com/tr?id=918273645501234&ev=PageView&noscript=1"/></noscript>
</body></html>
"""

BLOG = f"""<!doctype html>
<html><head><title>Blog</title>
<script src="https://{UNKNOWN_HOST}/m.js" async></script>
</head><body>
<a href="/blog/post">A post</a>
<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>
</body></html>
"""

POST = """<!doctype html>
<html><head><title>Post</title></head><body>
<script async src="https://static.hotjar.com/c/hotjar-123.js?sv=6"></script>
<a href="/">Home</a>
</body></html>
"""


class ScanSite:
    """The test site on a real uvicorn in a thread (so both async tests and the CLI can reach it)."""

    def __init__(self, moved_to: str = "") -> None:
        self.moved_to = moved_to
        self.port = free_port()
        self.release = threading.Event()
        self.server = uvicorn.Server(
            uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def app(self) -> Starlette:
        def page(body: str, **headers: str) -> Endpoint:
            async def endpoint(request: Request) -> Response:
                response = HTMLResponse(body)
                for name, value in headers.items():
                    response.headers.append(name.replace("_", "-"), value)
                return response

            return endpoint

        async def slow(request: Request) -> Response:
            # Waits far past the scanner's timeout; released at teardown so the server stops at once.
            for _ in range(200):
                if self.release.is_set():
                    break
                await asyncio.sleep(0.05)
            return HTMLResponse("<p>finally</p>")

        def redirect(to: str) -> Endpoint:
            async def endpoint(request: Request) -> Response:
                return RedirectResponse(to, status_code=302)

            return endpoint

        async def pdf(request: Request) -> Response:
            return Response(b"%PDF-1.4", media_type="application/pdf")

        routes = [
            Route("/", page(HOME)),
            Route("/pricing", page(PRICING, set_cookie="_fbp=fb.1.123.456; Max-Age=7776000; Path=/")),
            Route("/blog", page(BLOG)),
            Route("/blog/post", page(POST)),
            Route("/slow", slow),
            Route("/loop-a", redirect("/loop-b")),
            Route("/loop-b", redirect("/loop-a")),
            Route("/offsite", redirect("https://elsewhere.example/landing")),
            Route("/old-pricing", redirect("/pricing")),
            Route("/brochure.pdf", pdf),
            Route("/moved", redirect(self.moved_to or "/")),
        ]
        return Starlette(routes=routes)

    def __enter__(self) -> ScanSite:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            threading.Event().wait(0.02)
        raise RuntimeError("the test site did not start")

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.should_exit = True
        self.thread.join(10)


async def scan_site(site: ScanSite, **kwargs: object) -> ScanReport:
    """A scan of ``site`` with short timeouts; ``kwargs`` are :func:`~consentgate.scan.scan` options."""
    async with httpx.AsyncClient() as client:
        options: dict[str, object] = {"request_timeout": 0.5, "max_pages": 30, "max_depth": 3, **kwargs}
        return await scan(site.url, client=client, **options)  # type: ignore[arg-type]


def problems_by_path(report: ScanReport) -> dict[str, str]:
    """The broken pages of ``report`` by their path on the site, with the reason."""
    return {page.url.removeprefix(report.target.rstrip("/")): page.problem for page in report.broken_pages}
