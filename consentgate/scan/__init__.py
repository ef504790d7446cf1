"""``consentgate scan`` and the cookie declaration.

:func:`scan` (``scanner``) crawls a site (``crawl``), finds what each page loads (``tags``), sorts
it against the catalog (``classify``) into a :class:`ScanReport` (``report``). ``declaration``
writes the cookie declaration a privacy policy needs and serves it at
``GET /consentgate/declaration``.
"""

from .classify import toml_snippet
from .declaration import LANGUAGES, Declaration, DeclarationRoute, build_declaration
from .report import CookieFinding, Item, Occurrence, PageResult, ScanReport, ServiceFinding, Unclassified
from .scanner import scan

__all__ = [
    "LANGUAGES",
    "CookieFinding",
    "Declaration",
    "DeclarationRoute",
    "Item",
    "Occurrence",
    "PageResult",
    "ScanReport",
    "ServiceFinding",
    "Unclassified",
    "build_declaration",
    "scan",
    "toml_snippet",
]
