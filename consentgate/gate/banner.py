"""The built banner and the HTML the rewriter injects into every page.

``static/banner.js`` and ``static/bootstrap.js`` are built from ``js/`` (``npm run build``) and
committed, so a plain install needs no Node. They are read once, at import. :class:`Injection` is
built once per gate from its config and catalog; per response only the CSP nonce varies, and the
bytes without a nonce are cached.

The injection is three tags (see ``docs/INTERNALS.md``)::

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
from importlib import resources
from typing import Any, Final
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from ..catalog.catalog import Catalog, Service
from ..config import DEFAULT_CATEGORIES, Config
from .texts import resolve_texts

__all__ = [
    "BANNER_PATH",
    "BANNER_VERSION",
    "Injection",
    "banner_headers",
    "banner_response_body",
    "json_for_script",
    "serve_banner",
]

#: Where the gate serves the banner bundle.
BANNER_PATH: Final = "/consentgate/banner.js"
#: Where the banner posts choices (the consent routes).
CONSENT_PATH: Final = "/consentgate/consent"
_IMMUTABLE: Final = b"public, max-age=31536000, immutable"
#: An unversioned (or stale-versioned) URL may change with the next deployment.
_SHORT: Final = b"public, max-age=300"
_PLACEHOLDER: Final = "CG_PARAMS"


def _static(name: str) -> bytes:
    return resources.files("consentgate").joinpath("static", name).read_bytes()


_BANNER: Final = _static("banner.js")
_BOOTSTRAP: Final = _static("bootstrap.js").decode("utf-8").strip()
#: The first 16 hex digits of the bundle's SHA-256: changes whenever the built file does.
BANNER_VERSION: Final = hashlib.sha256(_BANNER).hexdigest()[:16]
_ETAG: Final = f'"{BANNER_VERSION}"'.encode()

# Inside <script>, "</script" or "<!--" would end or confuse the element, and U+2028/U+2029 end
# a line in older JavaScript parsers; JSON allows every one of them escaped.
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def json_for_script(data: Any) -> str:
    """``data`` as compact JSON that is safe inside a ``<script>`` element (and valid JavaScript).

    ASCII only, so the injected bytes read the same in a page of any charset (windows-1252 too).
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def banner_response_body() -> bytes:
    """The banner bundle as served at :data:`BANNER_PATH` (JavaScript with its CSS inside)."""
    return _BANNER


def banner_headers(query_string: bytes | str = b"") -> list[tuple[bytes, bytes]]:
    """Response headers for the bundle: cached for a year when ``?v=`` names this version, else briefly."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    versions = parse_qs(query_string).get("v", [])
    cache = _IMMUTABLE if versions == [BANNER_VERSION] else _SHORT
    return [
        (b"content-type", b"text/javascript; charset=utf-8"),
        (b"content-length", str(len(_BANNER)).encode()),
        (b"cache-control", cache),
        (b"etag", _ETAG),
        (b"x-content-type-options", b"nosniff"),
    ]


async def serve_banner(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI handler for ``GET``/``HEAD`` :data:`BANNER_PATH` (answers 304 to a matching If-None-Match)."""
    headers = banner_headers(scope.get("query_string", b""))
    etags = [v for k, v in scope.get("headers", ()) if k == b"if-none-match"]
    if any(_ETAG in v.split(b",") or v.strip() == b"*" for v in (e.replace(b" ", b"") for e in etags)):
        kept = [(k, v) for k, v in headers if k not in (b"content-length", b"content-type")]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    body = b"" if scope.get("method") == "HEAD" else _BANNER
    await send({"type": "http.response.body", "body": body})


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
        if _BOOTSTRAP.count(_PLACEHOLDER) != 1:  # pragma: no cover - a broken build
            raise RuntimeError("static/bootstrap.js must hold CG_PARAMS exactly once; rebuild it in js/.")
        self.bootstrap: str = _BOOTSTRAP.replace(_PLACEHOLDER, json_for_script(params))
        self.config_json: str = json_for_script(self.config_data)
        self.banner_url: str = f"{BANNER_PATH}?v={BANNER_VERSION}"
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
