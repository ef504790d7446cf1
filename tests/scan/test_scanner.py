"""The scan as a whole: what it calls gated, the rewriter makes inert (an independent check of it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from consentgate import load_config
from consentgate.catalog import Catalog
from consentgate.scan import scan
from consentgate.scan.tags import find_tags
from tests.support.scan_site import BLOG, HOME, POST, PRICING


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
