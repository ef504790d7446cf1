"""The configuration's shape: one frozen dataclass per TOML section, and :class:`Config`, the whole.

A section checks what it alone can (a range, a CIDR) in its ``__post_init__``; :class:`Config` checks
what spans sections (a category named in ``[signals]`` must exist) with :mod:`.checks`, so a
``Config`` built any way (by :func:`~consentgate.config.load_config` or directly) is a valid one.
Wrong types and unknown keys in TOML or keyword overrides are refused earlier, by :mod:`.loader`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Literal

from ..errors import ConfigError
from ..gate.texts import check_texts
from .admin_section import AdminConfig
from .banner_section import BannerConfig, check_variants
from .blocking_section import BlockingConfig, SiteConfig
from .checks import (
    check_categories,
    check_cookie,
    check_cookie_filter,
    check_database,
    check_gpc_last_update,
    check_gpc_refuses,
    check_region,
    check_revision,
    check_services,
    check_url,
)
from .gate_section import GateConfig
from .proxy_section import ProxyConfig
from .regimes import RegionConfig, check_regimes

__all__ = [
    "BUILTIN_CATEGORIES",
    "DEFAULT_CATEGORIES",
    "OPT_IN_REGIONS",
    "ApiConfig",
    "CategoryConfig",
    "Config",
    "CookieConfig",
    "CookieFilterConfig",
    "GateConfig",
    "IdentityConfig",
    "LedgerConfig",
    "LoggingConfig",
    "Mode",
    "ProxyConfig",
    "Regime",
    "RegionConfig",
    "ServiceConfig",
    "ServiceCookieConfig",
    "SignalConfig",
    "WebhookSubscription",
    "WebhooksConfig",
]

Regime = Literal["opt-in", "opt-out"]
Mode = Literal["uniform", "per_visitor"]

#: EU and EEA members, the United Kingdom and Switzerland: opt-in whatever the default says.
OPT_IN_REGIONS: tuple[str, ...] = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "GB", "CH",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CategoryConfig:
    """One consent category as the banner shows it."""

    label: str = ""
    description: str = ""


DEFAULT_CATEGORIES: dict[str, CategoryConfig] = {
    "necessary": CategoryConfig(
        "Strictly necessary", "Needed for the site to work and to remember your choice. Always on."
    ),
    "analytics": CategoryConfig("Analytics", "Counts visits and measures how the site is used."),
    "advertising": CategoryConfig(
        "Advertising", "Measures ad campaigns and shows you ads based on your visits."
    ),
    "social": CategoryConfig("Social media", "Embedded videos, posts and share buttons of social networks."),
}

#: The default categories and the built-in ones a site turns on by naming them ([categories.functional]).
BUILTIN_CATEGORIES: dict[str, CategoryConfig] = {
    **DEFAULT_CATEGORIES,
    "functional": CategoryConfig("Functional", "Chat widgets and other features run by other companies."),
}


@dataclass(frozen=True, slots=True)
class CookieConfig:
    """The signed consent cookie."""

    name: str = "consentgate"
    #: About 6 months, the lifetime the CNIL recommends for a consent choice.
    max_age_days: int = 182
    domain: str = ""


@dataclass(frozen=True, slots=True)
class SignalConfig:
    """Browser privacy signals."""

    #: Categories a ``Sec-GPC: 1`` (or an honoured ``DNT: 1``) refuses whatever the regime.
    gpc_refuses: tuple[str, ...] = ("advertising", "social")
    honour_dnt: bool = False
    #: When true, an explicit choice of the visitor is honoured over their GPC signal.
    choice_overrides_gpc: bool = False


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    """The minimal request log (:mod:`consentgate.logs`) and its roll-up window."""

    enabled: bool = False
    destination: Literal["file", "stdout"] = "file"
    #: Raw lines go to hour- (or day-) stamped files beside this name: ``requests.2026-11-23T12.log``.
    path: str = "./consentgate-logs/requests.log"
    rotation: Literal["hourly", "daily"] = "hourly"
    #: Raw lines older than this are rolled up into IP-free hourly aggregates and deleted.
    window_hours: int = 24
    #: ``default``: IPv4 /24, IPv6 /48; ``strict``: IPv4 /16, IPv6 /32.
    ip_profile: Literal["default", "strict"] = "default"
    #: Peers (addresses or CIDRs) whose forwarding header is believed.
    trusted_proxies: tuple[str, ...] = ()
    proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    #: How often the in-process scheduler rolls up (0: only ``consentgate logs rollup``).
    rollup_every_minutes: int = 10

    def __post_init__(self) -> None:
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(
                    f"'logging.trusted_proxies' lists {proxy!r}; use an IP address or a CIDR such as '10.0.0.0/8'."
                ) from None
        if not 1 <= self.window_hours <= 24 * 31:
            raise ConfigError("'logging.window_hours' must be between 1 and 744 (31 days).")
        if self.rotation == "daily" and self.window_hours < 24:
            raise ConfigError("'logging.rotation' = 'daily' needs 'logging.window_hours' of 24 or more.")
        if not 0 <= self.rollup_every_minutes <= 1440:
            raise ConfigError("'logging.rollup_every_minutes' must be between 0 (off) and 1440.")
        if self.destination == "file" and not self.path.strip():
            raise ConfigError("'logging.path' must name a file when 'logging.destination' is 'file'.")


@dataclass(frozen=True, slots=True)
class ServiceCookieConfig:
    """A cookie of a configured service; a name ending in ``*`` is a prefix (``"_ga_*"``)."""

    name: str
    lifetime: str = ""
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """A site's own service, or an override of a built-in one (same id); omitted fields keep the built-in.

    ``hosts`` are host suffixes, ``paths`` are ``"host/path-prefix"`` rules, ``snippets`` substrings of
    inline scripts, ``cookies`` names (``"name"``, ``"prefix*"`` or tables with lifetime and purpose).
    A list given here replaces the built-in list; ``enabled = false`` removes a built-in service.
    """

    category: str = ""
    name: str = ""
    provider: str = ""
    hosts: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None
    snippets: tuple[str, ...] | None = None
    cookies: tuple[str | ServiceCookieConfig, ...] | None = None
    purpose: str = ""
    privacy_url: str = ""
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class CookieFilterConfig:
    """Which ``Set-Cookie`` headers of the app survive for a visitor who has not granted everything."""

    enabled: bool = True
    #: Cookies neither the catalog nor the Open Cookie Database knows (the site's own) stay.
    keep_unknown: bool = True
    #: Names (or ``prefix*``) never dropped, whatever the databases say.
    keep: tuple[str, ...] = ()
    #: The category of cookies the Open Cookie Database files as Functional or Personalization;
    #: empty means "unknown" (then ``keep_unknown`` decides).
    functional_category: str = ""


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    """How identifiers are normalised before they are hashed (identity links, issue 6)."""

    #: Region whose national phone numbers need no ``+``-prefix (``US``, ``DE``); empty: E.164 only.
    phone_region: str = ""

    def __post_init__(self) -> None:
        if self.phone_region and not re.match(r"^[A-Z]{2}$", self.phone_region):
            raise ValueError(
                f"'phone_region' is {self.phone_region!r}; use an upper-case ISO code such as 'US'."
            )


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """The marketing-systems API under ``/consentgate/api/v1/``."""

    enabled: bool = True
    #: Requests per second each key may make (a token bucket per key and process).
    rate_limit: float = 100.0
    #: Requests a key may make at once above the rate.
    rate_burst: int = 200
    #: How long a verified key is trusted before the store is asked again (revocation delay).
    key_cache_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.rate_limit <= 0 or self.rate_burst < 1:
            raise ValueError("'rate_limit' must be above 0 and 'rate_burst' at least 1")
        if self.key_cache_seconds < 0:
            raise ValueError("'key_cache_seconds' must be 0 or more")


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    """One marketing system that is told of changes (``[webhooks.subscriptions.<name>]``)."""

    url: str = ""
    #: ``whsec_<base64>`` (``consentgate webhooks secret`` makes one); or name an env var in ``secret_env``.
    secret: str = field(default="", repr=False)
    secret_env: str = ""
    events: tuple[str, ...] = ("consent.updated", "consent.withdrawn", "optout.recorded")

    def __post_init__(self) -> None:
        from ..webhooks.events import EVENT_TYPES
        from ..webhooks.signing import secret_bytes

        try:
            check_url(self.url, "url")
        except ConfigError as exc:  # re-raised by the builder with the subscription's key in front
            raise ValueError(str(exc).rstrip(".")) from None
        if bool(self.secret) == bool(self.secret_env):
            raise ValueError("give exactly one of 'secret' (whsec_...) and 'secret_env'")
        if self.secret:
            secret_bytes(self.secret)
        for kind in self.events:
            if kind not in EVENT_TYPES:
                raise ValueError(f"'events' lists {kind!r}; allowed are {', '.join(EVENT_TYPES)}")

    def signing_secret(self) -> str:
        """The secret, from the config or the environment variable it names."""
        if self.secret:
            return self.secret
        value = os.environ.get(self.secret_env, "")
        if not value:
            raise ConfigError(f"webhook secret environment variable {self.secret_env!r} is not set.")
        return value


@dataclass(frozen=True, slots=True)
class WebhooksConfig:
    """Signed webhooks to marketing systems and their delivery worker."""

    #: ``in_app``: the app delivers; ``external``: only ``consentgate worker`` processes do.
    worker: Literal["in_app", "external"] = "in_app"
    timeout_seconds: float = 10.0
    #: After this long without success a delivery is dead-lettered (3 days).
    max_retry_hours: float = 72.0
    #: First retry delay; each further one doubles (with jitter), up to 6 hours.
    backoff_base_seconds: float = 5.0
    #: A delivery leased by a worker that died is retried after this long.
    lease_seconds: float = 60.0
    poll_seconds: float = 0.5
    #: Deliveries sent at once by one worker.
    concurrency: int = 64
    subscriptions: dict[str, WebhookSubscription] = field(default_factory=dict)

    def __post_init__(self) -> None:
        numbers = (self.timeout_seconds, self.max_retry_hours, self.backoff_base_seconds, self.poll_seconds)
        if min(numbers) <= 0 or self.concurrency < 1:
            raise ValueError("timeouts, delays, 'max_retry_hours' and 'concurrency' must be above 0")
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError("'lease_seconds' must be longer than 'timeout_seconds'")
        for name in self.subscriptions:
            if not re.match(r"^[A-Za-z0-9_\-]{1,64}$", name):
                raise ValueError(f"subscription name {name!r} must be 1-64 letters, digits, '_' or '-'")


@dataclass(frozen=True, slots=True)
class LedgerConfig:
    """The proof-of-consent ledger: schema upgrades and retention."""

    #: Create or upgrade the database schema when the gate starts (else: ``consentgate migrate``).
    migrate_on_start: bool = True
    #: Days a consent's records are kept after its last record (or that record's expiry, if later).
    #: 1826 (5 years): the proof must outlive the consent itself and then the limitation period for
    #: claims and inquiries about it (5 years for civil claims in France, art. 2224 Code civil, the
    #: longest of the common EU general periods); after that it only keeps personal data.
    retention_days: int = 1826
    #: How often the in-process task prunes expired records (0: never; run ``consentgate prune``).
    prune_interval_hours: float = 24.0

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ConfigError("'ledger.retention_days' must be 1 or more (days kept after the last record).")
        if self.prune_interval_hours < 0:
            raise ConfigError("'ledger.prune_interval_hours' must be 0 (never) or more.")


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration of a gate. Build it with :func:`~consentgate.config.load_config`."""

    database: str = "sqlite:///./consentgate.db"
    #: Bump to ask every visitor again (old cookies then count as undecided).
    revision: int = 1
    mode: Mode = "uniform"
    privacy_policy_url: str = "/privacy"
    #: Date of the last change to ``/.well-known/gpc.json`` (YYYY-MM-DD).
    gpc_last_update: str = "2026-01-01"
    cookie: CookieConfig = field(default_factory=CookieConfig)
    region: RegionConfig = field(default_factory=RegionConfig)
    signals: SignalConfig = field(default_factory=SignalConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    categories: dict[str, CategoryConfig] = field(default_factory=lambda: dict(DEFAULT_CATEGORIES))
    #: Site additions and overrides of the service catalog, by service id.
    services: dict[str, ServiceConfig] = field(default_factory=dict)
    cookie_filter: CookieFilterConfig = field(default_factory=CookieFilterConfig)
    blocking: BlockingConfig = field(default_factory=BlockingConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    #: The banner's texts by language (``[texts.de] title = "…"``); see ``consentgate/gate/texts.py``.
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)
    #: The reverse proxy in front of any website (``consentgate proxy``); see ``docs/proxy.md``.
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    #: The dashboard's sign-in (``/consentgate/admin/``); see ``docs/admin.md``.
    admin: AdminConfig = field(default_factory=AdminConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    #: Banner variants: ``[banner.variants.<name>]`` with a weight and text overrides only.
    banner: BannerConfig = field(default_factory=BannerConfig)

    def __post_init__(self) -> None:
        # The checks that span sections, in the order a reader meets the keys; categories first,
        # as the other checks name them.
        check_categories(self.categories)
        _complete_categories(self)
        names = self.category_names
        check_gpc_refuses(self.signals.gpc_refuses, names)
        check_region(self.region.opt_out, self.region.opt_in, self.region.trusted_headers)
        check_regimes(self.region.default_regime, self.region.regimes, self.region.custom, names)
        check_revision(self.revision)
        check_cookie(self.cookie.name, self.cookie.max_age_days)
        check_gpc_last_update(self.gpc_last_update)
        check_url(self.privacy_policy_url, "privacy_policy_url", relative_ok=True)
        check_database(self.database)
        check_services(self.services, names)
        check_cookie_filter(self.cookie_filter.functional_category, self.cookie_filter.keep, names)
        check_texts(self.texts, names)
        check_variants(self.banner, names)

    @property
    def category_names(self) -> tuple[str, ...]:
        """Every category, ``necessary`` first."""
        return tuple(self.categories)

    @property
    def optional_categories(self) -> tuple[str, ...]:
        """Every category a visitor may refuse."""
        return tuple(name for name in self.categories if name != "necessary")


def _complete_categories(config: Config) -> None:
    """Put ``necessary`` first (so every listing reads the same way) and give every category a label."""
    if next(iter(config.categories)) != "necessary":
        ordered = {"necessary": config.categories["necessary"]}
        ordered.update((k, v) for k, v in config.categories.items() if k != "necessary")
        object.__setattr__(config, "categories", ordered)
    for name, category in config.categories.items():
        if not category.label:
            default = BUILTIN_CATEGORIES.get(name)
            label = default.label if default else name.replace("_", " ").capitalize()
            description = category.description or (default.description if default else "")
            config.categories[name] = CategoryConfig(label, description)
