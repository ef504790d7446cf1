"""SVG animation that sets a fetching attribute: ``<set attributeName="href" to="...">`` and
``<animate values="...">`` make a browser fetch the animated value (Chromium does, with scripting
on and off: tests/browser/test_charset_and_animation_browser.py). html5lib cannot run the
animation, so the judge here is html5lib's tree of the rewritten page: no SVG animation element
may still hold a refused URL in ``to``, ``from``, ``by`` or ``values``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.rewriter import host_of, parse, run, tiny_plan

PIXEL = "https://www.facebook.com/tr?id=1"
GTM = "https://www.googletagmanager.com/gtm.js?id=GTM-1"
PLAN = tiny_plan()
_SVG = "{http://www.w3.org/2000/svg}"
_ANIMATIONS = {_SVG + n for n in ("set", "animate", "animateMotion", "animateTransform")}
_VALUES = ("to", "from", "by", "values")
_REFUSED = ("facebook.com", "googletagmanager.com")


def _animated_urls(document: bytes) -> list[str]:
    """The URLs an SVG animation element of the page would set, as html5lib parses the page."""
    found: list[str] = []
    for scripting in (True, False):
        tree: Any = parse(document, scripting=scripting)
        for element in tree.iter():
            if element.tag not in _ANIMATIONS:
                continue
            for name in _VALUES:
                value = element.get(name)
                if value is not None:
                    found.extend(v.strip() for v in value.split(";") if v.strip())
    return found


def _refused(urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        host = host_of(url)
        if host is not None and any(host == h or host.endswith("." + h) for h in _REFUSED):
            out.append(url)
    return out


def _check(markup: str) -> bytes:
    document = f"<!doctype html><html><head></head><body>{markup}</body></html>".encode()
    assert _refused(_animated_urls(document)), "the page must animate to a tracker to begin with"
    out = run(PLAN, document)
    assert _refused(_animated_urls(out)) == []
    for size in (1, 7, 64):
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == out
    assert run(PLAN, out) == out
    return out


@pytest.mark.parametrize(
    "markup",
    [
        f'<svg><image href="/ok.png"><set attributeName="href" to="{PIXEL}"/></image></svg>',
        f'<svg><image href="/ok.png"><set attributeName="xlink:href" to="{PIXEL}"/></image></svg>',
        f'<svg><image id="i" href="/ok.png"/><set href="#i" attributeName="href" to="{PIXEL}"/></svg>',
        f'<svg><image href="/ok.png"><animate attributeName="href" values="/a.png;{PIXEL}" dur="1s"/></image></svg>',
        f'<svg><image href="/ok.png"><animate attributeName="href" values=" {PIXEL} ; /a.png" dur="1s"/></image></svg>',
        f'<svg><image href="/ok.png"><animate attributeName="href" from="{PIXEL}" to="/b.png" dur="1s"/></image></svg>',
        f'<svg><image href="/ok.png"><animate attributeName="href" by="{PIXEL}" dur="1s"/></image></svg>',
        f'<svg><feImage><SET attributeName="href" TO="{PIXEL}"></SET></feImage></svg>',
        f'<svg><script><set attributeName="href" to="{GTM}"/></script></svg>',
        '<svg><image href="/ok.png"><animate attributeName="href" values="/a.png;https:&#x2f;&#x2f;www.facebook.com/tr" dur="1s"/></image></svg>',
    ],
)
def test_an_animated_url_of_a_refused_service_is_made_inert(markup: str) -> None:
    out = _check(markup)
    assert b"data-cg-" in out


def test_animations_to_first_party_urls_stay_as_they_are() -> None:
    page = b'<!doctype html><svg><image href="/a.png"><set attributeName="href" to="/b.png"/></image></svg>'
    assert run(PLAN, page) == page
    page = b'<!doctype html><svg><rect><animate attributeName="x" values="0;10;0" dur="1s"/></rect></svg>'
    assert run(PLAN, page) == page
