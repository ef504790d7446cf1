"""The crawl: same-origin links breadth first, limits, progress, every broken page named, local files."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from consentgate.cli.main import main
from consentgate.scan import scan
from tests.support.scan_site import HOME, PRICING, UNKNOWN_HOST, ScanSite, problems_by_path, scan_site
from tests.support.site import free_port


async def test_every_broken_page_is_reported_by_name(site: ScanSite) -> None:
    report = await scan_site(site)
    problems = problems_by_path(report)
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


async def test_a_start_url_that_moves_to_another_origin_is_followed(site: ScanSite) -> None:
    with ScanSite(moved_to=site.url) as old_address:
        async with httpx.AsyncClient() as client:
            report = await scan(old_address.url + "moved", client=client, request_timeout=0.5)
    start = report.pages[0]
    assert (start.problem, start.final_url) == ("", site.url)
    assert {"google-analytics", "youtube", "hotjar"} <= set(report.services)
    assert {p.url for p in report.pages[1:]} >= {site.url + "pricing", site.url + "blog"}


async def test_limits_of_pages_and_depth(site: ScanSite) -> None:
    only_start = await scan_site(site, max_depth=0)
    assert [p.url for p in only_start.pages] == [site.url]
    assert "youtube" not in only_start.services
    three = await scan_site(site, max_pages=3)
    assert len(three.pages) == 3
    assert site.url + "gone" in three.not_followed


async def test_progress_is_reported_until_done(site: ScanSite) -> None:
    seen: list[tuple[int, int]] = []
    report = await scan_site(site, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(report.pages), len(report.pages))


async def test_an_unreachable_site_is_a_page_problem_not_an_exception() -> None:
    async with httpx.AsyncClient() as client:
        report = await scan(f"http://127.0.0.1:{free_port()}/", client=client, request_timeout=2)
    assert len(report.pages) == 1
    assert report.pages[0].problem.startswith("unreachable")


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
