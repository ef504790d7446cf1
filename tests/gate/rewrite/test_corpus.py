"""The corpus: each vendor's install snippet and the tricky cases, judged by html5lib.

After the rewrite with every optional category refused, an independent HTML parser must find no
runnable script, frame, pixel, embed or preload of the page's trackers; with everything granted the
page comes back byte for byte; and the rewriter's scanner finds exactly the tags html5lib finds.
"""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest

from consentgate.catalog.catalog import Catalog
from consentgate.config import load_config
from consentgate.gate.injection import Injection
from consentgate.gate.rewrite import RewritePlan, Rewriter
from consentgate.gate.rewrite.attributes import attributes
from tests.support.rewriter import ALL_OPTIONAL, CorpusPage, corpus, elements, leaks, run

PAGES = corpus()
IDS = [page.name for page in PAGES]
CONFIG = load_config()
CATALOG = Catalog.builtin().with_config(CONFIG)


@pytest.fixture(scope="module")
def plan() -> RewritePlan:
    return RewritePlan(CATALOG, categories=CONFIG.category_names)


@pytest.fixture(scope="module")
def injecting_plan() -> RewritePlan:
    injection = Injection(CONFIG, CATALOG)
    return RewritePlan(CATALOG, injection=injection.render, categories=CONFIG.category_names)


def test_the_corpus_covers_every_vendor_of_the_issue() -> None:
    named = {service for page in PAGES for service in page.services}
    wanted = {
        "google-analytics", "google-tag-manager", "google-ads", "meta-pixel", "facebook-social",
        "linkedin-insight", "tiktok-pixel", "twitter-pixel", "twitter-widgets", "pinterest-tag",
        "microsoft-uet", "microsoft-clarity", "hotjar", "youtube", "vimeo", "hubspot", "segment",
        "callrail", "invoca", "calltrackingmetrics",
    }  # fmt: skip
    assert wanted <= named


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_nothing_of_a_refused_category_loads_or_runs(page: CorpusPage, plan: RewritePlan) -> None:
    assert leaks(page.body, page.hosts, page.inline), "the page must load something to begin with"
    out = run(plan, page.body, ALL_OPTIONAL)
    assert leaks(out, page.hosts, page.inline) == []
    named = set(re.findall(rb'data-cg-service="([^"]+)"', out))
    assert {s.encode() for s in page.services} <= named


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_with_everything_granted_the_page_is_untouched(page: CorpusPage, plan: RewritePlan) -> None:
    assert run(plan, page.body, frozenset()) == page.body


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_chunking_rewriting_twice_and_the_injection(page: CorpusPage, injecting_plan: RewritePlan) -> None:
    once = run(injecting_plan, page.body)
    assert injecting_plan.injection is not None
    nonce = re.search(rb'<script nonce="([^"]+)"', page.body)
    assert once.count(injecting_plan.injection(nonce.group(1).decode() if nonce else None)) == 1
    for size in (1, 3, 17, 256):
        assert run(injecting_plan, page.body, chunks=[size] * (len(page.body) // size)) == once
    assert run(injecting_plan, once) == once


def _scanner_tags(body: bytes) -> Counter[tuple[str, tuple[tuple[str, str], ...]]]:
    found: list[tuple[bytes, int, int]] = []
    rewriter = Rewriter(RewritePlan(CATALOG), frozenset(), record=found)
    rewriter.feed(body)
    rewriter.finish()
    low = body.lower()
    tags: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
    for name, start, end in found:
        if name in (b"html", b"head", b"body"):
            continue
        attrs: dict[str, str] = {}
        for attr_name, _, _, vs, ve in attributes(low, start + 1 + len(name), end - 1):
            value = body[vs:ve]
            if value[:1] in (b'"', b"'"):
                value = value[1:-1]
            attrs.setdefault(attr_name.decode("latin-1"), html.unescape(value.decode("latin-1")))
        tags[(name.decode(), _comparable(attrs))] += 1
    return tags


_COMPARED = ("src", "srcset", "href", "data", "type", "rel", "nonce", "data-cg-category")


def _comparable(attrs: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Attribute names, and the values that decide a rewrite (all ASCII in the corpus)."""
    return tuple(sorted((k, v if k in _COMPARED else "") for k, v in attrs.items()))


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_the_scanner_finds_the_tags_html5lib_finds(page: CorpusPage) -> None:
    names = (
        "script", "img", "iframe", "link", "source", "embed", "object", "noscript", "style", "textarea",
        "title", "xmp", "noembed", "noframes", "plaintext",
    )  # fmt: skip
    theirs = Counter((name, _comparable(dict(attrs))) for name, attrs in elements(page.body, names))
    assert _scanner_tags(page.body) == theirs
