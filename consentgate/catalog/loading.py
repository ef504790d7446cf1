"""Where the catalog's services come from: our ``data/`` files, and the site's ``[services]``.

:func:`load_builtin` reads ``data/services.toml`` (our services, with the reasons for their
categories), ``data/open-cookie-database.csv`` with the corrections in its ``[ocd]`` table and
``data/third-party-web-entities.json`` with the mapping and reviews of its ``[third_party_web]`` table;
:func:`apply_override` lays one ``[services.<id>]`` table of a site's config over a service.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from ..config import ServiceConfig, ServiceCookieConfig
from ..errors import ConfigError
from .ocd import OcdTable, load_ocd
from .service import CookieRule, Service
from .tpw import TpwLayer, load_tpw

__all__ = ["apply_override", "load_builtin"]

_DATA = "data"
_SERVICES_FILE = "services.toml"
_OCD_FILE = "open-cookie-database.csv"
_TPW_FILE = "third-party-web-entities.json"


def load_builtin() -> tuple[list[Service], OcdTable, TpwLayer]:
    """Our services, in file order, the Open Cookie Database with our corrections, and the
    third-party-web layer."""
    data = tomllib.loads(resources.files(__package__).joinpath(_DATA, _SERVICES_FILE).read_text("utf-8"))
    services = [_service_from_toml(sid, raw) for sid, raw in data.get("services", {}).items()]
    with resources.files(__package__).joinpath(_DATA, _OCD_FILE).open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        ocd = load_ocd(csv.DictReader(text), data.get("ocd", {}))
    entities = json.loads(resources.files(__package__).joinpath(_DATA, _TPW_FILE).read_bytes())
    return services, ocd, load_tpw(entities, data.get("third_party_web", {}))


def apply_override(sid: str, base: Service | None, override: ServiceConfig) -> Service:
    """``base`` (None for a service the catalog lacks) with the fields ``override`` sets.

    Raises :class:`~consentgate.errors.ConfigError` for a new service without a category or a rule.
    """
    where = f"services.{sid}"
    if base is None:
        if not override.category:
            raise ConfigError(f"{where!r} is a new service and needs a 'category'.")
        if not (override.hosts or override.paths or override.snippets or override.cookies):
            raise ConfigError(f"{where!r} needs at least one of 'hosts', 'paths', 'snippets' or 'cookies'.")
        base = Service(id=sid, name=override.name or sid, provider=override.provider, category="")
    cookies = base.cookies
    if override.cookies is not None:
        cookies = tuple(_cookie_rule(c) for c in override.cookies)
    return Service(
        id=sid,
        name=override.name or base.name,
        provider=override.provider or base.provider,
        category=override.category or base.category,
        hosts=tuple(h.lower() for h in override.hosts) if override.hosts is not None else base.hosts,
        paths=override.paths if override.paths is not None else base.paths,
        snippets=override.snippets if override.snippets is not None else base.snippets,
        cookies=cookies,
        purpose=override.purpose or base.purpose,
        privacy_url=override.privacy_url or base.privacy_url,
    )


def _cookie_rule(cookie: str | ServiceCookieConfig) -> CookieRule:
    if isinstance(cookie, str):
        return CookieRule.parse(cookie)
    return CookieRule.parse(cookie.name, cookie.lifetime, cookie.purpose)


def _service_from_toml(sid: str, raw: Mapping[str, Any]) -> Service:
    cookies = tuple(
        CookieRule.parse(c["name"], c.get("lifetime", ""), c.get("purpose", ""))
        for c in raw.get("cookies", ())
    )
    return Service(
        id=sid,
        name=raw["name"],
        provider=raw["provider"],
        category=raw["category"],
        hosts=tuple(raw.get("hosts", ())),
        paths=tuple(raw.get("paths", ())),
        snippets=tuple(raw.get("snippets", ())),
        cookies=cookies,
        purpose=raw.get("purpose", ""),
        privacy_url=raw.get("privacy_url", ""),
    )
