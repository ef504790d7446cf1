"""The declaration itself, and how it is built from the catalog and the config.

:func:`build_declaration` collects, per category, every service the site's config enables with its
cookies, lifetimes and privacy links, plus the gate's own consent cookies under ``necessary``;
:class:`Declaration` writes itself as JSON, an HTML fragment (``fragment``) or Markdown
(``markdown``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ...catalog import Catalog
from ...config import BUILTIN_CATEGORIES, Config
from ...gate.texts import resolve_texts
from .fragment import render_html
from .markdown import render_markdown
from .model import DeclaredCategory, DeclaredCookie, DeclaredService, safe_url
from .words import LANGUAGES, words_for

__all__ = ["Declaration", "build_declaration", "declaration_languages"]


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
        return render_html(self.language, self.categories)

    def to_markdown(self) -> str:
        """The declaration as Markdown: a heading and a table per category."""
        return render_markdown(self.language, self.categories)


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
    words = words_for(language)
    by_category: dict[str, list[DeclaredService]] = {name: [] for name in config.category_names}
    listed = list(catalog.services.values())
    if only is not None:
        # A scan also finds third-party-web's services, which the catalog only looks up.
        listed = [s for s in listed if s.id in only]
        listed += [s for sid in sorted(set(only) - set(catalog.services)) if (s := catalog.find(sid))]
    for service in listed:
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
        {name: (c.label, c.description) for name, c in BUILTIN_CATEGORIES.items()},
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
        privacy_url=config.privacy_policy_url if safe_url(config.privacy_policy_url) else "",
        cookies=(DeclaredCookie(name, lifetime), DeclaredCookie(name + "_state", lifetime)),
    )
