"""Checks of configuration values that one section's types cannot express, or that span sections.

Each function raises :class:`~consentgate.errors.ConfigError` with one sentence naming the key and
what is allowed. They take plain values (not the dataclasses of :mod:`.sections`, which call them),
so this module sits below the sections and knows nothing of how they are built.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Protocol
from urllib.parse import urlsplit

from ..errors import ConfigError

__all__ = [
    "ServiceRules",
    "check_categories",
    "check_cookie",
    "check_cookie_filter",
    "check_database",
    "check_gpc_last_update",
    "check_gpc_refuses",
    "check_hosts",
    "check_known_category",
    "check_region",
    "check_revision",
    "check_services",
    "check_url",
]

_REGION_RE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?\Z")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
_CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}\Z")
_COOKIE_NAME_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}\Z")
_SERVICE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9\-]{0,63}\Z")
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9\-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]*[a-z0-9])?)*\Z")


class _NamedCookie(Protocol):
    @property
    def name(self) -> str: ...


class ServiceRules(Protocol):
    """What :func:`check_services` reads of a ``[services.<id>]`` table."""

    @property
    def category(self) -> str: ...
    @property
    def hosts(self) -> tuple[str, ...] | None: ...
    @property
    def paths(self) -> tuple[str, ...] | None: ...
    @property
    def snippets(self) -> tuple[str, ...] | None: ...
    @property
    def cookies(self) -> tuple[str | _NamedCookie, ...] | None: ...


#: A category the gate gives hosts no list knows (``blocking.unknown_third_party = "block"``).
RESERVED_CATEGORY = "unclassified"


def check_categories(names: Collection[str]) -> None:
    """``necessary`` is kept and every category name is a short lower-case identifier."""
    if "necessary" not in names:
        raise ConfigError("'categories' must keep 'necessary'; it is always granted and cannot be removed.")
    if RESERVED_CATEGORY in names:
        raise ConfigError(
            f"category name {RESERVED_CATEGORY!r} is reserved for hosts no list knows; choose another name."
        )
    for name in names:
        if not _CATEGORY_RE.match(name):
            raise ConfigError(
                f"category name {name!r} is not allowed; use lower-case letters, digits and '_' (max 32)."
            )


def check_known_category(name: str, categories: Collection[str], key: str) -> None:
    """``name``, given at ``key``, is one of ``categories``."""
    if name not in categories:
        raise ConfigError(
            f"{key!r} names unknown category {name!r}; known categories are: {', '.join(categories)}."
        )


def check_gpc_refuses(refuses: Collection[str], categories: Collection[str]) -> None:
    """``signals.gpc_refuses`` names known categories, never ``necessary``."""
    for name in refuses:
        check_known_category(name, categories, "signals.gpc_refuses")
    if "necessary" in refuses:
        raise ConfigError("'signals.gpc_refuses' cannot list 'necessary'; it is always granted.")


def check_region(opt_out: Collection[str], opt_in: Collection[str], trusted_headers: Collection[str]) -> None:
    """Region codes are ISO codes (``US``, ``US-CA``) and trusted headers are header names."""
    for key, regions in (("region.opt_out", opt_out), ("region.opt_in", opt_in)):
        for region in regions:
            if not _REGION_RE.match(region):
                raise ConfigError(
                    f"{key!r} lists {region!r}; use upper-case ISO codes such as 'US' or 'US-CA'."
                )
    for header in trusted_headers:
        if not header or not re.match(r"^[A-Za-z0-9\-]+$", header):
            raise ConfigError(f"'region.trusted_headers' lists {header!r}, which is not a header name.")


def check_revision(revision: int) -> None:
    """The revision starts at 1."""
    if revision < 1:
        raise ConfigError("'revision' must be 1 or more; bump it to ask every visitor again.")


def check_cookie(name: str, max_age_days: int) -> None:
    """The consent cookie's name is a plain token and its lifetime one browsers keep."""
    if max_age_days < 1 or max_age_days > 400:
        raise ConfigError("'cookie.max_age_days' must be between 1 and 400 (browsers cap cookies at 400).")
    if not _COOKIE_NAME_RE.match(name):
        raise ConfigError("'cookie.name' must be 1-64 letters, digits, '_' or '-'.")


def check_gpc_last_update(date: str) -> None:
    """``gpc_last_update`` is a date written YYYY-MM-DD."""
    if not _DATE_RE.match(date):
        raise ConfigError("'gpc_last_update' must be a date written YYYY-MM-DD.")


def check_services(services: Mapping[str, ServiceRules], categories: Collection[str]) -> None:
    """Every ``[services.<id>]``: its id, category, hosts, path rules, snippets and cookie names."""
    for sid, service in services.items():
        where = f"services.{sid}"
        if not _SERVICE_ID_RE.match(sid):
            raise ConfigError(f"service id {sid!r} is not allowed; use lower-case letters, digits and '-'.")
        if service.category:
            check_known_category(service.category, categories, f"{where}.category")
        for host in service.hosts or ():
            if not _HOST_RE.match(host):
                raise ConfigError(
                    f"{where + '.hosts'!r} lists {host!r}; write a lower-case host name such as 'cdn.example.com'."
                )
        for rule in service.paths or ():
            host, slash, _ = rule.partition("/")
            if not slash or not _HOST_RE.match(host):
                raise ConfigError(
                    f"{where + '.paths'!r} lists {rule!r}; write 'host/path-prefix' such as 'www.example.com/js/'."
                )
        for snippet in service.snippets or ():
            if len(snippet.strip()) < 4:
                raise ConfigError(
                    f"{where + '.snippets'!r} lists {snippet!r}; a snippet needs 4 characters or more."
                )
        for cookie in service.cookies or ():
            name = cookie if isinstance(cookie, str) else cookie.name
            if not name.rstrip("*") or "*" in name.rstrip("*") or any(c in name for c in " ;,="):
                raise ConfigError(
                    f"{where + '.cookies'!r} lists {name!r}; write a cookie name, or a prefix ending in '*'."
                )


def check_hosts(hosts: Collection[str], key: str) -> None:
    """Every entry of ``hosts``, given at ``key``, is a lower-case host name (a suffix)."""
    for host in hosts:
        if not _HOST_RE.match(host):
            raise ConfigError(
                f"{key!r} lists {host!r}; write a lower-case host name such as 'cdn.example.com'."
            )


def check_cookie_filter(functional_category: str, keep: Collection[str], categories: Collection[str]) -> None:
    """``cookie_filter``: a known functional category (or none) and cookie names (or prefixes) to keep."""
    if functional_category:
        check_known_category(functional_category, categories, "cookie_filter.functional_category")
    for name in keep:
        if not name.rstrip("*") or any(c in name for c in " ;,="):
            raise ConfigError(
                f"'cookie_filter.keep' lists {name!r}; write a cookie name, or a prefix ending in '*'."
            )


def check_url(url: str, key: str, *, relative_ok: bool = False) -> None:
    """``url`` is an absolute http(s) URL (or, with ``relative_ok``, a path starting with ``/``)."""
    parts = urlsplit(url)
    if relative_ok and not parts.scheme and url.startswith("/"):
        return
    if parts.scheme not in ("http", "https") or not parts.netloc:
        where = "an absolute http(s) URL" + (" or a path starting with '/'" if relative_ok else "")
        raise ConfigError(f"{key!r} is {url!r}, which is not {where}.")


def check_database(url: str) -> None:
    """``database`` is a SQLite file or a PostgreSQL server URL."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite" and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return
    if scheme in ("postgresql", "postgres") and urlsplit(url).netloc:
        return
    raise ConfigError(
        f"'database' is {url!r}; use 'sqlite:///path/to/file.db' or 'postgresql://user@host:5432/dbname'."
    )
