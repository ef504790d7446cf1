"""Typed configuration, loaded once at start-up.

A config comes from keyword arguments, a ``consentgate.toml`` file, or both (keywords win):
:mod:`.sections` holds its shape (a frozen dataclass per TOML section, and :class:`Config`),
:mod:`.loader` builds it (:func:`load_config`), :mod:`.checks` the checks that span sections.
"""

from __future__ import annotations

from .admin_section import AdminConfig
from .blocking_section import BlockingConfig, SiteConfig
from .loader import load_config
from .proxy_section import ProxyConfig
from .sections import (
    BUILTIN_CATEGORIES,
    DEFAULT_CATEGORIES,
    OPT_IN_REGIONS,
    ApiConfig,
    CategoryConfig,
    Config,
    CookieConfig,
    CookieFilterConfig,
    GateConfig,
    IdentityConfig,
    LedgerConfig,
    LoggingConfig,
    RegionConfig,
    ServiceConfig,
    ServiceCookieConfig,
    SignalConfig,
    WebhooksConfig,
    WebhookSubscription,
)

__all__ = [
    "BUILTIN_CATEGORIES",
    "DEFAULT_CATEGORIES",
    "OPT_IN_REGIONS",
    "AdminConfig",
    "ApiConfig",
    "BlockingConfig",
    "CategoryConfig",
    "Config",
    "CookieConfig",
    "CookieFilterConfig",
    "GateConfig",
    "IdentityConfig",
    "LedgerConfig",
    "LoggingConfig",
    "ProxyConfig",
    "RegionConfig",
    "ServiceConfig",
    "ServiceCookieConfig",
    "SignalConfig",
    "SiteConfig",
    "WebhookSubscription",
    "WebhooksConfig",
    "load_config",
]
