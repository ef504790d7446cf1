"""What the rewriter tests share: a tiny catalog, the corpus, and html5lib's view of a page.

html5lib is the independent judge: it is a complete implementation of the HTML standard's parser,
so "what a browser would load or run" is read from its tree, never from the rewriter's own scanner.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import html5lib

from consentgate.catalog.urls import split_url
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
    attr = f' nonce="{nonce}"' if nonce else ""
    return f'<script{attr}>/*cg-bootstrap*/</script><script src="/consentgate/banner.js" defer{attr}></script>'.encode()


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


# --- the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusPage:
    name: str
    body: bytes
    services: tuple[str, ...]
    hosts: tuple[str, ...]
    inline: tuple[str, ...]


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
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def activity(document: bytes, *, scripting: bool) -> Iterator[tuple[str, str, str]]:
    """Every fetch and every script run the page causes, per html5lib: ``(tag, kind, value)`` with
    kind ``url`` (a URL fetched) or ``inline`` (the text of an inline script that runs)."""
    for element in parse(document, scripting=scripting).iter():
        tag = element.tag
        if not isinstance(tag, str) or not tag.startswith(_HTML):
            continue
        name = tag[len(_HTML) :]
        attrs = dict(element.attrib)
        if name == "script":
            if not _runs(attrs):
                continue
            if "src" in attrs:
                yield name, "url", attrs["src"]
            else:
                yield name, "inline", element.text or ""
        elif name in ("iframe", "embed"):
            if "src" in attrs:
                yield name, "url", attrs["src"]
        elif name == "object":
            if "data" in attrs:
                yield name, "url", attrs["data"]
        elif name in ("img", "source"):
            if "src" in attrs:
                yield name, "url", attrs["src"]
            for url in _srcset_urls(attrs.get("srcset", "")):
                yield name, "url", url
        elif name == "link":
            rel = set(attrs.get("rel", "").lower().split())
            if rel & _PRELOADS and "href" in attrs:
                yield name, "url", attrs["href"]


def leaks(document: bytes, hosts: Iterable[str], inline: Iterable[str]) -> list[str]:
    """What of ``hosts`` and ``inline`` the page still loads or runs, with JavaScript on or off."""
    hosts = tuple(h.lower() for h in hosts)
    found = []
    for scripting in (True, False):
        for tag, kind, value in activity(document, scripting=scripting):
            if kind == "url":
                host = host_of(value)
                if host and any(host == h or host.endswith("." + h) for h in hosts):
                    found.append(f"<{tag}> loads {value!r} (scripting={scripting})")
            elif any(needle in value for needle in inline):
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
