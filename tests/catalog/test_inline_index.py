"""Catalog.match_inline runs each snippet's own pattern where its literal occurs: it answers as one
alternation of every service's snippets would (leftmost match, ties to catalog order)."""

from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from consentgate.catalog import Catalog
from consentgate.catalog.service import Service


@functools.cache
def _catalog() -> Catalog:
    return Catalog.builtin()


def _by_alternation(catalog: Catalog, text: str) -> Service | None:
    """The answer of the services' whole patterns, tried in catalog order, leftmost first."""
    best: tuple[int, Service] | None = None
    for _literals, pattern, service in catalog._inline_rules:
        found = pattern.search(text)
        if found is not None and (best is None or found.start() < best[0]):
            best = (found.start(), service)
    return best[1] if best is not None else None


def _snippets() -> list[str]:
    return [s for _l, _p, service in _catalog()._inline_rules for s in service.snippets]


_FILL = ["x", " ", "\n  ", "(", ",", "'", '"', "config", "create", "var a=1;", "fbq(", "gtag(", "track"]


@st.composite
def _texts(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            snippet = draw(st.sampled_from(_snippets()))
            if draw(st.booleans()):  # the other quote, pretty-printed
                snippet = snippet.replace("'", '"').replace(" ", "\n  ")
            parts.append(snippet[: draw(st.integers(0, len(snippet)))] if draw(st.booleans()) else snippet)
        else:
            parts.append(draw(st.sampled_from(_FILL)))
    return "".join(parts)


@settings(max_examples=2000, deadline=None)
@given(_texts())
def test_match_inline_answers_as_the_alternation(text: str) -> None:
    catalog = _catalog()
    expected = _by_alternation(catalog, text)
    got = catalog.match_inline(text)
    assert (got.id if got else None) == (expected.id if expected else None)


def test_two_services_in_one_text_the_leftmost_wins() -> None:
    catalog = _catalog()
    hotjar = "h._hjSettings={hjid:1,hjsv:6};"
    pixel = "fbq('init', '1');"
    assert catalog.match_inline(hotjar + pixel).id == "hotjar"  # type: ignore[union-attr]
    assert catalog.match_inline(pixel + hotjar).id == "meta-pixel"  # type: ignore[union-attr]
