"""The declaration as Markdown: a heading and a table per category.

Texts are flattened to one line and Markdown's markup characters escaped, so a service's name or
purpose cannot break the table; links are kept only for http(s) URLs and site paths.
"""

from __future__ import annotations

import re

from .model import DeclaredCategory, safe_url
from .words import lifetime_text, words_for

__all__ = ["render_markdown"]


def render_markdown(language: str, categories: tuple[DeclaredCategory, ...]) -> str:
    """The Markdown text in ``language``."""
    words = words_for(language)
    out: list[str] = []
    for category in categories:
        out.append(f"## {_md(category.label)}")
        out.append("")
        if category.description:
            out.extend([_md(category.description), ""])
        if not category.services:
            out.extend([words["no_services"], ""])
            continue
        keys = ("service", "provider", "purpose", "cookies", "privacy")
        out.append("| " + " | ".join(words[k] for k in keys) + " |")
        out.append("|" + " --- |" * len(keys))
        for service in category.services:
            cookies = "<br>".join(
                f"`{c.name.replace('`', '')}` ({_md(lifetime_text(c.lifetime, words))})"
                for c in service.cookies
            )
            link = f"[{words['link']}]({service.privacy_url})" if safe_url(service.privacy_url) else ""
            cells = (
                _md(service.name),
                _md(service.provider),
                _md(service.purpose),
                cookies or words["none"],
                link,
            )
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>])")


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, markup characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
