"""The declaration's own words in each language it is written in.

Service names, purposes and lifetimes come from the catalog (English); category labels from the
config, else the defaults. A language a site adds in its ``[texts]`` gets its category texts from
there and these words in English.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGUAGES", "lifetime_text", "words_for"]

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

#: The languages the declaration is written in; the first is the fallback.
LANGUAGES: tuple[str, ...] = tuple(_WORDS)


def words_for(language: str) -> Mapping[str, str]:
    """The words of ``language``, English for a language without its own."""
    return _WORDS.get(language, _WORDS[LANGUAGES[0]])


def lifetime_text(lifetime: str, words: Mapping[str, str]) -> str:
    """A cookie's lifetime as the declaration writes it, saying so when none is published."""
    return lifetime or words["unknown"]
