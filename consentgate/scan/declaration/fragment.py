"""The declaration as an embeddable HTML fragment: one table per category.

Every text that reaches HTML passes :func:`html.escape`; links are kept only for http(s) URLs and
site paths (:func:`~.model.safe_url`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from .model import DeclaredCategory, DeclaredCookie, safe_url
from .words import lifetime_text, words_for

__all__ = ["render_html"]


def render_html(language: str, categories: tuple[DeclaredCategory, ...]) -> str:
    """The fragment (no ``<html>``/``<body>``) in ``language``."""
    words = words_for(language)
    e = html.escape
    out = [f'<div class="consentgate-declaration" lang="{e(language)}">']
    for category in categories:
        out.append(f'<section class="consentgate-declaration-category" data-category="{e(category.name)}">')
        out.append(f"<h3>{e(category.label)}</h3>")
        if category.description:
            out.append(f"<p>{e(category.description)}</p>")
        if not category.services:
            out.append(f"<p>{e(words['no_services'])}</p></section>")
            continue
        heads = "".join(
            f'<th scope="col">{e(words[k])}</th>'
            for k in ("service", "provider", "purpose", "cookies", "privacy")
        )
        out.append(f"<table><thead><tr>{heads}</tr></thead><tbody>")
        for service in category.services:
            out.append(
                f'<tr data-service="{e(service.id)}"><th scope="row">{e(service.name)}</th>'
                f"<td>{e(service.provider)}</td><td>{e(service.purpose)}</td>"
                f"<td>{_cookies_html(service.cookies, words)}</td>"
                f"<td>{_link_html(service.privacy_url, words)}</td></tr>"
            )
        out.append("</tbody></table></section>")
    out.append("</div>")
    return "\n".join(out) + "\n"


def _cookies_html(cookies: tuple[DeclaredCookie, ...], words: Mapping[str, str]) -> str:
    if not cookies:
        return html.escape(words["none"])
    items = "".join(
        f"<li><code>{html.escape(c.name)}</code> ({html.escape(lifetime_text(c.lifetime, words))})</li>"
        for c in cookies
    )
    return f"<ul>{items}</ul>"


def _link_html(url: str, words: Mapping[str, str]) -> str:
    if not safe_url(url):
        return ""
    return f'<a href="{html.escape(url)}" rel="noopener noreferrer">{html.escape(words["link"])}</a>'
