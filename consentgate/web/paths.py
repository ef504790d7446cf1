"""The paths of every route the gate answers itself: the HTTP contract's addresses, in one place."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ADMIN_PATH",
    "API_PREFIX",
    "ASSETS_PREFIX",
    "BANNER_PATH",
    "CONSENT_PATH",
    "DECLARATION_PATH",
    "GPC_PATH",
    "OWN_PREFIX",
    "STATS_PATH",
]

#: Every path under this one is the gate's own and is never passed to the app.
OWN_PREFIX: Final = "/consentgate/"
#: The Global Privacy Control well-known resource (also the gate's own).
GPC_PATH: Final = "/.well-known/gpc.json"
CONSENT_PATH: Final = "/consentgate/consent"
BANNER_PATH: Final = "/consentgate/banner.js"
#: The banner's versioned assets: ``<ASSETS_PREFIX><version>/<name>`` (the guard's rules, the texts).
ASSETS_PREFIX: Final = "/consentgate/assets/"
DECLARATION_PATH: Final = "/consentgate/declaration"
API_PREFIX: Final = "/consentgate/api/v1/"
ADMIN_PATH: Final = "/consentgate/admin/"
STATS_PATH: Final = "/consentgate/admin/stats.json"
