"""`consentgate scan` against a real multi-page site on a loopback uvicorn, and against local files."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from consentgate import load_config
from consentgate.catalog.catalog import Catalog
from consentgate.cli.main import main
from consentgate.scan.scanner import ScanReport, scan
from consentgate.scan.tags import find_tags
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


class _Site:
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

    def __enter__(self) -> _Site:
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


@pytest.fixture(scope="module")
def site() -> Iterator[_Site]:
    with _Site() as running:
        yield running


async def _scan_site(site: _Site, **kwargs: object) -> ScanReport:
    async with httpx.AsyncClient() as client:
        options: dict[str, object] = {"request_timeout": 0.5, "max_pages": 30, "max_depth": 3, **kwargs}
        return await scan(site.url, client=client, **options)  # type: ignore[arg-type]


def _problems(report: ScanReport) -> dict[str, str]:
    return {page.url.removeprefix(report.target.rstrip("/")): page.problem for page in report.broken_pages}


async def test_the_scan_finds_and_classifies_every_known_tracker(site: _Site) -> None:
    report = await _scan_site(site)
    services = report.services
    assert {"google-analytics", "meta-pixel", "youtube", "hotjar"} <= set(services)
    ga = services["google-analytics"]
    assert ga.service.category == "analytics"
    kinds = {item.kind for item in ga.items}
    assert {"script", "inline"} <= kinds
    script = next(i for i in ga.items if i.kind == "script")
    assert script.url == "https://www.googletagmanager.com/gtag/js?id=G-TEST123"
    assert [(o.page, o.line) for o in script.occurrences] == [("/", 3)]
    assert script.gated
    # What the catalog knows the found script sets is listed with lifetimes.
    assert any(c.name == "_ga" and c.lifetime for c in ga.cookies)
    pixel = services["meta-pixel"].items[0]
    assert (pixel.kind, pixel.gated) == ("pixel", True)
    assert pixel.occurrences[0].page == "/pricing"
    assert services["youtube"].items[0].kind == "frame"
    assert services["youtube"].service.category == "social"
    assert services["hotjar"].items[0].occurrences[0].page == "/blog/post"
    # The Set-Cookie header of /pricing is classified by the catalog, with its Max-Age in words.
    fbp = next(c for c in services["meta-pixel"].cookies if c.source == "set-cookie")
    assert (fbp.name, fbp.lifetime, fbp.gated, fbp.pages) == ("_fbp", "90 days", True, ["/pricing"])
    # The preconnect to the tag manager is found as a preload.
    assert any(i.kind == "preload" for f in services.values() for i in f.items)
    by_category = dict(report.by_category())
    assert [f.service.id for f in by_category["social"]] == ["youtube"]


async def test_the_unknown_host_is_flagged_with_its_line_and_a_snippet(site: _Site) -> None:
    report = await _scan_site(site)
    assert report.failed
    assert list(report.unclassified) == [UNKNOWN_HOST]
    entry = report.unclassified[UNKNOWN_HOST]
    assert [(i.kind, o.page, o.line) for i in entry.items for o in i.occurrences] == [("script", "/blog", 3)]
    # The snippet is valid config that classifies the host.
    config = load_config(None, **tomllib.loads(entry.snippet))
    found = Catalog.builtin().with_config(config).match_url(f"https://{UNKNOWN_HOST}/m.js")
    assert found is not None and found.category == "analytics"


async def test_every_broken_page_is_reported_by_name(site: _Site) -> None:
    report = await _scan_site(site)
    problems = _problems(report)
    assert problems["/slow"] == "timed out after 0.5 s"
    assert problems["/gone"] == "HTTP 404 Not Found"
    assert problems["/loop-a"] == "redirect loop: /loop-a → /loop-b → /loop-a"
    assert problems["/offsite"] == "redirects off-site to https://elsewhere.example/landing"
    assert problems["/brochure.pdf"] == "not HTML (application/pdf)"
    assert len(problems) == 5
    scanned = {p.url.removeprefix(site.url.rstrip("/")) for p in report.pages if not p.problem}
    # /old-pricing redirects on-site and is scanned; off-site and mailto links are not followed.
    assert scanned == {"/", "/pricing", "/blog", "/blog/post", "/old-pricing"}
    assert all("elsewhere" not in p.url for p in report.pages)


async def test_the_config_snippet_makes_the_scan_pass(site: _Site) -> None:
    first = await _scan_site(site)
    config = load_config(None, **tomllib.loads(first.unclassified[UNKNOWN_HOST].snippet))
    report = await _scan_site(site, config=config)
    assert not report.failed
    assert report.services["cdn-mystery-metrics-example"].items[0].gated


async def test_a_start_url_that_moves_to_another_origin_is_followed(site: _Site) -> None:
    with _Site(moved_to=site.url) as old_address:
        async with httpx.AsyncClient() as client:
            report = await scan(old_address.url + "moved", client=client, request_timeout=0.5)
    start = report.pages[0]
    assert (start.problem, start.final_url) == ("", site.url)
    assert {"google-analytics", "youtube", "hotjar"} <= set(report.services)
    assert {p.url for p in report.pages[1:]} >= {site.url + "pricing", site.url + "blog"}


async def test_limits_of_pages_and_depth(site: _Site) -> None:
    only_start = await _scan_site(site, max_depth=0)
    assert [p.url for p in only_start.pages] == [site.url]
    assert "youtube" not in only_start.services
    three = await _scan_site(site, max_pages=3)
    assert len(three.pages) == 3
    assert site.url + "gone" in three.not_followed


async def test_progress_is_reported_until_done(site: _Site) -> None:
    seen: list[tuple[int, int]] = []
    report = await _scan_site(site, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(report.pages), len(report.pages))


async def test_an_unreachable_site_is_a_page_problem_not_an_exception() -> None:
    async with httpx.AsyncClient() as client:
        report = await scan(f"http://127.0.0.1:{free_port()}/", client=client, request_timeout=2)
    assert len(report.pages) == 1
    assert report.pages[0].problem.startswith("unreachable")


def test_cli_exit_status_and_json(site: _Site, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", site.url, "--timeout", "0.5", "--format", "json", "--concurrency", "2"])
    out = capsys.readouterr().out
    data = json.loads(out)
    assert code == 1
    assert data["failed"] is True
    assert [u["host"] for u in data["unclassified"]] == [UNKNOWN_HOST]
    assert {s["id"] for s in data["categories"]["advertising"]} >= {"meta-pixel"}
    problems = {p["url"]: p["problem"] for p in data["pages"] if p["problem"]}
    assert problems[site.url + "gone"] == "HTTP 404 Not Found"


def test_cli_table_names_everything(site: _Site, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", site.url, "--timeout", "0.5"])
    out = capsys.readouterr().out
    assert code == 1
    assert "== UNCLASSIFIED third-party hosts" in out
    assert f'[services.cdn-mystery-metrics-example]\n      name = "{UNKNOWN_HOST}"' in out
    assert "/blog:3" in out
    assert f"{site.url}loop-a: redirect loop" in out
    assert "Google Analytics 4" in out and "inert until analytics is granted" in out


def test_cli_bad_target_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["scan", str(tmp_path / "nope.html")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "neither an http(s) URL nor an existing file" in err
    with pytest.raises(SystemExit) as exc:
        main(["scan", "x.html", "--max-pages", "0"])
    assert exc.value.code == 2


def test_cli_unreachable_start_page_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", f"http://127.0.0.1:{free_port()}/", "--timeout", "2"])
    captured = capsys.readouterr()
    assert code == 1
    assert "unreachable" in captured.err and "Traceback" not in captured.err


# --- local files ----------------------------------------------------------------------------------


def test_a_local_file_is_scanned_like_a_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "index.html").write_text(HOME.replace('href="/pricing"', 'href="pricing.html"'))
    (tmp_path / "pricing.html").write_text(
        PRICING + f'<iframe src="//{UNKNOWN_HOST}/w"></iframe><a href="docs/a.html">docs</a>'
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.html").write_text(
        '<a href="../../outside.html">up</a><script src="https://static.hotjar.com/c/h.js"></script>'
    )
    (tmp_path.parent / "outside.html").write_text("<p>not part of the site</p>")
    code = main(["scan", str(tmp_path / "index.html"), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    ids = {s["id"] for group in data["categories"].values() for s in group}
    assert {"google-analytics", "meta-pixel"} <= ids
    [unknown] = data["unclassified"]
    assert unknown["items"][0]["occurrences"] == [{"page": "pricing.html", "line": 8}]
    pages = {p["url"].removeprefix(tmp_path.as_uri() + "/") for p in data["pages"]}
    assert pages == {"index.html", "pricing.html", "docs/a.html"}
    hotjar = next(s for s in data["categories"]["analytics"] if s["id"] == "hotjar")
    assert hotjar["items"][0]["occurrences"] == [{"page": "docs/a.html", "line": 1}]


async def test_inline_scripts_unknown_hosts_and_inert_tags(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head>\n"
        '<script type="application/ld+json">{"@context": "https://schema.org"}</script>\n'
        "<script>\n"
        "  var s = document.createElement('script');\n"
        "  s.src = 'https://beacon.unknown-analytics.example/b.js';\n"
        "  var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg'); var x = a//2.5\n"
        "</script>\n"
        '<script type="text/plain" data-cg-category="analytics" data-cg-service="hotjar"'
        ' data-cg-src="https://static.hotjar.com/c/hotjar-1.js"></script>\n'
        "</head></html>\n"
    )
    report = await scan(str(page))
    assert list(report.unclassified) == ["beacon.unknown-analytics.example"]
    item = report.unclassified["beacon.unknown-analytics.example"].items[0]
    assert (item.kind, item.occurrences[0].line) == ("inline", 5)
    hotjar = report.services["hotjar"].items[0]
    assert hotjar.inert_in_page and hotjar.gated


def test_the_tokenizer_sees_noscript_pixels_srcset_and_inert_forms() -> None:
    tags = find_tags(
        '<noscript><img src="https://px.example/p.gif"></noscript>\n'
        '<picture><source srcset="https://a.example/1.webp 1x, https://b.example/2.webp 2x"></picture>\n'
        '<iframe data-cg-src="https://www.youtube.com/embed/x" data-cg-category="social"></iframe>\n'
        '<link rel="dns-prefetch" href="//c.example"><object data="https://d.example/o.swf"></object>\n'
        "<script>if (a < b) { document.write('<img src=\"https://e.example/x\">') }</script>"
    )
    found = [(t.kind, t.url, t.line, t.inert) for t in tags if t.kind != "inline"]
    assert found == [
        ("pixel", "https://px.example/p.gif", 1, False),
        ("media", "https://a.example/1.webp", 2, False),
        ("media", "https://b.example/2.webp", 2, False),
        ("frame", "https://www.youtube.com/embed/x", 3, True),
        ("preload", "//c.example", 4, False),
        ("embed", "https://d.example/o.swf", 4, False),
    ]
    # The markup inside a script is text, not a tag; its URL is found as a host the script names.
    [inline] = [t for t in tags if t.kind == "inline"]
    assert [u for u, _ in inline.script_urls()] == ["https://e.example/x"]


def test_a_progress_bar_on_a_terminal(site: _Site) -> None:
    # stderr is a pseudo-terminal: the bar is drawn there, and stdout still gets the whole report.
    main_fd, terminal_fd = os.openpty()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "consentgate.cli",
                "scan",
                site.url,
                "--timeout",
                "0.5",
                "--format",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=terminal_fd,
            timeout=60,
            check=False,
        )
        os.close(terminal_fd)
        drawn = b""
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # the terminal is closed once everything written is read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(main_fd)
    assert done.returncode == 1
    assert json.loads(done.stdout)["failed"] is True
    assert b"\rscanning [" in drawn and b"pages" in drawn
    assert b"Traceback" not in drawn


# --- the scanner as an independent check of the rewriter ------------------------------------------


def _demo_pages() -> dict[str, str]:
    from consentgate.cli.demo import load_demo_module

    demo = load_demo_module()
    pages = {f"demo{path.replace('/', '_')}.html": demo.render_page(path) for path in demo.PAGES}
    pages.update({"home.html": HOME, "pricing.html": PRICING, "blog.html": BLOG, "post.html": POST})
    return pages


@pytest.mark.parametrize("name", sorted(_demo_pages()))
async def test_what_the_scan_calls_gated_the_rewriter_makes_inert(tmp_path: Path, name: str) -> None:
    from consentgate.gate.rewrite import RewritePlan, rewrite

    config = load_config(None)
    catalog = Catalog.builtin().with_config(config)
    original = tmp_path / "original.html"
    original.write_text(_demo_pages()[name])
    before = await scan(str(original), catalog=catalog, max_depth=0)
    gated = [(sid, i) for sid, f in before.services.items() for i in f.items if i.gated]
    assert gated, "the page has no tracker to check"
    assert not any(i.inert_in_page for _, i in gated)

    plan = RewritePlan(catalog, categories=config.category_names)
    rewritten = tmp_path / "rewritten.html"
    rewritten.write_bytes(rewrite(plan, config.optional_categories, original.read_bytes()))
    after = await scan(str(rewritten), catalog=catalog, max_depth=0)
    live = [
        (sid, i.kind, i.url or i.excerpt)
        for sid, f in after.services.items()
        for i in f.items
        if i.gated and not i.inert_in_page
    ]
    assert live == []
    found_after = {(sid, i.kind, i.url or i.excerpt) for sid, f in after.services.items() for i in f.items}
    assert {(sid, i.kind, i.url or i.excerpt) for sid, i in gated} <= found_after
    assert set(after.unclassified) == set(before.unclassified)
