"""The scan between the candidates: URLs a browser reads once it drops tabs and newlines, and the
tags around the ones the scan passes over, judged by html5lib with scripting on and off."""

from __future__ import annotations

import pytest

from tests.support.rewriter import fake_injection, leaks, run, tiny_plan

PIXEL_HOST = "www.facebook.com/tr?id=1"
HOSTS = ("googletagmanager.com", "google-analytics.com", "facebook.com", "facebook.net", "youtube.com")
PLAN = tiny_plan(injection=fake_injection)
PREFIX = '<!doctype html><html><head><meta charset="utf-8"></head><body>'


def _check(page: str) -> bytes:
    document = (PREFIX + page).encode("utf-8")
    assert leaks(document, HOSTS, ()), "the page must load a tracker to begin with"
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ()) == []
    for size in (1, 7, 64):
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == out
    assert run(PLAN, out) == out
    return out


@pytest.mark.parametrize(
    "url",
    [
        f"/\n/{PIXEL_HOST}",  # "//host" once the newline is dropped
        f"/\t\r\n/{PIXEL_HOST}",
        f"/&NewLine;/{PIXEL_HOST}",
        f"/&#10;/{PIXEL_HOST}",
        f"ht\ntp:{PIXEL_HOST}",  # "http:host", absolute on an https page
        f"http\t:{PIXEL_HOST}",
        f"http:/{PIXEL_HOST}",  # one slash is enough for a special scheme
        f"h&#116;tp:{PIXEL_HOST}",
        f"&#x68;ttps:{PIXEL_HOST}",
        f"http&colon;{PIXEL_HOST}",
    ],
)
@pytest.mark.parametrize(
    "template",
    [
        '<img src="{url}">',  # a passive candidate
        '<p class="x">a</p><video src="{url}"></video>',  # an ordinary tag between candidates
        '<iframe src="{url}"></iframe>',
        '<img src="/a.png"><input type="image" src="{url}"><img src="/b.png">',
    ],
)
def test_split_and_spelled_urls_are_seen(template: str, url: str) -> None:
    _check(template.format(url=url))


@pytest.mark.parametrize(
    "page",
    [
        # Tags the scan passes over (harmless images, their own URLs first party or unknown), then
        # an ordinary tag that loads a tracker: before, between and after them.
        '<video src="//{p}"></video><img src="//cdn.example/a.png"><img src="/b.png">',
        '<img src="//cdn.example/a.png"><video src="//{p}"></video><img src="/b.png">',
        '<img src="//cdn.example/a.png"><img src="/b.png"><video src="//{p}"></video>',
        # An image inside another tag's attribute value: not a tag, but still passed over.
        '<a title="<img src=//cdn.example/x.png>" ping="//{p}">x</a>',
        '<div title="<img alt=\'//cdn.example/x.png\'>"><video src="https://{p}"></video></div>',
        # A trigger in text, then the tag.
        '<p>see http: and //here &#47; &amp;</p><video src="//{p}"></video>',
    ],
)
def test_tags_around_passed_images_are_judged(page: str) -> None:
    _check(page.format(p=PIXEL_HOST))
