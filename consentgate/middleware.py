"""ConsentMiddleware: routing and orchestration only.

Per request: answer the gate's own routes, or work out the visitor's :class:`Consent`, put it in
``scope["consent"]`` and hand the response to a :class:`_Responder` that gates it on the way back.
Everything that depends only on the configuration is computed once in ``__init__``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .admin.page import install_admin
from .api import install_api
from .api.identity import link_with
from .catalog.catalog import Catalog
from .config import Config, load_config
from .consent.cookie import CookieCodec
from .consent.decision import Decider
from .consent.model import Consent
from .consent.routes import ConsentRoutes
from .gate.banner import BANNER_PATH, Injection, serve_banner
from .gate.cookie_filter import CookieFilter
from .gate.html_response import HtmlRewriting
from .ledger.retention import start_background
from .logs.request_log import RequestLog
from .store import Store, open_store
from .webhooks.worker import InAppWorker

__all__ = ["ConsentMiddleware"]

_OWN_PREFIX = "/consentgate/"
_GPC_PATH = "/.well-known/gpc.json"


class ConsentMiddleware:
    """Wrap any ASGI app in the consent gate.

    ``secret_key`` signs the consent cookie: a string, or a list of strings for rotation (the first
    signs, all verify). ``config`` is a path to a TOML file, a :class:`Config`, or None for the
    defaults; keyword ``overrides`` replace top-level config keys. ``store`` injects a store
    (default: one opened from ``config.database`` on first use).
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | Sequence[str] | None = None,
        config: str | os.PathLike[str] | Config | None = None,
        *,
        store: Store | None = None,
        **overrides: Any,
    ) -> None:
        self.app = app
        self.config = load_config(config, **overrides)
        self.codec = CookieCodec(
            secret_key or "", self.config.category_names, self.config.cookie.max_age_days * 86400
        )
        self.decider = Decider(self.config)
        self._store = store
        self._store_ready = False
        self._store_lock = asyncio.Lock()
        self._retention: asyncio.Task[None] | None = None
        self._cookie_prefix = self.config.cookie.name + "="
        self.default_state_cookie = _default_state_cookies(self.config)
        # The service catalog (built-in plus the site's [services]) and the Set-Cookie filter.
        self.catalog = Catalog.builtin().with_config(self.config)
        self.cookie_filter = CookieFilter(self.catalog, self.config)
        # The response path: text/html with refused categories made inert and the banner injected.
        self.injection = Injection(self.config, self.catalog)
        self.routes = ConsentRoutes(self)
        self.html = HtmlRewriting(self.config, self.catalog, self.injection.render)
        # The banner bundle, cacheable for a year under its versioned URL (banner_assets).
        self.routes.add(BANNER_PATH, "GET", serve_banner)
        # One minimal log line per request (None when logging is off), and the admin page.
        self.request_log = RequestLog.for_gate(self)
        install_admin(self)
        # The marketing-systems API under /consentgate/api/v1/ and the in-app webhook worker (issue 6).
        self.api = install_api(self)
        self.webhooks = InAppWorker.for_gate(self)

    # --- the store, opened lazily so lifespan passes through untouched ---------------------------

    async def store(self) -> Store:
        """The opened store (opened on first use)."""
        if self._store_ready:
            assert self._store is not None
            return self._store
        async with self._store_lock:
            if self._store is None:
                self._store = open_store(self.config.database, migrate=self.config.ledger.migrate_on_start)
            if not self._store_ready:
                await self._store.open()
                self._store_ready = True
                # Retention: prune expired consent records now and every ledger.prune_interval_hours.
                self._retention = start_background(self._store, self.config)
        return self._store

    async def aclose(self) -> None:
        """Close the store (tests and the CLI call this; servers may leave it to process exit)."""
        if self.webhooks is not None:
            await self.webhooks.stop()
        if self.request_log is not None:
            await self.request_log.aclose()
        if self._retention is not None:
            self._retention.cancel()
            self._retention = None
        if self._store is not None and self._store_ready:
            self._store_ready = False
            await self._store.close()

    # --- per request ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["consentgate"] = self  # for consentgate.link(request, ...) in the app
        if self.webhooks is not None:
            self.webhooks.ensure_started()
        log = self.request_log
        if log is not None:
            tap = log.begin(send)
            try:
                await self._dispatch(scope, receive, tap.send)
            finally:
                log.end(scope, tap)
        else:
            await self._dispatch(scope, receive, send)

    def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Hands back the awaitable of the route or the app: one coroutine fewer per request.
        path: str = scope["path"]
        if path.startswith(_OWN_PREFIX) or path == _GPC_PATH:
            return self.routes.handle(scope, receive, send)
        consent = self.consent_for(scope)
        scope["consent"] = consent
        return self.app(scope, receive, _Responder(self, consent, scope, send).send)

    async def link(
        self,
        request_or_scope: Any,
        *,
        email: str | None = None,
        phone: str | None = None,
        user_id: str | int | None = None,
    ) -> list[str]:
        """Link the visitor's consent id to identifiers (stored hashed); see :mod:`consentgate.identity`."""
        return await link_with(self, request_or_scope, email=email, phone=phone, user_id=user_id)

    def wake_webhooks(self) -> None:
        """Tell the in-app webhook worker that the outbox has new events."""
        if self.webhooks is not None:
            self.webhooks.wake()

    def consent_for(self, scope: Scope) -> Consent:
        """The visitor's consent for this request, from its headers alone (no I/O)."""
        cookie = gpc = dnt = b""
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie = value if not cookie else cookie + b"; " + value
            elif name == b"sec-gpc":
                gpc = value
            elif name == b"dnt":
                dnt = value
        choice = None
        if cookie:
            raw = _cookie_value(cookie.decode("latin-1"), self._cookie_prefix)
            if raw:
                choice = self.codec.decode(raw)
        region = self.decider.region(dict(scope["headers"])) if self.decider.uses_region else None
        return self.decider.decide(choice, region=region, gpc=gpc.strip() == b"1", dnt=dnt.strip() == b"1")


class _Responder:
    """Per-request state for the way back: gates the response the app sends.

    Its ``send`` is a plain function that hands back the awaitable of the next ``send``: gating
    a message is synchronous work, so it costs no coroutine of its own per message (on a small
    response, the coroutines of the wrappers cost more than the gate's actual work). The HTML
    rewriting responder is only put in the way of a response that may be HTML.
    """

    __slots__ = ("consent", "default_state", "gate", "scope", "send_on")

    def __init__(self, gate: ConsentMiddleware, consent: Consent, scope: Scope, send: Send) -> None:
        self.gate = gate
        self.consent = consent
        self.scope = scope
        self.send_on = send
        # An undecided visitor under the opt-out regime has tags granted by default; the banner
        # (which cannot read the signed cookie) learns that from a session state cookie set on pages.
        self.default_state = None if consent.decided else gate.default_state_cookie.get(consent.granted)

    def send(self, message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            # cookie filter: Set-Cookie headers of refused categories are dropped here.
            headers = message.get("headers", ())
            kept = self.gate.cookie_filter.filter(headers, self.consent.granted)
            if _may_be_html(kept):
                if self.default_state is not None:
                    kept = [*kept, self.default_state]
                # response path: text/html bodies are rewritten as they stream (html_response.py).
                self.send_on = self.gate.html.wrap(self.scope, self.consent, self.send_on)
            if kept is not headers:
                message = {**message, "headers": kept}
        return self.send_on(message)


def _may_be_html(headers: Any) -> bool:
    """Whether the Content-Type could be HTML (html_response decides exactly; this only rules out)."""
    for name, value in headers:
        if len(name) == 12 and name.lower() == b"content-type":
            return b"text/html" in value.lower()
    return False


def _cookie_value(header: str, prefix: str) -> str | None:
    """The value of the cookie named by ``prefix`` (``"name="``) in a Cookie header, else None."""
    start = 0
    while True:
        at = header.find(prefix, start)
        if at < 0:
            return None
        # Only a match at the start of a cookie pair counts ("xconsentgate=" is another cookie).
        if at == 0 or header[at - 1] in "; ":
            end = header.find(";", at)
            value = header[at + len(prefix) : end if end >= 0 else None].strip()
            return value.strip('"')
        start = at + 1


def _default_state_cookies(config: Config) -> dict[frozenset[str], tuple[bytes, bytes]]:
    """``Set-Cookie`` headers of the readable state cookie for undecided visitors, by granted set.

    Only defaults that grant more than ``necessary`` need one (the opt-out regime, with or without
    GPC): the banner treats a visitor without a state cookie as having refused everything.
    """
    names = config.category_names
    refusable = set(config.signals.gpc_refuses)
    grants = [frozenset(names), frozenset(n for n in names if n not in refusable)]
    headers: dict[frozenset[str], tuple[bytes, bytes]] = {}
    for granted in grants:
        if granted == {"necessary"}:
            continue
        value = "-".join(n for n in names if n in granted)
        cookie = f"{config.cookie.name}_state={config.revision}.0.{value}; Path=/; SameSite=Lax"
        if config.cookie.domain:
            cookie += f"; Domain={config.cookie.domain}"
        headers[granted] = (b"set-cookie", cookie.encode("latin-1"))
    return headers
