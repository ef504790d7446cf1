"""consentgate: a server-side consent gate for marketing websites.

Wrap any ASGI app in :class:`ConsentMiddleware`; the app reads the visitor's :class:`Consent`
from ``scope["consent"]``. A store (``store=``) is any :class:`Store`: :class:`SQLiteStore`, or one
:func:`open_store` makes from a database URL (PostgreSQL too). In front of a website that is not a
Python app, the app is a :class:`ProxyApp` that forwards each request to the site's origin.
"""

from .api.identity import link
from .config import Config, load_config
from .consent.model import Consent
from .errors import ConfigError, ConsentGateError, HTTPError, IdentityError, StoreError
from .middleware import ConsentMiddleware
from .proxy import ProxyApp
from .store import SQLiteStore, Store, open_store

__all__ = [
    "Config",
    "ConfigError",
    "Consent",
    "ConsentGateError",
    "ConsentMiddleware",
    "HTTPError",
    "IdentityError",
    "ProxyApp",
    "SQLiteStore",
    "Store",
    "StoreError",
    "__version__",
    "link",
    "load_config",
    "open_store",
]

#: The package's version: written here only (pyproject.toml reads it from here).
__version__ = "0.1.0"
