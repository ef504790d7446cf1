"""consentgate: a server-side consent gate for marketing websites.

Wrap any ASGI app in :class:`ConsentMiddleware`; the app reads the visitor's :class:`Consent`
from ``scope["consent"]``.
"""

from .api.identity import IdentityError, link
from .config import Config, load_config
from .consent.model import Consent
from .errors import ConfigError, ConsentGateError, HTTPError, StoreError
from .middleware import ConsentMiddleware

__all__ = [
    "Config",
    "ConfigError",
    "Consent",
    "ConsentGateError",
    "ConsentMiddleware",
    "HTTPError",
    "IdentityError",
    "StoreError",
    "link",
    "load_config",
]

__version__ = "0.1.0"
