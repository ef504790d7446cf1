"""The cookie declaration: per category, every service the site's config enables, with its cookies.

``build`` collects it from the catalog and the config into a :class:`Declaration`; ``fragment``
and ``markdown`` write it (JSON is the declaration's own data); ``route`` serves the HTML fragment
at ``GET /consentgate/declaration`` in the visitor's language; ``words`` holds the declaration's
words per language and ``model`` its parts.
"""

from .build import Declaration, build_declaration, declaration_languages
from .model import DeclaredCategory, DeclaredCookie, DeclaredService
from .route import DeclarationRoute, negotiate_language
from .words import LANGUAGES

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
