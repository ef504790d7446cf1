"""A seeded token-soup fuzzer: random documents the way a differential fuzzer writes them, judged by
html5lib (scripting on and off), independently of the hypothesis generators.

Each document comes from ``random.Random(seed)`` alone, so a failing seed replays exactly; on a
failure the message gives the seed and the document with every token dropped that the failure does
not need. 300 documents per CI run; ``CG_SOUP_DOCUMENTS=N`` and ``CG_SOUP_SEED=S`` for a long run
(document ``i`` has seed ``S + i``), or ``python -m tests.gate.rewrite.test_soup_fuzz S N``, which
goes on past failures and prints one line per failing seed.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable

import pytest

from consentgate.gate.rewrite import RewritePlan
from tests.support.fuzzing import check_range, long_run
from tests.support.rewriter import SMALL_CAPS, TinyCatalog, fake_injection, leaks, run, tiny_plan

DOCUMENTS = int(os.environ.get("CG_SOUP_DOCUMENTS", "300"))
SEED = int(os.environ.get("CG_SOUP_SEED", "0"))
#: Also feed each document one byte at a time (most of the cost; off for the long runs).
BYTEWISE = os.environ.get("CG_SOUP_BYTEWISE", "1") != "0"
HOSTS = ("google-analytics.com", "googletagmanager.com", "facebook.com", "facebook.net", "youtube.com")
SNIPPETS = ("gtag(", "fbq(")
PLAN = tiny_plan(injection=fake_injection)
NOTHING = RewritePlan(TinyCatalog())  # no known categories: nothing is refused

TRACKERS = [
    "https://www.google-analytics.com/ga.js", "//www.facebook.com/tr?id=1", "HTTPS://WWW.YOUTUBE.COM/embed/x",
    "http:www.facebook.com/tr", "https:connect.facebook.net/x.js", "https:\\\\www.facebook.com\\tr",
    "/\\www.facebook.com/tr", "\\\\www.facebook.com/tr", "https://www\u3002facebook\u3002com/tr",
    "https://\uff57\uff57\uff57.youtube.com/x", "https://%77ww.facebook.com/tr", "https://u:p@www.facebook.com:443/tr",
    "https://www.googletagmanager.com/gtm.js?id=G", "//connect.facebook.net/en_US/fbevents.js",
    "https://www.face\u00adbook.com/tr", "https://WWW.FaceBook.COM./tr", "https://www.facebook.com%2F@x/tr",
    # data: URLs whose document, style sheet or code loads one (read by the oracle for frames,
    # stylesheet links and scripts): percent-encoded, base64, and a scheme split by a tab.
    "data:text/html,%3Cimg%20src%3Dhttps://www.facebook.com/tr%3E", "data:text/javascript,fetch('//www.facebook.com/tr')",
    "data:text/css;base64,QGltcG9ydCB1cmwoaHR0cHM6Ly93d3cuZmFjZWJvb2suY29tL3RyKTs=", "d\ta\nta:,gtag('js')",
]  # fmt: skip
HARMLESS = ["/local.js", "https://cdn.example.com/x.png", "x.png", "#a", "", "data:image/png;base64,AA==", "?q"]  # fmt: skip
RELATIVE = ["tr?id=2", "ga.js", "./x"]  # a tracker only under a tracker's <base href>
ENTITY = {
    "/": ["&#47;", "&sol;", "&#x2F;", "&#0047"],
    ":": ["&#58;", "&colon;", "&#x3a;"],
    ".": ["&#46;", "&period;"],
}
SPLITTERS = ["&Tab;", "&NewLine;", "&#9;", "&#10;", "&#x0D;", "\t", "\n", "\r", "&shy;", "&#xAD;"]
HTML = [
    "script", "img", "image", "iframe", "frame", "frameset", "noframes", "link", "source", "embed", "object",
    "param", "video", "audio", "track", "input", "a", "area", "map", "base", "meta", "style", "title", "textarea",
    "xmp", "noembed", "noscript", "plaintext", "template", "select", "option", "optgroup", "hr", "datalist",
    "keygen", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th", "form", "body",
    "head", "html", "div", "p", "span", "b", "font", "br", "li", "pre", "listing", "button", "label", "picture",
    "marquee", "applet", "math", "svg", "center", "nobr", "h1", "button", "isindex", "frame", "fencedframe",
]  # fmt: skip
FOREIGN = [
    "svg", "math", "foreignObject", "foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "mglyph",
    "malignmark", "annotation-xml", "image", "use", "feImage", "g", "pattern", "filter", "a", "script", "style",
    "set", "animate", "textPath", "cursor", "tref", "mpath", "font", "semantics", "annotation", "x-y", "g:x",
]  # fmt: skip
ATTRS = [
    "src", "SRC", "Src", "srcset", "href", "HREF", "xlink:href", "XLINK:HREF", "xlink:Href", "data", "poster",
    "background", "ping", "attributionsrc", "style", "STYLE", "onerror", "ONLOAD", "onclick", "onbegin", "action",
    "formaction", "srcdoc", "imagesrcset", "content", "http-equiv", "rel", "type", "language", "charset",
    "encoding", "color", "face", "alt", "id", "nonce", "as", "value", "name", "lowsrc", "codebase", "xmlns",
    "data-cg-category", "data-cg-src", "integrity", "sizes", "to", "attributeName", "values", "=x", 'a"b', "/",
]  # fmt: skip
VALUES = [
    "stylesheet", "StyleSheet", "alternate stylesheet", "icon", "shortcut icon", "preload", "modulepreload",
    "prefetch", "prerender", "dns-prefetch", "preconnect", "manifest", " preload\t", "canonical", "refresh",
    "Refresh", "image", "IMAGE", "text/html", "TEXT/HTML", "application/xhtml+xml", "module", "text/javascript",
    "speculationrules", "importmap", "text/plain", "analytics", "social", "bogus", "red", "hidden", "movie",
    "href", "a>b", "</noscript>", "</style>", "</script>", "<!--", "-->", "]]>", "n0nce", "</title>", "x/y",
]  # fmt: skip
TEXT = [
    "x", " ", "\n", "<", "<<", "&", "&amp;", "&lt;img src=x&gt;", "-->", "--!>", "<!--", "]]>", ">", "'", '"', "/",
    "\x00", "\x0c", "\r\n", "<3", "< img", "</", "</ x>", "</>", "</3>",
    "<!>", "<!x>", "<?p>", "<?xml version='1.0'?>", "<![CDATA[", "<![CDATA[ > ]]>", "<!DOCTYPE html>",
    '<!doctype html public "a>b">', "<!-->", "<!--->", "<!---->", "<!-- c -->", "<!-- x --!>", "<!-- a -- b -->",
    "<!--<!-->", "<!-- --->", "<!----!>", "<!-", "<!--x--", "gtag('js')", "fbq('init')", "</noscript>",
]  # fmt: skip
#: Bytes that are not UTF-8 (and a BOM, escapes of ISO-2022-JP, which only a declaration makes count).
RAW = [b"\xff", b"\x80", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xef\xbb\xbf", b"\x1b$B", b"\x1b(B"]
_TOKEN_CAP = 20_000  # (a repeated tag holding an srcdoc document can grow large)
ODD_OPENINGS = ['"', "'", "", "`", "="]  # a value opened one way and closed another (or not)
END_TAG_ENDS = [">", ">", " >", "/>", "\t>", "x>"]
SCRIPT_BITS = [
    "<!--", "-->", "<script>", "<SCRIPT ", "</script>", "</script ", "</scripts>", "<!--<script>", "--!>", "-",
    "<", "x", "</style>", "</noscript>", "</title>", "</textarea>", "</xmp>", "</iframe>", "\x00", "\n",
    "fbq('init', '1')", "gtag('config')", "var a = 1 < 2;", "]]>", "<![CDATA[",
]  # fmt: skip


class Soup:
    """One random document, as a list of tokens (byte strings), from ``seed`` alone."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def case(self, name: str) -> str:
        roll = self.r.random()
        if roll < 0.6:
            return name
        if roll < 0.75:
            return name.upper()
        return "".join(c.upper() if self.r.random() < 0.5 else c for c in name)

    def url(self) -> str:
        r = self.r
        roll = r.random()
        url = r.choice(TRACKERS) if roll < 0.6 else r.choice(RELATIVE) if roll < 0.68 else r.choice(HARMLESS)
        if r.random() < 0.35:  # entities, tabs, newlines, soft hyphens inside the URL
            out = []
            for c in url:
                if c in ENTITY and r.random() < 0.3:
                    c = r.choice(ENTITY[c])
                elif c.isalpha() and r.random() < 0.06:
                    c = r.choice([f"&#{ord(c)};", f"&#x{ord(c):x};", f"&#X{ord(c):X}", f"&#00{ord(c)};"])
                elif r.random() < 0.03:
                    c += r.choice(SPLITTERS)
                out.append(c)
            url = "".join(out)
        if r.random() < 0.1:
            url = r.choice([" ", "\t", "\x01", "\n", "&#32;", "\x00"]) + url
        return url

    def value(self, attr: str) -> str:
        r = self.r
        low = attr.lower()
        roll = r.random()
        loader = low in ("src", "href", "xlink:href", "data", "poster", "background", "ping")
        if (roll < 0.35 or loader) and r.random() < 0.75:
            return self.url()
        if low in ("srcset", "imagesrcset") or roll < 0.42:
            parts = [
                f"{self.url()}{r.choice(['', ' 1x', ' 2x', ' 100w', ' (a,b)', ','])}"
                for _ in range(r.randint(1, 3))
            ]
            return r.choice([", ", ",", " ,", "\x0c,", ",\n"]).join(parts)
        if low == "style" or roll < 0.5:
            u = self.url()
            return r.choice(
                [
                    f"background:url({u})", f"background-image:url('{u}')", f'b\\61 ckground:u\\72l("{u}")',
                    f"list-style:image-set('{u}' 1x)", f"cursor:url({u}),auto", f"--x:url({u}",
                    "background:url(\\2f\\2fwww.facebook.com/tr)", "background:url(/\\2fwww.facebook.com/tr)",
                    "background:url(\\68ttps://www.facebook.com/tr)", "color:red",
                ]
            )  # fmt: skip
        if low.startswith("on") or roll < 0.56:
            u = self.url()
            return r.choice(
                [
                    f"new Image().src='{u}'", f"fetch(\"{u}\")", "fetch('https:\\/\\/www.facebook.com\\/tr')",
                    "fbq('init')", f"import('{u}')", "navigator.sendBeacon('//www.facebook.com/tr')", "x()",
                ]
            )  # fmt: skip
        if roll < 0.62:
            js = r.choice(["javascript:", "JaVaScRiPt:", " javascript:", "java&#x09;script:", "&#106;avascript:",
                           "javascript&colon;", "java\tscript:", "\x01javascript:"])  # fmt: skip
            return js + f"fetch('{self.url()}')"
        if low == "content" or roll < 0.68:
            return (
                r.choice(["0;url=", "0; URL='", "0,", " 5 ; url = ", "0;", '0.5;url="', "1; url"])
                + self.url()
            )
        if low == "srcdoc" or roll < 0.72:
            inner = b"".join(Soup(r.randrange(1 << 30)).tokens(r.randint(1, 6), depth=1)).decode(
                "utf-8", "replace"
            )
            quote = r.choice(['"', "'"])
            return inner.replace("&", "&amp;").replace(quote, "&quot;" if quote == '"' else "&#39;")
        return r.choice(VALUES)

    def attribute(self) -> str:
        r = self.r
        name = r.choice(ATTRS)
        if r.random() < 0.3:
            name = self.case(name)
        if r.random() < 0.08:
            return name
        value = self.value(name)
        form = r.random()
        around = r.choice(["", "", "", " ", "\n", "\t "])
        if form < 0.45:
            return f'{name}{around}={around}"{value.replace(chr(34), "&quot;")}"'
        if form < 0.7:
            return f"{name}{around}={around}'{value.replace(chr(39), '&#39;')}'"
        if form < 0.92:
            for c in " \t\n\r\x0c>":
                value = value.replace(c, "")
            return f"{name}={value}"
        opening, closing = r.choice(ODD_OPENINGS), r.choice(ODD_OPENINGS[:4])
        return f"{name}={opening}{value}{closing}"

    def tag(self, names: list[str]) -> str:
        r = self.r
        parts = ["<" + self.case(r.choice(names))]
        for _ in range(r.choice([0, 1, 1, 2, 2, 3, 4])):
            parts.append(r.choice([" ", " ", "\t", "\n", "\r", "\x0c", "/", " / ", "", "\r\n"]) or " ")
            parts.append(self.attribute())
        if r.random() < 0.05 and len(parts) > 2:  # the same attribute twice, first spelling wins
            parts.append(" " + parts[-1].split("=")[0].strip() + "=" + self.url())
        parts.append(r.choice([">", ">", ">", "/>", " >", "/ >", "\x00>", ""]))
        return "".join(parts)

    def end_tag(self, names: list[str]) -> str:
        r = self.r
        name = self.case(r.choice(names))
        if r.random() < 0.15:
            return f"</{name} {self.attribute()}>"
        return f"</{name}{r.choice(END_TAG_ENDS)}"

    def tracker(self) -> str:
        """A well-formed tag that loads or runs something of the tiny catalog."""
        r = self.r
        u = self.url()
        return r.choice(
            [
                f'<script src="{u}"></script>', f"<img src={u.replace(' ', '')}>", f'<iframe src="{u}"></iframe>',
                f'<link rel="{r.choice(["preload", "stylesheet", "icon", "prefetch"])}" href="{u}">',
                f'<img srcset="/a.png 1x, {u} 2x">', "<script>fbq('init', '1')</script>", f'<embed src="{u}">',
                f'<video poster="{u}"></video>', f'<svg><image href="{u}"/></svg>', f'<base href="{u}">',
                f'<meta http-equiv="refresh" content="0;url={u}">', f'<a ping="{u}">x</a>',
                f'<input type="image" src="{u}">', f'<object data="{u}"></object>', f'<body background="{u}">',
                f'<svg><use xlink:href="{u}#x"/></svg>', f"<style>@import '{u}';</style>", f'<track src="{u}">',
                f"<div style=\"background:url('{u}')\">", f'<svg><script href="{u}"></script></svg>',
            ]
        )  # fmt: skip

    def script(self) -> str:
        r = self.r
        name = r.choice(["script", "script", "style", "title", "textarea", "xmp", "iframe", "noembed",
                         "noframes", "noscript", "svg><script", "math><style", "select><script"])  # fmt: skip
        bits = [r.choice(SCRIPT_BITS) for _ in range(r.randint(0, 8))]
        if r.random() < 0.5:
            bits.insert(r.randint(0, len(bits)), f"new Image().src='{self.url()}';")
        close = "" if r.random() < 0.15 else f"</{self.case(name.split('<')[-1])}>"
        return f"<{name}>{''.join(bits)}{close}"

    def token(self, depth: int, *, repeat: bool = True) -> str | bytes:
        r = self.r
        roll = r.random()
        if roll < 0.22:
            return self.tag(HTML)
        if roll < 0.34:
            return self.tag(FOREIGN)
        if roll < 0.46:
            return self.end_tag(HTML if r.random() < 0.6 else FOREIGN)
        if roll < 0.58:
            return self.tracker()
        if roll < 0.66:
            return self.script()
        if roll < 0.9:
            return r.choice(TEXT)
        if roll < 0.93 and not depth:
            return (
                r.choice(RAW) if r.random() < 0.5 else bytes(r.randrange(256) for _ in range(r.randint(1, 3)))
            )
        if not repeat:
            return r.choice(TEXT)
        unit = [self.token(depth, repeat=False) for _ in range(r.randint(1, 3))]
        return "".join(u if isinstance(u, str) else u.decode("latin-1") for u in unit) * r.randint(2, 6)

    def tokens(self, count: int, depth: int = 0) -> list[bytes]:
        out = []
        r = self.r
        if not depth and r.random() < 0.7:
            out.append(
                r.choice([b"<!doctype html>", b'<!DOCTYPE html><meta charset="utf-8">', b"<html><head>"])
            )
        for _ in range(count):
            token = self.token(depth)
            out.append(token if isinstance(token, bytes) else token.encode("utf-8", "surrogatepass"))
        return out

    def document(self) -> tuple[list[bytes], list[list[int]]]:
        """The tokens, and two ways to cut the document into chunks (as the sizes of the pieces):
        at a few random places, and into pieces of one small random size."""
        tokens = [token[:_TOKEN_CAP] for token in self.tokens(self.r.randint(1, 30))]
        size = sum(map(len, tokens))
        cuts = sorted(self.r.randrange(size + 1) for _ in range(self.r.randint(1, 12)))
        step = self.r.randint(4, 40)
        return tokens, [[b - a for a, b in zip([0, *cuts], cuts, strict=False)], [step] * (size // step)]


def failure(document: bytes, splits: list[list[int]]) -> str | None:
    """What is wrong with the rewriter's output for ``document``, or None (``splits``: chunkings
    to try, as the sizes of the pieces; with BYTEWISE, one byte at a time too)."""
    try:
        once = run(PLAN, document)
    except Exception as error:  # the rewriter must never raise
        return f"raises {type(error).__name__}: {error}"
    if b"necessary" not in document.lower():  # a site may keep a tag on purpose
        try:
            found = leaks(once, HOSTS, SNIPPETS)
        except AssertionError:  # html5lib's own (resetInsertionMode on some <select> nests)
            found = []
        if found:
            return "leak: " + found[0]
    try:
        for plan, name in ((PLAN, "plan"), (SMALL_CAPS, "small caps")):
            whole = once if plan is PLAN else run(plan, document)
            for pieces in [*splits, [1] * len(document)] if BYTEWISE else splits:
                if run(plan, document, chunks=pieces) != whole:
                    return f"chunks ({name})"
            if run(plan, whole) != whole:
                return f"idempotence ({name})"
        if run(NOTHING, document, frozenset()) != document:
            return "identity"
        if run(NOTHING, document, frozenset(), chunks=splits[0]) != document:
            return "identity (chunks)"
    except Exception as error:  # the rewriter must never raise
        return f"raises {type(error).__name__}: {error}"
    return None


def minimize(tokens: list[bytes], same: Callable[[list[bytes]], bool]) -> list[bytes]:
    """Drop runs of tokens (halving their length), then single bytes of short tokens, while ``same``
    still holds: a delta-debugging pass that keeps the failure."""
    size = max(len(tokens) // 2, 1)
    while True:
        at, dropped = 0, False
        while at < len(tokens):
            trial = tokens[:at] + tokens[at + size :]
            if trial and same(trial):
                tokens, dropped = trial, True
            else:
                at += size
        if size == 1 and not dropped:
            break
        size = max(size // 2, 1)
    for i in range(len(tokens)):  # then shorten each token from both ends
        for head in (True, False):
            while len(tokens[i]) > 1:
                shorter = tokens[i][1:] if head else tokens[i][:-1]
                if not same([*tokens[:i], shorter, *tokens[i + 1 :]]):
                    break
                tokens[i] = shorter
    return tokens


def check(seed: int) -> str | None:
    """None if document ``seed`` passes, else the failure, the seed and a minimized document."""
    tokens, splits = Soup(seed).document()
    kind = failure(b"".join(tokens), splits)
    if kind is None:
        return None
    # The same kind of failure (a leak of the same element and way, or the same property).
    head = kind.partition("> ")[0] if kind.startswith("leak") else kind.split(":")[0].split(" (")[0]

    def same(trial: list[bytes]) -> bool:
        found = failure(b"".join(trial), splits)
        return found is not None and found.startswith(head)

    small = b"".join(minimize(list(tokens), same))
    return f"seed {seed}: {kind}\n  minimized ({failure(small, splits)}): {small!r}"


def test_a_script_tag_over_the_cap_after_a_base_href_whatever_the_chunks() -> None:
    # After a <base href> (the exact mode), a whole script tag over the cap did not mark the place
    # of the injection, one cut by a chunk did (found by this fuzzer).
    document = b'<!doctype html><base href="https://cdn.example.com/"><script src="/' + b"x" * 60 + b'.js">'
    whole = run(SMALL_CAPS, document)
    for cut in range(1, len(document)):
        assert run(SMALL_CAPS, document, chunks=[cut]) == whole, cut


@pytest.mark.parametrize("nonce", ["n&shy;1", "n\xad1", "n\u00e91", "a&quot; src=&quot;x"])
def test_a_page_nonce_that_is_not_ascii_is_written_back_as_it_is_read(nonce: str) -> None:
    # The injection carries the page's first nonce: read as latin-1 and written as UTF-8, a
    # second rewrite read another nonce and injected twice (found by this fuzzer).
    document = f'<!doctype html><script nonce="{nonce}">x()</script>'.encode("utf-8", "surrogateescape")
    once = run(PLAN, document)
    assert once.count(b"cg-bootstrap") == 1
    assert run(PLAN, once) == once


def test_token_soup() -> None:
    check_range(check, SEED, DOCUMENTS, "CG_SOUP_SEED={seed} CG_SOUP_DOCUMENTS=1")


if __name__ == "__main__":  # a long run that goes on past failures
    long_run(check)
