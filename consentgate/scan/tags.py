"""Find the tags of a page that load something, for the scanner.

This reads pages with the standard library's :class:`html.parser.HTMLParser`, a real HTML
tokenizer, and deliberately not with the gate's rewriter: the scanner is an independent check of
what the rewriter should catch, so it must not share the rewriter's blind spots. The stdlib
tokenizer was chosen over html5lib because the scanner ships in the package (html5lib is only a
test dependency), it reports the line of every tag (``getpos()``), which the scan report needs, and
it tolerates the broken markup real sites carry. It treats ``<script>``/``<style>`` content as
raw text and parses ``<noscript>`` content as markup, which is where tracking pixels hide. What
the tags *mean* (which scripts run) is the one definition the rewriter uses too
(:mod:`consentgate.gate.rewrite.vocabulary`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ..gate.rewrite.vocabulary import PRELOAD_RELS, script_runs

__all__ = ["FoundTag", "find_tags"]

#: Absolute or protocol-relative URLs inside an inline script (quoted or not).
_URL_IN_SCRIPT = re.compile(
    r"(?:https?:)?//[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)+[^\s'\"`)<>]*"
)
#: Only the head of an inline script is kept for the report.
_EXCERPT = 80


@dataclass(frozen=True, slots=True)
class FoundTag:
    """One thing a page loads.

    ``kind`` is ``script``, ``inline``, ``frame``, ``embed``, ``pixel``, ``media``, ``preload``,
    ``stylesheet`` or ``link`` (a same-page ``<a href>``, for the crawler). ``url`` is the URL as
    written (empty for inline scripts); ``text`` the inline script's source. ``inert`` is true when
    the page already carries the tag in the gate's inert form (``data-cg-src`` and friends);
    ``category``/``service`` are the site's explicit ``data-cg-category``/``data-cg-service``.
    """

    kind: str
    tag: str
    url: str
    line: int
    text: str = ""
    inert: bool = False
    category: str = ""
    service: str = ""

    @property
    def excerpt(self) -> str:
        """The head of an inline script on one line, for the report."""
        flat = " ".join(self.text.split())
        return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…"

    def script_urls(self) -> list[tuple[str, int]]:
        """The absolute URLs an inline script names (the hosts it may load from), with their lines."""
        return [
            (m.group(0), self.line + self.text.count("\n", 0, m.start()))
            for m in _URL_IN_SCRIPT.finditer(self.text)
        ]


def find_tags(html: str) -> list[FoundTag]:
    """Every loading tag and every ``<a href>`` of ``html``, in document order."""
    parser = _Finder()
    parser.feed(html)
    parser.close()
    return parser.found


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[FoundTag] = []
        self._script: tuple[int, dict[str, str]] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        # Later duplicates of an attribute are ignored, as browsers do.
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name, value or "")
        handler = _HANDLERS.get(tag)
        if tag == "script":
            if "src" in values or "data-cg-src" in values:
                self._add("script", tag, values, "src", line)
                self._script = None
            else:
                self._script = (line, values)
                self._script_text = []
        elif handler is not None:
            handler(self, tag, values, line)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or self._script is None:
            return
        line, values = self._script
        self._script = None
        text = "".join(self._script_text)
        kind = values.get("type")
        inert = bool(values.get("data-cg-category")) and (kind or "").strip().lower() == "text/plain"
        # Anything a browser would not run (text/plain, JSON, templates) is data.
        if text.strip() and (inert or script_runs(kind, values.get("language"))):
            self.found.append(
                FoundTag(
                    "inline",
                    "script",
                    "",
                    line,
                    text=text,
                    inert=inert,
                    category=values.get("data-cg-category", ""),
                    service=values.get("data-cg-service", ""),
                )
            )

    # --- per tag ----------------------------------------------------------------------------------

    def _add(self, kind: str, tag: str, values: dict[str, str], attr: str, line: int) -> None:
        """Record ``values[attr]``, or its inert form ``data-cg-<attr>``, as a ``kind`` tag."""
        url = values.get(attr, "").strip()
        if url:
            self._record(kind, tag, url, line, False, values)
            return
        url = values.get("data-cg-" + attr, "").strip()
        if url:
            self._record(kind, tag, url, line, True, values)

    def _srcset(self, kind: str, tag: str, values: dict[str, str], line: int) -> None:
        for attr in ("srcset", "data-cg-srcset"):
            for candidate in values.get(attr, "").split(","):
                url = candidate.strip().split(" ", 1)[0]
                if url:
                    self._record(kind, tag, url, line, attr != "srcset", values)

    def _record(self, kind: str, tag: str, url: str, line: int, inert: bool, values: dict[str, str]) -> None:
        self.found.append(
            FoundTag(
                kind,
                tag,
                url,
                line,
                inert=inert,
                category=values.get("data-cg-category", ""),
                service=values.get("data-cg-service", ""),
            )
        )

    def _frame(self, tag: str, values: dict[str, str], line: int) -> None:
        self._add("frame", tag, values, "src", line)

    def _embed(self, tag: str, values: dict[str, str], line: int) -> None:
        self._add("embed", tag, values, "data" if tag == "object" else "src", line)

    def _img(self, tag: str, values: dict[str, str], line: int) -> None:
        self._add("pixel", tag, values, "src", line)
        self._srcset("pixel", tag, values, line)

    def _source(self, tag: str, values: dict[str, str], line: int) -> None:
        self._add("media", tag, values, "src", line)
        self._srcset("media", tag, values, line)

    def _link(self, tag: str, values: dict[str, str], line: int) -> None:
        rels = set(values.get("rel", "").lower().split())
        if rels & PRELOAD_RELS:
            self._add("preload", tag, values, "href", line)
        elif "stylesheet" in rels:
            self._add("stylesheet", tag, values, "href", line)

    def _anchor(self, tag: str, values: dict[str, str], line: int) -> None:
        href = values.get("href", "").strip()
        if href and "download" not in values:
            self.found.append(FoundTag("link", tag, href, line))


_HANDLERS = {
    "iframe": _Finder._frame,
    "frame": _Finder._frame,
    "embed": _Finder._embed,
    "object": _Finder._embed,
    "img": _Finder._img,
    "source": _Finder._source,
    "link": _Finder._link,
    "a": _Finder._anchor,
    "area": _Finder._anchor,
}
