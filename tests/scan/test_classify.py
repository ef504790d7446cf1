"""Classification: known services and their cookies, unknown hosts with the config that classifies them."""

from __future__ import annotations

import tomllib
from pathlib import Path

from consentgate import load_config
from consentgate.catalog import Catalog
from consentgate.scan import scan
from tests.support.scan_site import UNKNOWN_HOST, ScanSite, scan_site


async def test_the_scan_finds_and_classifies_every_known_tracker(site: ScanSite) -> None:
    report = await scan_site(site)
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


async def test_the_unknown_host_is_flagged_with_its_line_and_a_snippet(site: ScanSite) -> None:
    report = await scan_site(site)
    assert report.failed
    assert list(report.unclassified) == [UNKNOWN_HOST]
    entry = report.unclassified[UNKNOWN_HOST]
    assert [(i.kind, o.page, o.line) for i in entry.items for o in i.occurrences] == [("script", "/blog", 3)]
    # The snippet is valid config that classifies the host.
    config = load_config(None, **tomllib.loads(entry.snippet))
    found = Catalog.builtin().with_config(config).match_url(f"https://{UNKNOWN_HOST}/m.js")
    assert found is not None and found.category == "analytics"


async def test_the_config_snippet_makes_the_scan_pass(site: ScanSite) -> None:
    first = await scan_site(site)
    config = load_config(None, **tomllib.loads(first.unclassified[UNKNOWN_HOST].snippet))
    report = await scan_site(site, config=config)
    assert not report.failed
    assert report.services["cdn-mystery-metrics-example"].items[0].gated


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
