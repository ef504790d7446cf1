"""The HTML the rewriter injects into every page, built once per gate from its config and catalog.

Per response only the CSP nonce varies, and the bytes without a nonce are cached. The injection is
three tags (see ``docs/ARCHITECTURE.md``)::

    <script nonce="…">bootstrap: Consent Mode defaults, __gpp stub, the guard</script>
    <script type="application/json" id="consentgate-config">{texts, categories, services, …}</script>
    <script src="/consentgate/banner.js?v=<version>" defer nonce="…"></script>
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable
from typing import Any, Final

from ..catalog.catalog import Catalog, Service
from ..config import DEFAULT_CATEGORIES, Config
from ..web.paths import BANNER_PATH, CONSENT_PATH
from .banner import BANNER_VERSION, BOOTSTRAP
from .texts import resolve_texts

__all__ = ["Injection", "guard_rules", "json_for_script"]

_PLACEHOLDER: Final = "CG_PARAMS"

# Inside <script>, "</script" or "<!--" would end or confuse the element, and U+2028/U+2029 end
# a line in older JavaScript parsers; JSON allows every one of them escaped.
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def json_for_script(data: Any) -> str:
    """``data`` as compact JSON that is safe inside a ``<script>`` element (and valid JavaScript).

    ASCII only, so the injected bytes read the same in a page of any charset (windows-1252 too).
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class Injection:
    """The three tags the rewriter inserts, built once from a config and a catalog.

    ``render(nonce)`` gives the bytes for one response; ``config_json`` is what the banner reads.
    """

    def __init__(self, config: Config, catalog: Catalog | None = None) -> None:
        catalog = catalog if catalog is not None else Catalog.builtin().with_config(config)
        services = [s for s in catalog.services.values() if s.category in config.categories]
        names = config.category_names
        self.config_data: dict[str, Any] = {
            "revision": config.revision,
            "endpoint": CONSENT_PATH,
            "policy": config.privacy_policy_url,
            "categories": list(names),
            "gpc": {
                "refuses": list(config.signals.gpc_refuses),
                "choiceWins": config.signals.choice_overrides_gpc,
            },
            "services": _services_by_category(services, names),
            "cookies": _cookies_by_category(services, names),
            "texts": resolve_texts(
                config.texts,
                {n: (c.label, c.description) for n, c in config.categories.items()},
                {n: (c.label, c.description) for n, c in DEFAULT_CATEGORIES.items()},
            ),
        }
        params = {
            "c": config.cookie.name + "_state",
            "r": config.revision,
            "g": list(config.signals.gpc_refuses),
            "w": config.signals.choice_overrides_gpc,
            "i": list(names),
            "h": guard_rules(services),
        }
        if BOOTSTRAP.count(_PLACEHOLDER) != 1:  # pragma: no cover - a broken build
            raise RuntimeError("static/bootstrap.js must hold CG_PARAMS exactly once; rebuild it in js/.")
        self.bootstrap: str = BOOTSTRAP.replace(_PLACEHOLDER, json_for_script(params))
        self.config_json: str = json_for_script(self.config_data)
        self.banner_url: str = f"{BANNER_PATH}?v={BANNER_VERSION}"
        # What a visitor is shown and asked is exactly what the banner reads (texts in every language,
        # categories, services, policy link) and the banner's version: the ledger stores it once per
        # version and each record carries its hash. (Not the whole config: it holds secrets.)
        self.shown: bytes = (
            f'{{"banner_version":"{BANNER_VERSION}","banner_config":{self.config_json}}}'.encode()
        )
        self.shown_hash: str = hashlib.sha256(self.shown).hexdigest()
        self._plain = self._render("")

    def render(self, nonce: str | None = None) -> bytes:
        """The injection for one response; ``nonce`` is the response's CSP nonce, if it has one."""
        if not nonce:
            return self._plain
        return self._render(f' nonce="{html.escape(nonce, quote=True)}"')

    def _render(self, nonce_attr: str) -> bytes:
        return (
            f"<script{nonce_attr}>{self.bootstrap}</script>"
            f'<script type="application/json" id="consentgate-config">{self.config_json}</script>'
            f'<script src="{self.banner_url}" defer{nonce_attr}></script>'
        ).encode()


def _services_by_category(
    services: Iterable[Service], names: Iterable[str]
) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {name: [] for name in names}
    for s in sorted(services, key=lambda s: s.name.lower()):
        out[s.category].append(
            {
                "id": s.id,
                "name": s.name,
                "provider": s.provider,
                "purpose": s.purpose,
                "privacy": s.privacy_url,
            }
        )
    return {name: items for name, items in out.items() if items}


def _cookies_by_category(
    services: Iterable[Service], names: Iterable[str]
) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {
        n: {"names": [], "prefixes": []} for n in names if n != "necessary"
    }
    for s in services:
        if s.category not in out:
            continue
        for rule in s.cookies:
            bucket = out[s.category]["prefixes" if rule.prefix else "names"]
            if rule.name not in bucket:
                bucket.append(rule.name)
    return {name: lists for name, lists in out.items() if lists["names"] or lists["prefixes"]}


def guard_rules(services: Iterable[Service]) -> list[list[str]]:
    """The guard's ``[host suffix, path regex or "", category, service id]`` rules, most specific first.

    As in the catalog, path rules win over host rules and a longer match over a shorter one. Path
    rules become JavaScript regexes with the catalog's semantics: ``*`` is one path segment, and a
    rule not ending in ``/`` and without ``?`` must end at a segment boundary.
    """
    paths: list[tuple[int, list[str]]] = []
    hosts: list[tuple[int, list[str]]] = []
    for s in services:
        for rule in s.paths:
            host, _, path = rule.partition("/")
            paths.append((len(path), [host.lower(), _path_regex("/" + path), s.category, s.id]))
        for host in s.hosts:
            hosts.append((len(host), [host.lower(), "", s.category, s.id]))
    paths.sort(key=lambda p: -p[0])
    hosts.sort(key=lambda h: -h[0])
    return [rule for _, rule in paths + hosts]


def _path_regex(path: str) -> str:
    path = path.lower()
    pattern = "^" + "[^/?#]*".join(re.sub(r"[.*+?^${}()|[\]\\/]", r"\\\g<0>", p) for p in path.split("*"))
    if not path.endswith("/") and "?" not in path:
        pattern += "(?=[/?#;]|$)"
    return pattern
