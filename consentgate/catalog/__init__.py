"""The service catalog: which third-party service a URL, an inline snippet or a cookie belongs to.

``service`` is the model, ``loading`` reads our ``data/`` files and applies a site's
``[services]``, ``ocd`` is the Open Cookie Database layer, ``urls`` and ``snippets`` prepare
what :class:`Catalog` (``catalog``) matches.
"""

from .catalog import Catalog
from .ocd import OCD_COLUMNS
from .service import CookieRule, Service

__all__ = ["OCD_COLUMNS", "Catalog", "CookieRule", "Service"]
