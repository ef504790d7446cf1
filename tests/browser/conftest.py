"""Browser fixtures: the demo site behind the gate on a real uvicorn, and headless Chromium.

Every request the page makes is recorded. Requests to any host but the site's are answered by a
local fake (so nothing leaves the machine) and classified with the service catalog.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright

from consentgate.catalog.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "js"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SECRET = "browser-test-secret-0123456789"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def site_app(secret_key: str, database: str) -> Any:
    """The demo marketing site behind the gate (the app ``consentgate demo`` serves)."""
    from examples.marketing_site.app import build_app

    return build_app(secret_key, database)


def gated(app: Any, secret_key: str, database: str) -> Any:
    """Any ASGI app behind the gate."""
    from consentgate import ConsentMiddleware

    return ConsentMiddleware(app, secret_key=secret_key, database=database)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Site:
    """A running site: its base URL."""

    url: str
    host: str


@contextmanager
def serve(app: Any) -> Iterator[Site]:
    """Serves ``app`` with uvicorn on a free 127.0.0.1 port until the block ends."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start serving the demo site")
        time.sleep(0.02)
    try:
        yield Site(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo site with the gate on uvicorn at 127.0.0.1 (a real socket), SQLite ledger in tmp."""
    database = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'consentgate.db'}"
    with serve(site_app(SECRET, database)) as running:
        yield running


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    b = playwright_instance.chromium.launch(
        executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
    )
    yield b
    b.close()


@dataclass
class Recorder:
    """Every request of a browser context, and the third-party ones classified by the catalog."""

    site_host: str
    catalog: Catalog
    urls: list[str] = field(default_factory=list)
    third_party: list[str] = field(default_factory=list)
    #: Uncaught errors and unhandled rejections of the pages.
    errors: list[str] = field(default_factory=list)

    def categories(self) -> set[str]:
        """The catalog categories of every third-party request so far (``unknown`` if none)."""
        out = set()
        for url in self.third_party:
            service = self.catalog.match_url(url)
            out.add(service.category if service else "unknown")
        return out

    def clear(self) -> None:
        self.urls.clear()
        self.third_party.clear()

    def wait_for(self, predicate: Callable[[], bool], page: Page, timeout_ms: int = 8000) -> bool:
        """Polls ``predicate`` while the page runs; True once it holds."""
        waited = 0
        while not predicate():
            if waited >= timeout_ms:
                return False
            page.wait_for_timeout(50)
            waited += 50
        return True


def _fake_third_party(route: Route) -> None:
    kind = route.request.resource_type
    if kind == "script":
        route.fulfill(status=200, content_type="text/javascript", body="/* local fake */")
    elif kind == "image":
        route.fulfill(status=200, content_type="image/gif", body=_GIF)
    elif kind in ("document", "sub_frame"):
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>fake</title><p>fake")
    else:
        route.fulfill(status=204, body="")


ContextFactory = Callable[..., tuple[BrowserContext, Recorder]]


@pytest.fixture
def make_context(browser: Browser, site: Site) -> Iterator[ContextFactory]:
    """New isolated browser contexts (own cookies) whose every request is recorded."""
    yield from _contexts(browser, site)


def _contexts(browser: Browser, site: Site) -> Iterator[ContextFactory]:
    contexts: list[BrowserContext] = []
    catalog = Catalog.builtin()

    def factory(**kwargs: Any) -> tuple[BrowserContext, Recorder]:
        kwargs.setdefault("base_url", site.url)
        kwargs.setdefault("service_workers", "block")
        context = browser.new_context(**kwargs)
        contexts.append(context)
        recorder = Recorder(site.host, catalog)

        def handle(route: Route) -> None:
            url = route.request.url
            recorder.urls.append(url)
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc == site.host:
                route.continue_()
                return
            if parts.scheme in ("http", "https", "ws", "wss"):
                recorder.third_party.append(url)
                _fake_third_party(route)
                return
            route.continue_()  # data:, blob: and the like never leave the machine

        context.route("**/*", handle)
        context.on("page", lambda page: page.on("pageerror", lambda e: recorder.errors.append(str(e))))
        return context, recorder

    yield factory
    for context in contexts:
        context.close()


def with_and_without_gate(make_app: Callable[[], Any], name: str) -> tuple[Any, Any, Any, Any]:
    """The fixtures ``gated_site`` and ``bare_site`` (the app of ``make_app`` behind the gate, with
    a SQLite ledger of its own, and alone; one server each per module), and ``gated_context`` and
    ``bare_context`` (contexts on them): assign them to those names in a test module, so that what
    loads with the gate can be compared with what loads without it."""

    @pytest.fixture(scope="module")
    def gated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
        database = f"sqlite:///{tmp_path_factory.mktemp(name) / 'consentgate.db'}"
        with serve(gated(make_app(), SECRET, database)) as running:
            yield running

    @pytest.fixture(scope="module")
    def bare_site() -> Iterator[Site]:
        with serve(make_app()) as running:
            yield running

    @pytest.fixture
    def gated_context(browser: Browser, gated_site: Site) -> Iterator[ContextFactory]:
        yield from _contexts(browser, gated_site)

    @pytest.fixture
    def bare_context(browser: Browser, bare_site: Site) -> Iterator[ContextFactory]:
        yield from _contexts(browser, bare_site)

    return gated_site, bare_site, gated_context, bare_context
