"""The built banner bundle, the banner's versioned assets, and how the gate serves them.

``static/banner.js``, ``static/bootstrap.js`` and ``static/rules.js`` are built from ``js/``
(``npm run build``) and committed, so a plain install needs no Node. They are read once, at import.
The bundle is served at :data:`BANNER_PATH`, cached for a year (immutable) under its versioned URL
``?v=<BANNER_VERSION>``. :class:`Assets` (the guard's rules, the texts of each language, built per
configuration by :mod:`consentgate.gate.injection`) are served under
``/consentgate/assets/<version>/<name>``, immutable too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from importlib import resources
from typing import Final
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from ..consent.reader import cookie_value
from ..errors import HTTPError
from ..web import Route
from ..web.paths import ASSETS_PREFIX, BANNER_PATH

__all__ = [
    "BANNER_PATH",
    "BANNER_VERSION",
    "BOOTSTRAP",
    "RULES_SCRIPT",
    "Assets",
    "banner_headers",
    "banner_response_body",
    "banner_routes",
    "serve_banner",
]

_IMMUTABLE: Final = b"public, max-age=31536000, immutable"
#: An unversioned (or stale-versioned) URL may change with the next deployment.
_SHORT: Final = b"public, max-age=300"


def _static(name: str) -> bytes:
    return resources.files("consentgate").joinpath("static", name).read_bytes()


_BANNER: Final = _static("banner.js")
#: The bootstrap, with the placeholder that :class:`~consentgate.gate.injection.Injection` fills in.
BOOTSTRAP: Final = _static("bootstrap.js").decode("utf-8").strip()
#: The guard's rules script, with the placeholder ``CG_TABLE`` for the table of hosts.
RULES_SCRIPT: Final = _static("rules.js").decode("utf-8").strip()
#: The first 16 hex digits of the bundle's SHA-256: changes whenever the built file does.
BANNER_VERSION: Final = hashlib.sha256(_BANNER).hexdigest()[:16]
_ETAG: Final = f'"{BANNER_VERSION}"'.encode()


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
    """ASGI handler for ``GET`` :data:`BANNER_PATH` (answers 304 to a matching If-None-Match)."""
    headers = banner_headers(scope.get("query_string", b""))
    etags = [v for k, v in scope.get("headers", ()) if k == b"if-none-match"]
    if any(_ETAG in v.split(b",") or v.strip() == b"*" for v in (e.replace(b" ", b"") for e in etags)):
        kept = [(k, v) for k, v in headers if k not in (b"content-length", b"content-type")]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _BANNER})


_TYPES: Final = {".js": b"text/javascript; charset=utf-8", ".json": b"application/json"}


class Assets:
    """Files the banner fetches, served under ``ASSETS_PREFIX<version>/<name>``.

    ``version`` is a hash of every file (and of the bundle), so a new configuration or build gets
    new URLs and the old ones can be cached forever. A request naming another version gets the
    current file, cached briefly (a page cached before a deployment still works).
    """

    __slots__ = ("_files", "_variant_prefix", "base", "version")

    def __init__(self, files: Mapping[str, bytes], *, variant_cookie: str | None = None) -> None:
        digest = hashlib.sha256(BANNER_VERSION.encode())
        for name in sorted(files):
            digest.update(b"\0" + name.encode() + b"\0" + files[name])
        self.version: str = digest.hexdigest()[:16]
        #: The URL the names are relative to (ends with ``/``).
        self.base: str = f"{ASSETS_PREFIX}{self.version}/"
        self._files = {
            name: (body, _TYPES[name[name.rindex(".") :]], f'"{self.version}.{name}"'.encode())
            for name, body in files.items()
        }
        # With banner variants, ``texts.<lang>.json`` answers the visitor's variant
        # (``texts.<lang>.<variant>.json``, named by this cookie): the same URL then differs by
        # visitor, so it is cached privately and varies by Cookie.
        self._variant_prefix = f"{variant_cookie}=" if variant_cookie else None

    def body(self, name: str) -> bytes:
        """The bytes served for ``name`` (KeyError if there is no such asset)."""
        return self._files[name][0]

    @property
    def names(self) -> list[str]:
        """Every asset's name."""
        return sorted(self._files)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI handler for ``GET ASSETS_PREFIX<version>/<name>`` (404 in the JSON error shape)."""
        version, _, name = scope["path"][len(ASSETS_PREFIX) :].partition("/")
        found = self._files.get(name)
        if scope.get("method") != "GET":  # the router hands HEAD over as GET
            raise HTTPError(
                405, "method_not_allowed", "Banner assets answer GET and HEAD.", {"Allow": "GET, HEAD"}
            )
        if found is None:
            raise HTTPError(404, "not_found", f"There is no banner asset {name!r}.")
        cache = _IMMUTABLE if version == self.version else _SHORT
        headers = [(b"x-content-type-options", b"nosniff")]
        if self._variant_prefix is not None and name.startswith("texts."):
            found = self._files.get(self._variant_file(scope, name), found)
            cache = cache.replace(b"public", b"private")
            headers.append((b"vary", b"Cookie"))
        body, kind, etag = found
        headers += [(b"cache-control", cache), (b"etag", etag)]
        if _matches(scope, etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers += [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _variant_file(self, scope: Scope, name: str) -> str:
        prefix = self._variant_prefix or ""
        for key, value in scope.get("headers", ()):
            if key == b"cookie":
                variant = cookie_value(value.decode("latin-1"), prefix)
                if variant:
                    return f"{name[: -len('.json')]}.{variant}.json"
        return name


def _matches(scope: Scope, etag: bytes) -> bool:
    etags = [v for k, v in scope.get("headers", ()) if k == b"if-none-match"]
    return any(etag in v.split(b",") or v.strip() == b"*" for v in (e.replace(b" ", b"") for e in etags))


def banner_routes(assets: Assets | None = None) -> list[Route]:
    """The routes this capability serves: the bundle, and the configuration's assets if given."""
    routes = [Route.get(BANNER_PATH, serve_banner)]
    if assets is not None:
        routes.append(Route.mount(ASSETS_PREFIX, assets.serve))
    return routes
