"""What the rewriter tests share: a tiny catalog, the corpus, and html5lib's view of a page.

html5lib is the independent judge: it is a complete implementation of the HTML standard's parser,
so "what a browser would load or run" is read from its tree, never from the rewriter's own scanner.
"""

from __future__ import annotations

import contextlib
import html
import re
import sys
import tomllib
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import html5lib
from ada_url import join_url

from consentgate.catalog.urls import FIRST_PARTY, split_url
from consentgate.gate.rewrite import RewritePlan, Rewriter

CORPUS = Path(__file__).resolve().parent.parent / "gate" / "rewrite" / "corpus"
ALL_OPTIONAL = frozenset({"analytics", "advertising", "social"})
CATEGORIES = ("necessary", "analytics", "advertising", "social")
_HTML = "{http://www.w3.org/1999/xhtml}"
_JS_TYPES = {
    "", "module", "text/javascript", "application/javascript", "application/ecmascript",
    "application/x-ecmascript", "application/x-javascript", "text/ecmascript", "text/jscript",
    "text/livescript", "text/x-ecmascript", "text/x-javascript",
}  # fmt: skip
_PRELOADS = {"preload", "prefetch", "preconnect", "dns-prefetch", "modulepreload"}


@dataclass(frozen=True)
class FakeService:
    id: str
    name: str
    category: str


class TinyCatalog:
    """A catalog with a handful of services: hosts by suffix, snippets by substring."""

    def __init__(
        self,
        hosts: dict[str, FakeService] | None = None,
        snippets: dict[str, FakeService] | None = None,
    ) -> None:
        ga = FakeService("google-analytics", "Google Analytics", "analytics")
        meta = FakeService("meta-pixel", "Meta Pixel", "advertising")
        youtube = FakeService("youtube", "YouTube", "social")
        recaptcha = FakeService("recaptcha", "reCAPTCHA", "necessary")
        self.hosts = hosts or {
            "google-analytics.com": ga,
            "googletagmanager.com": ga,
            "facebook.com": meta,
            "facebook.net": meta,
            "youtube.com": youtube,
            "recaptcha.net": recaptcha,
        }
        self.snippets = snippets or {"gtag(": ga, "fbq(": meta}
        self.url_calls = 0
        self.inline_calls = 0

    def match_url(self, url: str) -> FakeService | None:
        self.url_calls += 1
        host = host_of(url)
        return _by_suffix(host, self.hosts) if host else None

    def match_inline(self, text: str) -> FakeService | None:
        self.inline_calls += 1
        for needle, service in self.snippets.items():
            if needle in text:
                return service
        return None


def _by_suffix(host: str, table: dict[str, Any]) -> Any:
    while True:
        if host in table:
            return table[host]
        _, dot, host = host.partition(".")
        if not dot:
            return None


def tiny_plan(*, injection: Any = None, **kwargs: Any) -> RewritePlan:
    return RewritePlan(TinyCatalog(), injection=injection, categories=CATEGORIES, **kwargs)


def fake_injection(nonce: str | None) -> bytes:
    """Stands in for ``Injection.render``: two tags, the first a runnable script, as the real one."""
    attr = f' nonce="{html.escape(nonce, quote=True)}"' if nonce else ""
    return f'<script{attr}>/*cg-bootstrap*/</script><script src="/consentgate/banner.js" defer{attr}></script>'.encode()


#: A plan with tiny caps (a tag of 48 bytes, a script's text of 24), so that short documents reach
#: the paths for tags and texts over the caps.
SMALL_CAPS = tiny_plan(injection=fake_injection, tag_cap=48, script_cap=24)


def run(
    plan: RewritePlan,
    document: bytes,
    blocked: Iterable[str] = ALL_OPTIONAL,
    chunks: Iterable[int] | None = None,
    **kwargs: Any,
) -> bytes:
    """Rewrite ``document`` fed in pieces of the given sizes (one piece by default)."""
    rewriter = Rewriter(plan, blocked, **kwargs)
    out = []
    at = 0
    for size in chunks or ():
        out.append(rewriter.feed(document[at : at + size]))
        at += size
    out.append(rewriter.feed(document[at:]))
    out.append(rewriter.finish())
    return b"".join(out)


def same_at_every_cut(plan: RewritePlan, document: bytes) -> bytes:
    """The rewrite of ``document``, after checking that cutting it in two at any byte gives the same."""
    whole = run(plan, document)
    for cut in range(1, len(document)):
        assert run(plan, document, chunks=[cut]) == whole, cut
    return whole


# --- the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusPage:
    name: str
    body: bytes
    services: tuple[str, ...]
    hosts: tuple[str, ...]
    inline: tuple[str, ...]


def line_events(plan: RewritePlan, document: bytes) -> int:
    """Python lines run inside the rewriter package to rewrite ``document`` (a count that does not
    depend on the machine: what the hostile-markup tests bound)."""
    count = 0
    package = str(Path(sys.modules[Rewriter.__module__].__file__ or "").parent)

    def trace(frame: FrameType, event: str, _arg: object) -> Any:
        nonlocal count
        if not frame.f_code.co_filename.startswith(package):
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        run(plan, document)
    finally:
        sys.settrace(None)
    return count


def corpus() -> list[CorpusPage]:
    manifest = tomllib.loads((CORPUS / "manifest.toml").read_text("utf-8"))["files"]
    pages = []
    for path in sorted(CORPUS.rglob("*.html")):
        name = path.relative_to(CORPUS).as_posix()
        entry = manifest[name]  # every page must say what it tests
        pages.append(
            CorpusPage(
                name,
                path.read_bytes(),
                tuple(entry["services"]),
                tuple(entry["hosts"]),
                tuple(entry["inline"]),
            )
        )
    return pages


# --- html5lib's view ------------------------------------------------------------------------------


def host_of(url: str) -> str | None:
    """The host an http(s) URL reaches, as a browser's WHATWG URL parser reads it (relative URLs:
    None, the page's own host); the parser is ada's, which the gate's catalog uses too."""
    parts = split_url(url)
    return parts[0] if parts is not None else None


def parse(document: bytes, *, scripting: bool) -> Any:
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=True)
    return parser.parse(document, scripting=scripting)


def _runs(attrs: dict[str, str]) -> bool:
    kind = attrs.get("type")
    if kind is None or not kind.strip():
        language = attrs.get("language") if kind is None else None
        if not language:
            return True
        kind = "text/" + language
    return kind.split(";")[0].strip().lower() in _JS_TYPES


def _srcset_urls(value: str) -> list[str]:
    # Written from the HTML standard's srcset parser: a URL is a run of non-spaces (trailing
    # commas dropped); descriptors run to a comma outside parentheses.
    urls, at = [], 0
    while at < len(value):
        while at < len(value) and value[at] in _SPACE + ",":
            at += 1
        start = at
        while at < len(value) and value[at] not in _SPACE:
            at += 1
        url = value[start:at]
        if url.endswith(","):
            urls.append(url.rstrip(","))
            continue
        urls.append(url)
        depth = 0
        while at < len(value) and (value[at] != "," or depth):
            depth = 1 if value[at] == "(" else 0 if value[at] == ")" else depth
            at += 1
        at += 1
    return [u for u in urls if u]


#: Attributes that fetch on the elements that have them (obsolete presentational ``background``,
#: hyperlink auditing ``ping``, the Attribution Reporting API's ``attributionsrc``).
_ANY_ELEMENT_FETCHES = {
    *(("background", n) for n in ("body", "table", "thead", "tbody", "tfoot", "tr", "td", "th")),
    *(("ping", n) for n in ("a", "area")),
    *(("attributionsrc", n) for n in ("a", "area", "img")),
}
_SPACE = " \t\n\f\r"
_XLINK = "{http://www.w3.org/1999/xlink}href"
_SVG = "{http://www.w3.org/2000/svg}"
_FETCH_RELS = {
    "stylesheet", "icon", "shortcut", "apple-touch-icon", "manifest", "preload", "prefetch", "preconnect",
    "dns-prefetch", "modulepreload", "prerender", "mask-icon",
}  # fmt: skip
#: Any URL a text (CSS, a script, a handler, JSON) could make a browser fetch: scheme-relative or
#: with a scheme, escapes of "/" decoded first.
_TEXT_URL = re.compile(
    r"(?:[a-z][a-z0-9+.-]*:)?//[^\s\"'<>()`,;{}\\]+|https?:[^\s\"'<>()`,;{}\\/][^\s\"'<>()`,;{}\\]*", re.I
)
_UNSLASH = re.compile(r"\\(?:/|x2f|u002f|0*2f ?)", re.I)


def _text_urls(text: str) -> list[str]:
    return _TEXT_URL.findall(_UNSLASH.sub("/", text))


def activity(document: bytes, *, scripting: bool, depth: int = 0) -> Iterator[tuple[str, str, str]]:
    """Every fetch and every script run the page causes, per html5lib: ``(tag, kind, value)`` with
    kind ``url`` (a URL fetched, resolved against the page's ``<base href>``), ``inline`` (the text
    of a script that runs) or ``text`` (a handler, CSS, JSON the browser runs or reads URLs from). Written from the HTML standard's list
    of fetching attributes, independently of the rewriter's vocabulary."""
    tree = parse(document, scripting=scripting)
    base = None
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag == _HTML + "base" and "href" in element.attrib:
            base = element.attrib["href"]
            break

    def url(tag: str, value: str) -> tuple[str, str, str]:
        value = value.strip(_SPACE)
        if base is not None and host_of(base):
            with contextlib.suppress(ValueError):
                value = join_url(join_url(FIRST_PARTY, base), value)
        return tag, "url", value

    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        attrs = dict(element.attrib)
        for key, value in attrs.items():
            low_key = key.lower()
            javascript = value.strip(_SPACE + "\x00").lower().startswith("javascript:")
            if low_key.startswith("on") or low_key == "style":
                yield tag, "text", value
            elif (
                javascript
                and tag != _HTML + "script"
                and low_key in ("href", "src", "action", "formaction", _XLINK)
            ):
                yield tag, "text", value  # run on a click or a submit (an iframe's at once)
            elif (low_key, tag[len(_HTML) :]) in _ANY_ELEMENT_FETCHES:
                for part in value.split():
                    yield url(tag, part)
        if tag.startswith(_SVG):
            for key in ("href", _XLINK):
                if key in attrs:
                    yield url(tag, attrs[key])
            if tag == _SVG + "style" and attrs.get("type", "").strip().lower() in ("", "text/css"):
                yield tag, "text", "".join(element.itertext())
            if tag == _SVG + "script" and _runs(attrs):  # SVG scripts run too
                yield tag, "inline", "".join(element.itertext())
            continue
        if not tag.startswith(_HTML):
            continue
        name = tag[len(_HTML) :]
        if name == "script":
            kind = attrs.get("type", "").strip().lower()
            if kind in ("speculationrules", "importmap"):
                yield name, "text", element.text or ""
            elif _runs(attrs):
                if "src" in attrs:
                    yield url(name, attrs["src"])
                    yield from _data_contents(name, attrs["src"], "inline")
                else:
                    yield name, "inline", element.text or ""
        elif name == "style":
            if attrs.get("type", "").strip().lower() in ("", "text/css"):
                yield name, "text", element.text or ""
        elif name == "iframe":
            if "src" in attrs:
                yield url(name, attrs["src"])
                yield from _data_document(attrs["src"], scripting, depth)
            if "srcdoc" in attrs and depth < 3:
                yield from activity(attrs["srcdoc"].encode("utf-8"), scripting=scripting, depth=depth + 1)
        elif name in ("embed", "frame", "track", "audio", "input"):
            if "src" in attrs:
                yield url(name, attrs["src"])
                if name in ("embed", "frame"):
                    yield from _data_document(attrs["src"], scripting, depth)
        elif name == "video":
            for key in ("src", "poster"):
                if key in attrs:
                    yield url(name, attrs[key])
        elif name == "object":
            if "data" in attrs:
                yield url(name, attrs["data"])
                yield from _data_document(attrs["data"], scripting, depth)
        elif name in ("img", "source"):
            if "src" in attrs:
                yield url(name, attrs["src"])
            for one in _srcset_urls(attrs.get("srcset", "")):
                yield url(name, one)
        elif name == "link":
            rel = set(attrs.get("rel", "").lower().split())
            if rel & _FETCH_RELS and "href" in attrs:
                yield url(name, attrs["href"])
                if "stylesheet" in rel:
                    yield from _data_contents(name, attrs["href"], "text")
            for one in _srcset_urls(attrs.get("imagesrcset", "")):
                yield url(name, one)
        elif name == "meta" and attrs.get("http-equiv", "").strip().lower() == "refresh":
            m = re.match(r"[\s\d.]*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", attrs.get("content", ""), re.I)
            if m and m.group(1).strip():
                yield url(name, m.group(1))
        elif name == "base" and "href" in attrs:
            yield url(name, attrs["href"])


def _data_text(value: str) -> str | None:
    """The text a ``data:`` URL holds (percent-encoded or base64; tabs and newlines dropped, as a
    browser's URL parser does), decoded by the standard library's ``data:`` handler; None for any
    other URL or one it cannot read."""
    value = re.sub("[\t\n\r]", "", value.strip(_SPACE))
    if value[:5].lower() != "data:":
        return None
    try:
        with urllib.request.urlopen("data:" + value[5:]) as answer:  # (a data: URL: read in memory)
            return str(answer.read().decode("utf-8", "replace"))
    except (ValueError, OSError):
        return None


def _data_contents(tag: str, value: str, kind: str) -> Iterator[tuple[str, str, str]]:
    """A ``data:`` script's code (run) or style sheet's CSS (its URLs fetched), as ``kind``."""
    text = _data_text(value)
    if text is not None:
        yield tag, kind, text


def _data_document(value: str, scripting: bool, depth: int) -> Iterator[tuple[str, str, str]]:
    """What a frame's ``data:`` document loads or runs (Chromium renders it, whatever its type)."""
    text = _data_text(value)
    if text is not None and depth < 3:
        yield from activity(text.encode("utf-8"), scripting=scripting, depth=depth + 1)


def leaks(document: bytes, hosts: Iterable[str], inline: Iterable[str]) -> list[str]:
    """What of ``hosts`` and ``inline`` the page still loads or runs, with JavaScript on or off
    (a code, CSS or JSON text that names a URL of ``hosts`` counts as loading it)."""
    hosts = tuple(h.lower() for h in hosts)

    def hit(value: str) -> bool:
        host = host_of(value)
        return host is not None and any(host == h or host.endswith("." + h) for h in hosts)

    found = []
    for scripting in (True, False):
        for tag, kind, value in activity(document, scripting=scripting):
            if kind == "url":
                if hit(value):
                    found.append(f"<{tag}> loads {value!r} (scripting={scripting})")
            elif (kind == "inline" and any(needle in value for needle in inline)) or any(
                hit(u) for u in _text_urls(value)
            ):
                found.append(f"<{tag}> runs {value.strip()[:60]!r} (scripting={scripting})")
    return found


def elements(document: bytes, names: Iterable[str]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """The elements called ``names`` in html5lib's tree (JavaScript off), each with its attributes."""
    wanted = set(names)
    out = []
    for element in parse(document, scripting=False).iter():
        tag = element.tag
        if isinstance(tag, str) and tag.startswith(_HTML) and tag[len(_HTML) :] in wanted:
            out.append((tag[len(_HTML) :], tuple(sorted(element.attrib.items()))))
    return out
