"""What the visitor gets through the gated proxy: gated pages, filtered and rewritten cookies and
redirects, compressed pages rewritten, conditional and partial responses passed.

Origins: nginx serving ``examples/static_site/``, the Node.js ``origin.js``, a Starlette app on uvicorn.
"""

from __future__ import annotations

import httpx

from consentgate.proxy.headers import PublicOrigin
from consentgate.proxy.rewriting import ResponseRewriter
from tests.proxy.conftest import GatedClient


def _accept_all(client: httpx.AsyncClient) -> dict[str, str]:
    return {"origin": str(client.base_url).rstrip("/"), "content-type": "application/json"}


async def test_a_static_sites_trackers_are_inert_and_the_banner_injected(
    gated: GatedClient, nginx_origin: str
) -> None:
    async with httpx.AsyncClient() as plain:
        direct = await plain.get(nginx_origin + "/")
    assert '<script async src="https://www.googletagmanager.com/gtag/js' in direct.text
    async with gated(nginx_origin) as client:
        page = await client.get("/")
    assert page.status_code == 200
    html = page.text
    assert '<script async src="https://www.googletagmanager.com' not in html
    assert 'data-cg-src="https://www.googletagmanager.com/gtag/js?id=G-FERN2LEAF9"' in html
    assert 'data-cg-src="https://www.youtube.com/embed/Fe7nL3aF0xQ"' in html
    assert "connect.facebook.net/en_US/fbevents.js" in html and 'type="text/plain"' in html
    assert 'src="https://static.hotjar.com' not in html
    assert "/consentgate/banner.js" in html
    async with gated(nginx_origin) as client:
        plain = await client.get("/", headers={"accept-encoding": "identity"})
    # A body that came whole keeps an exact Content-Length after the rewrite.
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert "data-cg-src" in plain.text


async def test_cookies_of_refused_categories_are_dropped_and_domains_rewritten(
    gated: GatedClient, node_origin: str
) -> None:
    async with gated(node_origin) as client:
        undecided = await client.get("/cookies")
        choice = await client.post(
            "/consentgate/consent", json={"action": "accept_all"}, headers=_accept_all(client)
        )
        assert choice.status_code == 200
        accepted = await client.get("/cookies")
    refused = undecided.headers.get_list("set-cookie")
    names = [value.split("=", 1)[0] for value in refused]
    assert "_ga" not in names and "_fbp" not in names  # analytics, advertising: not granted
    assert "session=abc123; Path=/; HttpOnly" in refused
    # Several Set-Cookie headers stay apart (a comma inside one does not split it).
    assert "prefs=a,b; Domain=www.example.test; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT" in refused
    assert "theme=dark; Domain=other.example; Path=/" in refused  # not the upstream's domain: untouched
    granted = accepted.headers.get_list("set-cookie")
    assert "_ga=GA1.1.1234.5678; Domain=www.example.test; Path=/; Max-Age=3600" in granted
    assert "_fbp=fb.1.1234.5678; Domain=.www.example.test; Path=/" in granted


async def test_redirects_name_the_public_host(gated: GatedClient, node_origin: str) -> None:
    async with gated(node_origin, public="https://shop.example.test") as client:
        response = await client.get("/redirect")
    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.example.test/landing?from=redirect"
    assert response.headers["content-location"] == "https://shop.example.test/redirect.html"
    assert response.headers["refresh"] == "3; url=https://shop.example.test/later"


def test_urls_under_an_upstream_path_prefix_lose_the_prefix() -> None:
    rewriter = ResponseRewriter("http://10.0.0.5:8080/shop")
    public = PublicOrigin("https", "www.example.test")
    headers = [
        (b"Location", b"http://10.0.0.5:8080/shop/cart?x=1"),
        (b"Content-Location", b"/shop/item/7"),
        (b"Refresh", b"0;URL='//10.0.0.5:8080/shop/later'"),
        (b"X-Other", b"http://10.0.0.5:8080/shop/untouched"),
    ]
    out = dict(rewriter.rewrite(headers, public, "1.1"))
    assert out[b"location"] == b"https://www.example.test/cart?x=1"
    assert out[b"content-location"] == b"/item/7"
    assert out[b"refresh"] == b"0;URL='//www.example.test/later'"
    assert out[b"x-other"] == b"http://10.0.0.5:8080/shop/untouched"
    # Another origin that only starts like the upstream is not the upstream.
    other = dict(rewriter.rewrite([(b"location", b"http://10.0.0.5:80801/shop/x")], public, "1.1"))
    assert other[b"location"] == b"http://10.0.0.5:80801/shop/x"


async def test_gzip_and_brotli_pages_are_rewritten(
    gated: GatedClient, python_origin: str, nginx_origin: str
) -> None:
    async with gated(python_origin) as client:
        gzipped = await client.get("/gzip")
        brotlied = await client.get("/br")
    async with gated(nginx_origin) as client:
        nginx_gzipped = await client.get("/plans.html", headers={"accept-encoding": "gzip"})
    for response, coding in ((gzipped, "gzip"), (brotlied, "br"), (nginx_gzipped, "gzip")):
        assert response.headers["content-encoding"] == coding
        assert 'data-cg-src="https://www.googletagmanager.com/gtag/js' in response.text, coding
        assert "/consentgate/banner.js" in response.text, coding


async def test_head_304_and_206_pass(gated: GatedClient, nginx_origin: str) -> None:
    async with gated(nginx_origin) as client:
        head = await client.head("/index.html")
        first = await client.get("/style.css", headers={"accept-encoding": "identity"})
        not_modified = await client.get("/style.css", headers={"if-none-match": first.headers["etag"]})
        page = await client.get("/index.html")
        page_304 = await client.get(
            "/index.html", headers={"if-modified-since": page.headers["last-modified"]}
        )
        partial = await client.get(
            "/style.css", headers={"range": "bytes=0-99", "accept-encoding": "identity"}
        )
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert page_304.status_code == 304 and page_304.content == b""
    assert partial.status_code == 206
    assert partial.headers["content-range"].startswith("bytes 0-99/")
    assert partial.content == first.content[:100]
