"""What the gate adds to every page, and the banner's cached assets, built once per gate.

Per response only the CSP nonce varies, and the bytes without a nonce are cached. The injection is
two tags (see ``docs/ARCHITECTURE.md``), as small as what must run before the page's own scripts::

    <script nonce="…">bootstrap: Consent Mode defaults, __gpp stub, the guard; its parameters</script>
    <script src="/consentgate/banner.js?v=<version>" defer nonce="…"></script>

Everything else is in :class:`~consentgate.gate.banner.Assets`, cached for a year under versioned
URLs: ``rules.js`` (the guard's table of hosts, fetched only when page code inserts a third-party
tag), ``texts.<lang>.json`` (the texts and the signal rules, one language per visitor) and
``services.json`` (the service lists and cookie names, fetched when the banner needs them).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable
from typing import Any, Final

from ..catalog.catalog import Catalog, Service
from ..config import BUILTIN_CATEGORIES, Config
from ..web.paths import BANNER_PATH, CONSENT_PATH
from .banner import BANNER_VERSION, BOOTSTRAP, RULES_SCRIPT, Assets
from .texts import resolve_texts

__all__ = ["Injection", "compact_table", "json_for_script"]

#: Service ids of the third-party-web data layer start with this: the guard names them by host.
_DATA_PREFIX: Final = "tpw-"

_PLACEHOLDER: Final = "CG_PARAMS"
_TABLE_PLACEHOLDER: Final = "CG_TABLE"

# Inside <script>, "</script" or "<!--" would end or confuse the element, and U+2028/U+2029 end
# a line in older JavaScript parsers; JSON allows every one of them escaped.
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def json_for_script(data: Any) -> str:
    """``data`` as compact JSON that is safe inside a ``<script>`` element (and valid JavaScript).

    ASCII only, so the injected bytes read the same in a page of any charset (windows-1252 too).
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _json_asset(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class Injection:
    """The tags the rewriter inserts and the assets they fetch, built once from a config and a catalog.

    ``render(nonce)`` gives the bytes for one response; ``assets`` are served by the gate;
    ``config_data`` is everything the banner may show (every language), stored by the ledger.
    """

    def __init__(self, config: Config, catalog: Catalog | None = None) -> None:
        catalog = catalog if catalog is not None else Catalog.builtin().with_config(config)
        services = [s for s in catalog.services.values() if s.category in config.categories]
        names = config.category_names
        texts = resolve_texts(
            config.texts,
            {n: (c.label, c.description) for n, c in config.categories.items()},
            {n: (c.label, c.description) for n, c in BUILTIN_CATEGORIES.items()},
        )
        by_category = _services_by_category(services, names)
        cookies = _cookies_by_category(services, names)
        self.config_data: dict[str, Any] = {
            "revision": config.revision,
            "endpoint": CONSENT_PATH,
            "policy": config.privacy_policy_url,
            "categories": list(names),
            "gpc": {
                "refuses": list(config.signals.gpc_refuses),
                "choiceWins": config.signals.choice_overrides_gpc,
            },
            "services": by_category,
            "cookies": cookies,
            "texts": texts,
        }
        if RULES_SCRIPT.count(_TABLE_PLACEHOLDER) != 1:  # pragma: no cover - a broken build
            raise RuntimeError("static/rules.js must hold CG_TABLE exactly once; rebuild it in js/.")
        #: The guard's table of hosts: the catalog's (every layer, the blocking settings), compact.
        self.table: dict[str, Any] = compact_table(catalog.guard_table())
        files = {
            "rules.js": RULES_SCRIPT.replace(_TABLE_PLACEHOLDER, json_for_script(self.table)).encode(),
        }
        # The first layer needs only the texts; the service lists and cookie names are fetched when
        # the preferences open, a refused embed needs its placeholder, or a category is revoked.
        files["services.json"] = _json_asset({"s": by_category, "k": cookies})
        for lang, lang_texts in texts.items():
            files[f"texts.{lang}.json"] = _json_asset(
                {
                    "t": lang_texts,
                    "p": config.privacy_policy_url,
                    "g": list(config.signals.gpc_refuses),
                    "w": config.signals.choice_overrides_gpc,
                }
            )
        variants = config.banner.variants
        for name, variant in variants.items():
            # A variant changes texts only: its overrides laid over each language it gives some for.
            for lang, overrides in variant.texts.items():
                if lang in texts:
                    body = json.loads(files[f"texts.{lang}.json"])
                    body["t"] = {**body["t"], **overrides}
                    files[f"texts.{lang}.{name}.json"] = _json_asset(body)
        if variants:
            self.config_data["variants"] = {name: v.texts for name, v in variants.items()}
        self.assets = Assets(files, variant_cookie=f"{config.cookie.name}_variant" if variants else None)
        params = {
            "c": config.cookie.name + "_state",
            "r": config.revision,
            "i": list(names),
            "l": list(texts),
            "a": self.assets.base,
            "u": 1 if config.blocking.unknown_third_party == "block" else 0,
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


def compact_table(table: dict[str, Any]) -> dict[str, Any]:
    """The guard's table with the data layer's hosts grouped by category, as space-joined strings.

    Thousands of data hosts each naming its own service cost more in ids than in hosts; the guard
    only needs their category (a held tag is named by its host). ``d`` (host suffixes) and ``e``
    (exact hosts) map a category index to its hosts; ``sv``, ``h``, ``x`` and ``p`` keep our own
    services, with their ids. The look-up order is unchanged: path rules, exact host, longest suffix.
    """
    ours: list[list[Any]] = []
    index: dict[int, int] = {}
    for i, (service, category) in enumerate(table["sv"]):
        if not str(service).startswith(_DATA_PREFIX):
            index[i] = len(ours)
            ours.append([service, category])
    out: dict[str, Any] = {**table, "v": 2, "sv": ours}
    for key, data_key in (("h", "d"), ("x", "e")):
        kept: dict[str, int] = {}
        grouped: dict[str, list[str]] = {}
        for host, i in table[key].items():
            if i in index:
                kept[host] = index[i]
            else:
                grouped.setdefault(str(table["sv"][i][1]), []).append(host)
        out[key] = kept
        # Hosts sorted by their labels from the right: neighbours share suffixes, which gzip likes.
        out[data_key] = {
            c: " ".join(sorted(hosts, key=lambda h: h.split(".")[::-1])) for c, hosts in grouped.items()
        }
    out["p"] = [[host, regex, index[i]] for host, regex, i in table["p"] if i in index]
    return out
