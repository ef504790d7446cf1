"""``GET /consentgate/declaration``: the HTML fragment in the visitor's language.

The language is ``?lang=`` when the declaration is written in it, else the best of the visitor's
``Accept-Language``, else English; every language's fragment is rendered once, at start-up.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from ...catalog import Catalog
from ...config import Config
from ...errors import HTTPError
from .build import build_declaration, declaration_languages
from .words import LANGUAGES

__all__ = ["DeclarationRoute", "negotiate_language"]

_LANG_RE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*\Z")


def negotiate_language(
    query_lang: str | None, accept_language: str, available: tuple[str, ...] = LANGUAGES
) -> str:
    """The language to answer in: ``?lang=`` if written in, else the best ``Accept-Language`` one.

    Raises :class:`~consentgate.errors.HTTPError` (400) for a ``lang`` that is not a language tag.
    """
    if query_lang is not None:
        if not _LANG_RE.match(query_lang):
            raise HTTPError(400, "bad_language", "'lang' must be a language tag such as 'en' or 'de-AT'.")
        primary = query_lang.split("-", 1)[0].lower()
        if primary in available:
            return primary
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-", 1)[0].lower()
        if primary in available and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else available[0]


class DeclarationRoute:
    """``GET /consentgate/declaration``: the HTML fragment, rendered once per language at start-up."""

    def __init__(self, config: Config, catalog: Catalog | None = None) -> None:
        catalog = catalog or Catalog.builtin().with_config(config)
        self._languages = declaration_languages(config)
        self._bodies = {
            language: build_declaration(config, catalog, language).to_html().encode()
            for language in self._languages
        }

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the fragment in the visitor's language."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        accept = b""
        for name, value in scope["headers"]:
            if name == b"accept-language":
                accept = value
        lang = query.get("lang", [None])[-1]
        language = negotiate_language(lang, accept.decode("latin-1"), self._languages)
        body = self._bodies[language]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"content-language", language.encode()),
                    (b"vary", b"Accept-Language"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body if scope["method"] != "HEAD" else b""})
