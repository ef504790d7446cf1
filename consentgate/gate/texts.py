"""The banner's texts: defaults in English, German, French and Spanish, and a site's overrides.

A site overrides any text per language in its config (``[texts.de] title = "…"``), adds a language
the same way (missing keys fall back to English), and relabels a category in one language with the
keys ``"<category>.label"`` and ``"<category>.description"``. Placeholders in braces (``{service}``,
``{category}``) are filled in by the banner.
"""

# French uses the typographic apostrophe (U+2019) on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import ConfigError

__all__ = ["CATEGORY_TEXTS", "DEFAULT_TEXTS", "LANGUAGES", "TEXT_KEYS", "check_texts", "resolve_texts"]

#: The languages shipped; the first is the fallback.
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")

DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "We respect your privacy",
        "body": (
            "With your consent, we and our partners use cookies and similar technologies to measure "
            "visits, show relevant ads and embed social media. You can accept all, reject all or "
            "choose, and change your mind at any time under “Privacy choices”."
        ),
        "accept": "Accept all",
        "reject": "Reject all",
        "customize": "Customize",
        "save": "Save choices",
        "close": "Close",
        "choices": "Privacy choices",
        "prefsTitle": "Privacy preferences",
        "policy": "Privacy policy",
        "services": "Services",
        "gpc": (
            "Your browser's Global Privacy Control signal is honoured: the categories it covers stay off."
        ),
        "embed": "This content from {service} is blocked because you have not allowed {category}.",
        "load": "Load {service}",
        "saving": "Saving your choice…",
        "retrying": "Your choice could not be saved yet; retrying…",
        "failed": "Your choice could not be saved. Please try again.",
        "objection": (
            "Some categories are on unless you object: switch them off under “Customize”, or choose "
            "“Reject all”."
        ),
        "grantedByDefault": "On unless you object",
    },
    "de": {
        "title": "Wir respektieren Ihre Privatsphäre",
        "body": (
            "Mit Ihrer Einwilligung nutzen wir und unsere Partner Cookies und ähnliche Technologien, "
            "um Besuche zu messen, passende Werbung zu zeigen und soziale Medien einzubinden. Sie "
            "können alles akzeptieren, alles ablehnen oder selbst wählen und Ihre Wahl jederzeit unter "
            "„Datenschutz-Einstellungen“ ändern."
        ),
        "accept": "Alle akzeptieren",
        "reject": "Alle ablehnen",
        "customize": "Anpassen",
        "save": "Auswahl speichern",
        "close": "Schließen",
        "choices": "Datenschutz-Einstellungen",
        "prefsTitle": "Einstellungen zur Privatsphäre",
        "policy": "Datenschutzerklärung",
        "services": "Dienste",
        "gpc": (
            "Das Global-Privacy-Control-Signal Ihres Browsers wird beachtet: Die davon erfassten "
            "Kategorien bleiben aus."
        ),
        "embed": "Dieser Inhalt von {service} ist blockiert, weil Sie {category} nicht erlaubt haben.",
        "load": "{service} laden",
        "saving": "Ihre Auswahl wird gespeichert …",
        "retrying": "Ihre Auswahl konnte noch nicht gespeichert werden; neuer Versuch …",
        "failed": "Ihre Auswahl konnte nicht gespeichert werden. Bitte versuchen Sie es erneut.",
        "objection": (
            "Einige Kategorien sind aktiv, solange Sie nicht widersprechen: Schalten Sie sie unter "
            "„Anpassen“ aus oder wählen Sie „Alle ablehnen“."
        ),
        "grantedByDefault": "Aktiv, solange Sie nicht widersprechen",
    },
    "fr": {
        "title": "Nous respectons votre vie privée",
        "body": (
            "Avec votre consentement, nous et nos partenaires utilisons des cookies et technologies "
            "similaires pour mesurer les visites, afficher des publicités pertinentes et intégrer des "
            "réseaux sociaux. Vous pouvez tout accepter, tout refuser ou choisir, et changer d’avis à "
            "tout moment via « Choix de confidentialité »."
        ),
        "accept": "Tout accepter",
        "reject": "Tout refuser",
        "customize": "Personnaliser",
        "save": "Enregistrer mes choix",
        "close": "Fermer",
        "choices": "Choix de confidentialité",
        "prefsTitle": "Préférences de confidentialité",
        "policy": "Politique de confidentialité",
        "services": "Services",
        "gpc": (
            "Le signal Global Privacy Control de votre navigateur est respecté : les catégories qu’il "
            "couvre restent désactivées."
        ),
        "embed": "Ce contenu de {service} est bloqué car vous n’avez pas autorisé : {category}.",
        "load": "Charger {service}",
        "saving": "Enregistrement de votre choix…",
        "retrying": "Votre choix n’a pas encore pu être enregistré ; nouvelle tentative…",
        "failed": "Votre choix n’a pas pu être enregistré. Veuillez réessayer.",
        "objection": (
            "Certaines catégories sont actives sauf si vous vous y opposez : désactivez-les via "
            "« Personnaliser » ou choisissez « Tout refuser »."
        ),
        "grantedByDefault": "Actif sauf opposition de votre part",
    },
    "es": {
        "title": "Respetamos tu privacidad",
        "body": (
            "Con tu consentimiento, nosotros y nuestros socios usamos cookies y tecnologías similares "
            "para medir las visitas, mostrar publicidad relevante e integrar redes sociales. Puedes "
            "aceptarlo todo, rechazarlo todo o elegir, y cambiar de opinión en cualquier momento en "
            "«Opciones de privacidad»."
        ),
        "accept": "Aceptar todo",
        "reject": "Rechazar todo",
        "customize": "Personalizar",
        "save": "Guardar selección",
        "close": "Cerrar",
        "choices": "Opciones de privacidad",
        "prefsTitle": "Preferencias de privacidad",
        "policy": "Política de privacidad",
        "services": "Servicios",
        "gpc": (
            "Se respeta la señal Global Privacy Control de tu navegador: las categorías que abarca "
            "permanecen desactivadas."
        ),
        "embed": "Este contenido de {service} está bloqueado porque no has permitido: {category}.",
        "load": "Cargar {service}",
        "saving": "Guardando tu selección…",
        "retrying": "Aún no se ha podido guardar tu selección; reintentando…",
        "failed": "No se ha podido guardar tu selección. Inténtalo de nuevo.",
        "objection": (
            "Algunas categorías están activas salvo que te opongas: desactívalas en «Personalizar» o "
            "elige «Rechazar todo»."
        ),
        "grantedByDefault": "Activo salvo que te opongas",
    },
}

#: Every text key a language has.
TEXT_KEYS: frozenset[str] = frozenset(DEFAULT_TEXTS["en"])

#: Translations of the built-in categories; English comes from the config's ``[categories]``.
CATEGORY_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "de": {
        "necessary": (
            "Unbedingt erforderlich",
            "Für den Betrieb der Website und zum Speichern Ihrer Wahl nötig. Immer aktiv.",
        ),
        "analytics": ("Statistik", "Zählt Besuche und misst, wie die Website genutzt wird."),
        "advertising": (
            "Werbung",
            "Misst Werbekampagnen und zeigt Ihnen Werbung auf Grundlage Ihrer Besuche.",
        ),
        "social": (
            "Soziale Medien",
            "Eingebettete Videos, Beiträge und Teilen-Schaltflächen sozialer Netzwerke.",
        ),
        "functional": (
            "Funktional",
            "Chat- und Support-Widgets und andere Funktionen, die andere Unternehmen betreiben.",
        ),
    },
    "fr": {
        "necessary": (
            "Strictement nécessaires",
            "Indispensables au fonctionnement du site et à la mémorisation de votre choix. Toujours actifs.",
        ),
        "analytics": ("Mesure d’audience", "Compte les visites et mesure l’utilisation du site."),
        "advertising": (
            "Publicité",
            "Mesure les campagnes publicitaires et affiche des publicités selon vos visites.",
        ),
        "social": (
            "Réseaux sociaux",
            "Vidéos, publications et boutons de partage intégrés des réseaux sociaux.",
        ),
        "functional": (
            "Fonctionnels",
            "Widgets de discussion et d’assistance et autres fonctions fournies par d’autres entreprises.",
        ),
    },
    "es": {
        "necessary": (
            "Estrictamente necesarias",
            "Necesarias para que el sitio funcione y para recordar tu elección. Siempre activas.",
        ),
        "analytics": ("Analítica", "Cuenta las visitas y mide cómo se usa el sitio."),
        "advertising": ("Publicidad", "Mide campañas publicitarias y te muestra anuncios según tus visitas."),
        "social": (
            "Redes sociales",
            "Vídeos, publicaciones y botones para compartir de redes sociales integrados.",
        ),
        "functional": (
            "Funcionales",
            "Widgets de chat y de soporte y otras funciones que prestan otras empresas.",
        ),
    },
}

_LANG_RE = re.compile(r"^[a-z]{2,3}\Z")
_CATEGORY_KEY_RE = re.compile(r"^([a-z][a-z0-9_]{0,31})\.(label|description)\Z")


def check_texts(texts: Mapping[str, Mapping[str, str]], categories: tuple[str, ...]) -> None:
    """Refuses a ``[texts]`` section with an unknown language code shape, key or category.

    Raises :class:`~consentgate.errors.ConfigError` with one sentence naming the key.
    """
    for lang, table in texts.items():
        if not _LANG_RE.match(lang):
            raise ConfigError(
                f"'texts.{lang}' is not a language; use a lower-case primary language code such as 'de'."
            )
        for key, value in table.items():
            where = f"texts.{lang}.{key}"
            match = _CATEGORY_KEY_RE.match(key)
            if match:
                if match.group(1) not in categories:
                    raise ConfigError(
                        f"{where!r} names unknown category {match.group(1)!r}; "
                        f"known categories are: {', '.join(categories)}."
                    )
            elif key not in TEXT_KEYS:
                raise ConfigError(
                    f"unknown key {where!r}; allowed keys there are: {', '.join(sorted(TEXT_KEYS))}, "
                    "and '<category>.label' or '<category>.description'."
                )
            if not value.strip():
                raise ConfigError(
                    f"{where!r} is empty; write the text, or leave the key out for the default."
                )


def resolve_texts(
    overrides: Mapping[str, Mapping[str, str]],
    categories: Mapping[str, tuple[str, str]],
    default_categories: Mapping[str, tuple[str, str]],
) -> dict[str, dict[str, object]]:
    """The texts of every language the banner can show, as the banner reads them.

    ``categories`` are the config's (English) label and description per category;
    ``default_categories`` the built-in English ones, to tell a relabelled category (whose site
    label then wins in every language without an override) from a default one (translated).
    Each language maps text keys to strings and ``"categories"`` to ``{name: [label, description]}``.
    """
    out: dict[str, dict[str, object]] = {}
    for lang in (*LANGUAGES, *(lang for lang in overrides if lang not in LANGUAGES)):
        table = overrides.get(lang, {})
        texts: dict[str, object] = {**DEFAULT_TEXTS["en"], **DEFAULT_TEXTS.get(lang, {})}
        texts.update((k, v) for k, v in table.items() if k in TEXT_KEYS)
        cats: dict[str, list[str]] = {}
        for name, (label, description) in categories.items():
            translated = CATEGORY_TEXTS.get(lang, {}).get(name)
            default = default_categories.get(name)
            pair = [label, description]
            for i in (0, 1):
                # Only a text the site left at its default is translated; a site's own stays as written.
                if translated is not None and default is not None and pair[i] == default[i]:
                    pair[i] = translated[i]
            pair[0] = table.get(f"{name}.label", pair[0])
            pair[1] = table.get(f"{name}.description", pair[1])
            cats[name] = pair
        texts["categories"] = cats
        out[lang] = texts
    return out
