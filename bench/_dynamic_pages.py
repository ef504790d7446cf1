"""The dynamic pages of ``bench_dynamic.py``: the demo's page as a template with fresh values.

:class:`DynamicPage` renders the demo's 20 KB page (``bench_http.py``'s) grown to a given size with
related-post cards, and fills three slots on every call, as a server-rendered site does: a CSRF
token in a hidden input, a CSP nonce on every ``<script>`` (and in the header, :func:`csp`), and a
request id and timestamp in an inline ``dataLayer.push``.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from dataclasses import dataclass

from bench_http import html_page

__all__ = ["DynamicPage", "Rendered", "csp", "page_template"]

# --- the template --------------------------------------------------------------------------------------

# Slots of the template, filled on every request.
_NONCE, _CSRF, _DATA = "\x00nonce\x00", "\x00csrf\x00", "\x00data\x00"
_SLOT = re.compile("\x00(nonce|csrf|data)\x00")
_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>")
_NONCE_ATTR = re.compile(r'\s+nonce="[^"]*"')
_FILLER = re.compile(r"(?:<p>[^<]*</p>\n)+(?=</main>)")

_PAGE_DATA = (
    "<script>\n  window.dataLayer = window.dataLayer || [];\n"
    '  dataLayer.push({"event": "page_data", "pageType": "blog_post", "section": "guides", '
    '"loggedIn": false, ' + _DATA + "});\n</script>\n"
)
_NEWSLETTER = (
    '      <div class="aside-card">\n        <h2>Get the newsletter</h2>\n'
    '        <form class="newsletter" method="post" action="/newsletter">\n'
    '          <input type="hidden" name="csrf_token" value="' + _CSRF + '">\n'
    '          <label for="nl-email">Work email</label>\n'
    '          <input id="nl-email" type="email" name="email" autocomplete="email" required>\n'
    '          <button class="button" type="submit">Subscribe</button>\n'
    "        </form>\n      </div>\n"
)
_TOPICS = ("Guides", "Attribution", "Google Ads", "Agencies", "Privacy", "Product news")
_AUTHORS = ("Maya Okafor", "Jon Reyes", "Priya Natarajan", "Tom Becker", "Ana Lima")
_WORDS = (
    "call", "tracking", "number", "campaign", "keyword", "landing", "page", "caller", "booked", "job",
    "agency", "client", "budget", "click", "conversion", "report", "source", "session", "search", "ad",
    "lead", "score", "transcript", "team", "follow", "up", "value", "offline", "pool", "swap",
)  # fmt: skip
_CDN = "https://cdn.callwise.example/img"
_CARD = """      <article class="card">
        <a class="card-media" href="/blog/{slug}"><picture><source type="image/webp" srcset="{cdn}/{slug}-400.webp 400w, {cdn}/{slug}-800.webp 800w" sizes="(max-width: 700px) 100vw, 33vw"><img src="{cdn}/{slug}-800.jpg" alt="" loading="lazy" width="400" height="225"></picture></a>
        <p class="eyebrow"><a href="/blog/topic/{topic_slug}">{topic}</a> &middot; {minutes} min read</p>
        <h3><a href="/blog/{slug}">{title}</a></h3>
        <p>{excerpt}</p>
        <p class="byline">By <a href="/authors/{author_slug}">{author}</a> &middot; <a href="/blog/{slug}#comments">{comments} comments</a></p>
      </article>
"""
_YOUTUBE = """      <figure class="card video">
        <iframe width="560" height="315" src="https://www.youtube.com/embed/{video}?si=r{n}" title="YouTube video player" frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>
        <figcaption>Watch: {title}</figcaption>
      </figure>
"""
_VIMEO = """      <figure class="card video">
        <iframe src="https://player.vimeo.com/video/{video}?h=5e3b{n:04d}&amp;badge=0" width="640" height="360" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" title="{title}"></iframe>
        <figcaption>Webinar: {title}</figcaption>
      </figure>
"""


def _cards(size: int, page_len: int) -> str:
    """Related posts until the page reaches ``size`` bytes: a grid of cards, with a video every
    seventh card on a big page (a YouTube embed, every third one on Vimeo)."""
    rnd = random.Random(size)

    def words(n: int) -> str:
        return " ".join(rnd.choice(_WORDS) for _ in range(n)).capitalize()

    head = '<section class="section related" aria-label="More from the blog">\n  <div class="container">\n    <h2>More from the blog</h2>\n    <div class="card-grid">\n'
    foot = "    </div>\n  </div>\n</section>\n"
    parts = [head]
    total = page_len + len(head) + len(foot)
    n = 0
    while total < size:
        title = words(6)
        slug = "-".join(title.lower().split()[:4]) + f"-{n}"
        topic = _TOPICS[n % len(_TOPICS)]
        author = _AUTHORS[n % len(_AUTHORS)]
        if size > 50_000 and n % 7 == 6:
            template = _VIMEO if n % 3 == 2 else _YOUTUBE
            part = template.format(video=f"{rnd.getrandbits(40):010x}"[:11], n=n, title=title)
        else:
            part = _CARD.format(
                slug=slug,
                cdn=_CDN,
                topic=topic,
                topic_slug=topic.lower().replace(" ", "-"),
                minutes=3 + n % 9,
                title=title,
                excerpt=words(28) + ".",
                author=author,
                author_slug=author.lower().replace(" ", "-"),
                comments=n * 7 % 23,
            )
        parts.append(part)
        total += len(part.encode())
        n += 1
    parts.append(foot)
    return "".join(parts)


def page_template(size: int) -> str:
    """The demo's 20 KB page as a template of ``size`` bytes or a little more, with its slots."""
    page = _FILLER.sub("", html_page(), count=1)
    # A nonce on every script: the page's own (Facebook's embed code carries one) is replaced.
    page = _SCRIPT_TAG.sub(lambda m: f'<script{_NONCE_ATTR.sub("", m.group(1))} nonce="{_NONCE}">', page)
    # The page data goes first, before the tag manager's snippet that reads it.
    at = page.find("<!-- Google Tag Manager -->")
    if at < 0:
        at = page.index("<script")
    page_data = _PAGE_DATA.replace("<script>", f'<script nonce="{_NONCE}">')
    page = page[:at] + page_data + page[at:]
    aside = page.index('<aside class="post-aside">') + len('<aside class="post-aside">\n')
    page = page[:aside] + _NEWSLETTER + page[aside:]
    end = page.index("</main>")
    return page[:end] + _cards(size, len(page.encode())) + page[end:]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendering of a page: its text and the values that are new in it."""

    html: str
    nonce: str
    csrf: str
    request_id: str


class DynamicPage:
    """A page template split at its slots once; :meth:`render` fills them with fresh values."""

    def __init__(self, size: int) -> None:
        pieces = _SLOT.split(page_template(size))
        self._texts = pieces[0::2]
        self._slots = pieces[1::2]

    def render(self) -> Rendered:
        nonce = secrets.token_urlsafe(18)
        csrf = secrets.token_urlsafe(32)
        request_id = secrets.token_hex(8)
        data = f'"requestId": "{request_id}", "renderedAt": {time.time_ns() // 1_000_000}'
        values = {"nonce": nonce, "csrf": csrf, "data": data}
        texts = self._texts
        out = [texts[0]]
        for slot, text in zip(self._slots, texts[1:], strict=True):
            out.append(values[slot])
            out.append(text)
        return Rendered("".join(out), nonce, csrf, request_id)


def csp(nonce: str) -> str:
    """A strict Content-Security-Policy for a nonce (the form web.dev recommends)."""
    return (
        f"script-src 'nonce-{nonce}' 'strict-dynamic' https: 'unsafe-inline'; "
        "object-src 'none'; base-uri 'none'"
    )
