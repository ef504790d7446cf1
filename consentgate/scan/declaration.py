"""The cookie declaration: per category, every service the site's config enables, with its cookies.

:func:`build_declaration` collects it from the catalog (services, cookies with lifetimes, privacy
links) and the config (categories, the gate's own cookie); :class:`Declaration` writes it as an
embeddable HTML fragment, Markdown or JSON. :class:`DeclarationRoute` serves the HTML fragment at
``GET /consentgate/declaration`` in the visitor's language (``?lang=`` or ``Accept-Language``).
Every text that reaches HTML passes :func:`html.escape`; links are kept only for http(s) URLs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.types import Receive, Scope, Send

from ..catalog.catalog import Catalog
from ..config import DEFAULT_CATEGORIES, Config
from ..errors import HTTPError
from ..gate.texts import resolve_texts

__all__ = [
    "LANGUAGES",
    "Declaration",
    "DeclarationRoute",
    "DeclaredCategory",
    "DeclaredCookie",
    "DeclaredService",
    "build_declaration",
    "declaration_languages",
    "negotiate_language",
]

#: The words of the declaration itself, per language. Service names, purposes and lifetimes come
#: from the catalog (English); category labels from the config, else these defaults.
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "service": "Service",
        "provider": "Provider",
        "purpose": "Purpose",
        "cookies": "Cookies (lifetime)",
        "privacy": "Privacy policy",
        "none": "No cookies.",
        "no_services": "No services in this category.",
        "session": "session",
        "unknown": "lifetime not published",
        "own_name": "Consent choice",
        "own_purpose": "Remembers your consent choice, so the site does not ask again.",
        "this_site": "This site",
        "link": "Privacy policy",
        "days": "days",
    },
    "de": {
        "service": "Dienst",
        "provider": "Anbieter",
        "purpose": "Zweck",
        "cookies": "Cookies (Speicherdauer)",
        "privacy": "Datenschutzerklärung",
        "none": "Keine Cookies.",
        "no_services": "Keine Dienste in dieser Kategorie.",
        "session": "Sitzung",
        "unknown": "Speicherdauer nicht veröffentlicht",
        "own_name": "Einwilligungsauswahl",
        "own_purpose": "Speichert Ihre Einwilligungsauswahl, damit die Website nicht erneut fragt.",
        "this_site": "Diese Website",
        "link": "Datenschutzerklärung",
        "days": "Tage",
    },
    "fr": {
        "service": "Service",
        "provider": "Fournisseur",
        "purpose": "Finalité",
        "cookies": "Cookies (durée de conservation)",
        "privacy": "Politique de confidentialité",
        "none": "Aucun cookie.",
        "no_services": "Aucun service dans cette catégorie.",
        "session": "session",
        "unknown": "durée non publiée",
        "own_name": "Choix de consentement",
        "own_purpose": "Mémorise votre choix de consentement pour que le site ne vous le redemande pas.",
        "this_site": "Ce site",
        "link": "Politique de confidentialité",
        "days": "jours",
    },
    "es": {
        "service": "Servicio",
        "provider": "Proveedor",
        "purpose": "Finalidad",
        "cookies": "Cookies (duración)",
        "privacy": "Política de privacidad",
        "none": "Sin cookies.",
        "no_services": "No hay servicios en esta categoría.",
        "session": "sesión",
        "unknown": "duración no publicada",
        "own_name": "Elección de consentimiento",
        "own_purpose": "Recuerda su elección de consentimiento para que el sitio no vuelva a preguntar.",
        "this_site": "Este sitio",
        "link": "Política de privacidad",
        "days": "días",
    },
}

#: The languages the declaration is written in; the first is the fallback. A language a site adds
#: in its ``[texts]`` gets its category texts from there and these words in English.
LANGUAGES: tuple[str, ...] = tuple(_WORDS)


@dataclass(frozen=True, slots=True)
class DeclaredCookie:
    """A cookie as the declaration lists it (a name ending in ``*`` stands for every name it begins)."""

    name: str
    lifetime: str
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class DeclaredService:
    """A service as the declaration lists it."""

    id: str
    name: str
    provider: str
    purpose: str
    privacy_url: str
    cookies: tuple[DeclaredCookie, ...]


@dataclass(frozen=True, slots=True)
class DeclaredCategory:
    """A category with its label, description and services."""

    name: str
    label: str
    description: str
    services: tuple[DeclaredService, ...]


@dataclass(frozen=True, slots=True)
class Declaration:
    """The whole declaration in one language; write it with :meth:`to_html`, :meth:`to_markdown`, :meth:`to_json`."""

    language: str
    categories: tuple[DeclaredCategory, ...]

    @property
    def services(self) -> list[DeclaredService]:
        """Every declared service, category by category."""
        return [s for c in self.categories for s in c.services]

    def to_json(self) -> dict[str, Any]:
        """The declaration as JSON-able data."""
        return {"language": self.language, "categories": [asdict(c) for c in self.categories]}

    def to_html(self) -> str:
        """An embeddable HTML fragment (no ``<html>``/``<body>``): one table per category."""
        words = _WORDS.get(self.language, _WORDS[LANGUAGES[0]])
        e = html.escape
        out = [f'<div class="consentgate-declaration" lang="{e(self.language)}">']
        for category in self.categories:
            out.append(
                f'<section class="consentgate-declaration-category" data-category="{e(category.name)}">'
            )
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

    def to_markdown(self) -> str:
        """The declaration as Markdown: a heading and a table per category."""
        words = _WORDS.get(self.language, _WORDS[LANGUAGES[0]])
        out: list[str] = []
        for category in self.categories:
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
                    f"`{c.name.replace('`', '')}` ({_md(_lifetime(c, words))})" for c in service.cookies
                )
                link = f"[{words['link']}]({service.privacy_url})" if _safe_url(service.privacy_url) else ""
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


def build_declaration(
    config: Config,
    catalog: Catalog | None = None,
    language: str = "en",
    *,
    only: Collection[str] | None = None,
) -> Declaration:
    """The declaration of every service ``catalog`` (default: the built-in one with ``config``) holds.

    Categories come in the config's order, services by name; the gate's own consent cookies are
    listed under ``necessary``. ``language`` must be one of :data:`LANGUAGES` (else English).
    ``only`` limits it to those service ids (e.g. the ones a scan found on the site).
    """
    texts = _category_texts(config)
    language = language if language in texts else LANGUAGES[0]
    catalog = catalog or Catalog.builtin().with_config(config)
    words = _WORDS.get(language, _WORDS[LANGUAGES[0]])
    by_category: dict[str, list[DeclaredService]] = {name: [] for name in config.category_names}
    for service in catalog.services.values():
        if only is not None and service.id not in only:
            continue
        declared = DeclaredService(
            id=service.id,
            name=service.name,
            provider=service.provider,
            purpose=service.purpose,
            privacy_url=service.privacy_url,
            cookies=tuple(
                DeclaredCookie(c.name + ("*" if c.prefix else ""), c.lifetime, c.purpose)
                for c in service.cookies
            ),
        )
        by_category.setdefault(service.category, []).append(declared)
    for services in by_category.values():
        services.sort(key=lambda s: s.name.lower())
    by_category.setdefault("necessary", []).insert(0, _own_service(config, words))
    categories = []
    for name, services in by_category.items():
        label, description = texts[language].get(name, (name, ""))
        categories.append(DeclaredCategory(name, label, description, tuple(services)))
    return Declaration(language, tuple(categories))


def declaration_languages(config: Config) -> tuple[str, ...]:
    """The languages a declaration can be written in for ``config`` (the shipped ones first)."""
    return tuple(_category_texts(config))


def _category_texts(config: Config) -> dict[str, dict[str, tuple[str, str]]]:
    """Category label and description per language, the way the banner shows them (``texts.py``)."""
    resolved = resolve_texts(
        config.texts,
        {name: (c.label, c.description) for name, c in config.categories.items()},
        {name: (c.label, c.description) for name, c in DEFAULT_CATEGORIES.items()},
    )
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for language, table in resolved.items():
        categories = table["categories"]
        assert isinstance(categories, dict)
        out[language] = {name: (pair[0], pair[1]) for name, pair in categories.items()}
    return out


def _own_service(config: Config, words: Mapping[str, str]) -> DeclaredService:
    days = config.cookie.max_age_days
    lifetime = f"{days} {words['days']}"
    name = config.cookie.name
    return DeclaredService(
        id="consentgate",
        name=words["own_name"],
        provider=words["this_site"],
        purpose=words["own_purpose"],
        privacy_url=config.privacy_policy_url if _safe_url(config.privacy_policy_url) else "",
        cookies=(DeclaredCookie(name, lifetime), DeclaredCookie(name + "_state", lifetime)),
    )


def _lifetime(cookie: DeclaredCookie, words: Mapping[str, str]) -> str:
    return cookie.lifetime or words["unknown"]


def _cookies_html(cookies: tuple[DeclaredCookie, ...], words: Mapping[str, str]) -> str:
    if not cookies:
        return html.escape(words["none"])
    items = "".join(
        f"<li><code>{html.escape(c.name)}</code> ({html.escape(_lifetime(c, words))})</li>" for c in cookies
    )
    return f"<ul>{items}</ul>"


def _link_html(url: str, words: Mapping[str, str]) -> str:
    if not _safe_url(url):
        return ""
    return f'<a href="{html.escape(url)}" rel="noopener noreferrer">{html.escape(words["link"])}</a>'


def _safe_url(url: str) -> bool:
    """Only http(s) URLs and site paths become links (never ``javascript:`` or ``data:``)."""
    if url.startswith("/") and not url.startswith("//"):
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>])")


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, markup characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


# --- language -------------------------------------------------------------------------------------

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
