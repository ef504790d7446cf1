"""The demo site (examples/marketing_site) behind the gate, and `consentgate demo` on a real uvicorn."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import html5lib
import httpx
import pytest

from consentgate.cli.demo import build_demo_app, find_demo_dir, load_demo_module
from tests.support.site import SECRET, client_for, free_port

SITE_DIR = find_demo_dir()
PAGES = ["/", "/pricing", "/blog", "/blog/how-call-tracking-works", "/privacy", "/contact", "/contact/thanks"]

#: Each vendor tag, by the strings its install docs put in the page (fake ids, real shapes).
VENDOR_MARKERS: dict[str, tuple[str, ...]] = {
    "ga4": ("https://www.googletagmanager.com/gtag/js?id=G-CW7K3PX2QD", "gtag('config', 'G-CW7K3PX2QD');"),
    "gtm": (
        "'https://www.googletagmanager.com/gtm.js?id='+i+dl",
        "'dataLayer','GTM-K7CW2QP'",
        '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-K7CW2QP"',
    ),
    "google_ads": (
        "https://www.googletagmanager.com/gtag/js?id=AW-11223344556",
        "gtag('config', 'AW-11223344556');",
        "gtag('event', 'conversion', {'send_to': 'AW-11223344556/",
    ),
    "meta_pixel": (
        "'https://connect.facebook.net/en_US/fbevents.js'",
        "fbq('init', '918273645501234');",
        'src="https://www.facebook.com/tr?id=918273645501234&ev=PageView&noscript=1"',
    ),
    "linkedin": (
        '_linkedin_partner_id = "4812736";',
        "https://snap.licdn.com/li.lms-analytics/insight.min.js",
        'src="https://px.ads.linkedin.com/collect/?pid=4812736&fmt=gif"',
    ),
    "hotjar": ("h._hjSettings={hjid:3918274,hjsv:6};", "'https://static.hotjar.com/c/hotjar-','.js?sv='"),
    "callrail": ('src="//cdn.callrail.com/companies/418203957/9c4be1f7a2d3e5b6c708/12/swap.js"',),
    "youtube": ('<iframe width="560" height="315" src="https://www.youtube.com/embed/Cw4Ll7Rk2Qs',),
    "x_widgets": (
        '<blockquote class="twitter-tweet">',
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>',
    ),
    "facebook_sdk": (
        '<div id="fb-root"></div>',
        'src="https://connect.facebook.net/en_US/sdk.js#xfbml=1&version=v19.0"',
        '<div class="fb-page" data-href="https://www.facebook.com/callwisehq"',
    ),
}

#: The script/iframe URLs the gate must be able to see as real elements of the served pages.
VENDOR_ELEMENTS = {
    ("/", "script"): [
        "https://www.googletagmanager.com/gtag/js?id=G-CW7K3PX2QD",
        "https://www.googletagmanager.com/gtag/js?id=AW-11223344556",
        "//cdn.callrail.com/companies/418203957/9c4be1f7a2d3e5b6c708/12/swap.js",
        "/static/site.js",
    ],
    ("/blog/how-call-tracking-works", "script"): [
        "https://platform.twitter.com/widgets.js",
        "https://connect.facebook.net/en_US/sdk.js#xfbml=1&version=v19.0",
    ],
    ("/blog/how-call-tracking-works", "iframe"): [
        "https://www.youtube.com/embed/Cw4Ll7Rk2Qs?si=Q1vXb2Lm8Zr4Tk0p"
    ],
}

GOOD_FORM = {
    "name": "Jane Doe",
    "email": "jane@northwind.example",
    "company": "Northwind Dental",
    "plan": "pro",
    "message": "We run 12 clinics; can we see a demo?",
}


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Any]:
    app: Any = build_demo_app(SECRET, f"sqlite:///{tmp_path / 'ledger.db'}")
    yield app
    await app.aclose()


@pytest.fixture
async def client(demo: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(demo) as c:
        yield c


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _source_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((SITE_DIR / "templates").glob("*.html")))


# --- pages through the gate ------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_answers_through_the_gate(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>" in response.text and "Callwise" in response.text
    assert response.text.rstrip().endswith("</html>")


async def test_gate_is_in_front_of_the_site(client: httpx.AsyncClient) -> None:
    response = await client.get("/consentgate/consent")
    assert response.status_code == 200
    assert response.json()["decided"] is False


@pytest.mark.parametrize("name", ["site.css", "site.js", "logo.svg", "favicon.svg"])
async def test_first_party_assets_pass_unchanged(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.content == (SITE_DIR / "static" / name).read_bytes()


async def test_unknown_page_is_a_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "This page is not here" in response.text


async def test_nav_marks_the_current_page(client: httpx.AsyncClient) -> None:
    text = (await client.get("/pricing")).text
    assert '<a href="/pricing" aria-current="page">Pricing</a>' in text
    assert '<a href="/blog">Blog</a>' in text


# --- the vendor tags --------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", sorted(VENDOR_MARKERS))
def test_vendor_tags_are_in_the_source_files(vendor: str) -> None:
    source = _source_text()
    for marker in VENDOR_MARKERS[vendor]:
        assert marker in source, f"{vendor}: {marker!r} missing from the templates"


@pytest.mark.parametrize(("path", "tag"), sorted(VENDOR_ELEMENTS))
def test_vendor_tags_are_real_elements_of_the_bare_pages(path: str, tag: str) -> None:
    # Parsed as a browser would (html5lib), so a broken paste that swallows a tag shows up here.
    site = load_demo_module()
    document = html5lib.parse(site.render_page(path), namespaceHTMLElements=False)
    sources = {element.get("src") for element in document.iter(tag)}
    missing = [url for url in VENDOR_ELEMENTS[(path, tag)] if url not in sources]
    assert not missing


async def test_every_page_carries_the_site_wide_tags(client: httpx.AsyncClient) -> None:
    # Inert or live, the tag's URL stays in the served page (the gate renames attributes, not URLs).
    for path in PAGES:
        text = (await client.get(path)).text
        for marker in ("GTM-K7CW2QP", "gtag/js?id=G-CW7K3PX2QD", "fbevents.js", "insight.min.js", "swap.js"):
            assert marker in text, (path, marker)


# --- the contact form -------------------------------------------------------------------------------


async def test_contact_form_sends_to_the_thank_you_page(client: httpx.AsyncClient, tmp_path: Path) -> None:
    response = await client.post("/contact", data=GOOD_FORM)
    assert response.status_code == 303
    assert response.headers["location"] == "/contact/thanks"
    thanks = await client.get(response.headers["location"])
    assert thanks.status_code == 200
    assert "Thank you" in thanks.text
    assert "gtag('event', 'conversion'" in thanks.text


async def test_contact_form_stores_nothing(client: httpx.AsyncClient, tmp_path: Path) -> None:
    token = "zebra-quartz-7781"
    response = await client.post("/contact", data={**GOOD_FORM, "message": f"Hello {token}"})
    assert response.status_code == 303
    assert _files_containing(tmp_path, token.encode()) == []


async def test_contact_form_shows_errors_and_keeps_values(client: httpx.AsyncClient) -> None:
    form = {**GOOD_FORM, "name": "<script>alert(1)</script>", "email": "not-an-email", "message": ""}
    response = await client.post("/contact", data=form)
    assert response.status_code == 422
    assert "Enter an email address" in response.text
    assert "Tell us how we can help" in response.text
    assert 'value="not-an-email"' in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)" not in response.text
    assert '<option value="pro" selected>' in response.text


async def test_contact_form_rejects_an_unknown_plan(client: httpx.AsyncClient) -> None:
    response = await client.post("/contact", data={**GOOD_FORM, "plan": "platinum"})
    assert response.status_code == 422
    assert "Choose one of the plans" in response.text


async def test_contact_page_preselects_the_plan_from_the_link(client: httpx.AsyncClient) -> None:
    text = (await client.get("/contact?plan=enterprise")).text
    assert '<option value="enterprise" selected>' in text
    text = (await client.get("/contact?plan=bogus")).text
    assert '<option value="unsure" selected>' in text


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"x" * (17 * 1024), {"content-type": "application/x-www-form-urlencoded"}, 413, "too_large"),
        (b'{"name": "Jane"}', {"content-type": "application/json"}, 415, "unsupported_media_type"),
        (b"name=%ff%fe", {"content-type": "application/x-www-form-urlencoded"}, 400, "bad_form"),
        (b"\xff\xfe", {"content-type": "application/x-www-form-urlencoded"}, 400, "bad_form"),
    ],
)
async def test_contact_form_refuses_bad_bodies(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = await client.post("/contact", content=content, headers=headers)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == code
    assert body["detail"]


async def test_contact_form_refuses_a_chunked_body_over_the_limit(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"message=" + b"a" * 1024

    response = await client.post(
        "/contact", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


# --- `consentgate demo` on a real uvicorn -----------------------------------------------------------


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, err = process.communicate()
            raise AssertionError(f"consentgate demo exited early: {err.decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"consentgate demo did not listen on port {port} within {timeout} s")


def _demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "consentgate.cli", "demo", *args]


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    ledger = tmp_path / "demo.db"
    process = subprocess.Popen(
        _demo_command("--port", str(port), "--database", f"sqlite:///{ledger}"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(port, process)
        yield port, ledger
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_demo_command_serves_the_site(demo_server: tuple[int, Path]) -> None:
    port, ledger = demo_server
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        home = http.get("/")
        assert home.status_code == 200
        assert "Know which marketing makes your phone ring." in home.text
        assert http.get("/static/site.css").status_code == 200
        choice = http.post(
            "/consentgate/consent",
            json={"action": "accept_all"},
            headers={"origin": f"http://127.0.0.1:{port}"},
        )
        assert choice.status_code == 200
        assert choice.json()["decided"] is True
    assert ledger.is_file()


def test_every_demo_tag_is_in_the_service_catalog(demo_server: tuple[int, Path]) -> None:
    # `consentgate scan` crawls the running demo: each vendor tag must map to a catalog service.
    port, _ = demo_server
    result = subprocess.run(
        [sys.executable, "-m", "consentgate.cli", "scan", "--format", "json", f"http://127.0.0.1:{port}/"],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["unclassified"] == []
    found = {
        service["id"]: category for category, services in report["categories"].items() for service in services
    }
    assert found == {
        "google-analytics": "analytics",
        "google-tag-manager": "analytics",
        "hotjar": "analytics",
        "google-ads": "advertising",
        "meta-pixel": "advertising",
        "linkedin-insight": "advertising",
        "callrail": "advertising",
        "youtube": "social",
        "twitter-widgets": "social",
        "facebook-social": "social",
    }


def test_demo_command_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            _demo_command("--port", str(port), "--database", f"sqlite:///{tmp_path / 'x.db'}"),
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
        )
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "99999"], 2),
        (["--port", "http"], 2),
        (["--database", "mysql://nope"], 1),
    ],
)
def test_demo_command_bad_usage(tmp_path: Path, args: list[str], expected: int) -> None:
    result = subprocess.run(_demo_command(*args), cwd=tmp_path, capture_output=True, timeout=60)
    assert result.returncode == expected
    assert b"Traceback" not in result.stderr
    assert result.stderr.strip()


def test_demo_command_explains_a_missing_demo_site(tmp_path: Path) -> None:
    # An installed package without the source checkout around it: no examples/ beside it.
    package = Path(__file__).resolve().parent.parent / "consentgate"
    shutil.copytree(package, tmp_path / "consentgate", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        _demo_command("--port", str(free_port())),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert "the demo site is not at" in lines[0]
    assert "source checkout" in lines[0]


# --- the site's own JavaScript in a real browser, behind the gate ------------------------------------


@pytest.mark.browser
def test_first_party_script_works_behind_the_gate(demo_server: tuple[int, Path]) -> None:
    from playwright.sync_api import Route, sync_playwright

    port, _ = demo_server
    origin = f"http://127.0.0.1:{port}"
    errors: list[str] = []

    def offline(route: Route) -> None:
        # Loopback only: third-party tags would go to the internet, which this machine does not have.
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route("**/*", offline)
            page.goto(origin + "/pricing")
            pro = page.locator(".plan-featured .price span")
            assert pro.inner_text() == "$145"
            page.get_by_role("button", name="Annual").click()
            assert pro.inner_text() == "$116"
            assert page.get_by_role("button", name="Annual").get_attribute("aria-pressed") == "true"

            page.set_viewport_size({"width": 390, "height": 800})
            nav = page.locator("#site-nav")
            assert not nav.is_visible()
            page.get_by_role("button", name="Menu").click()
            assert nav.is_visible()
        finally:
            browser.close()
    assert not errors
