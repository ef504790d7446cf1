"""ConsentMiddleware: routing and orchestration only, the one module that knows every capability.

At start-up it builds each capability from narrow collaborators (its config section, the store
opener, a callback) and mounts the routes they return on one router. Per request: answer the gate's
own routes, or work out the visitor's :class:`Consent`, put it in ``scope["consent"]`` and hand the
response to a :class:`_Responder` that gates it on the way back.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Sequence
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .admin import AdminPage
from .api import ApiRoutes
from .api.identity import Linker
from .catalog.catalog import Catalog
from .config import Config, load_config
from .consent.cookie import CookieCodec
from .consent.decision import Decider
from .consent.model import Consent
from .consent.reader import ConsentReader
from .consent.routes import ConsentRoutes
from .consent.state_cookie import StateCookie
from .consent.variants import Variants
from .gate.banner import banner_routes
from .gate.cookie_filter import CookieFilter
from .gate.header_loads import LINK, POLICIES, REFRESH, REPORTING, gated_header_loads
from .gate.html_response import HtmlRewriting
from .gate.injection import Injection
from .gate.partial_pages import (
    PARTIAL_BODY,
    PARTIAL_START,
    asked_again,
    dropped,
    rendered_whole,
    whole_receive,
)
from .gate.xml import XmlRewriting
from .ledger.retention import start_background
from .logs.request_log import RequestLog
from .scan.declaration import DeclarationRoute
from .store import Store
from .store.lazy import LazyStore
from .web import Route, Router
from .web.paths import DECLARATION_PATH, GPC_PATH, OWN_PREFIX
from .webhooks.worker import InAppWorker

__all__ = ["ConsentMiddleware"]

_new = object.__new__

#: The response headers the way back reads (1: Content-Type, 2: Set-Cookie, 3: headers that load,
#: gate/header_loads.py; 4: a CSP, which loads only through a report-uri; 5: Content-Range, a
#: response in part, gate/partial_pages.py) and common ones it skips (0), by lower-case name: one
#: look-up per header.
_HEADS: Final = {
    b"content-type": 1,
    b"set-cookie": 2,
    LINK: 3,
    REFRESH: 3,
    **dict.fromkeys(REPORTING, 3),
    **dict.fromkeys(POLICIES, 4),
    b"content-range": 5,
    **dict.fromkeys((b"content-length", b"date", b"server", b"etag", b"cache-control", b"vary"), 0),
}
#: Common Content-Type values that are not HTML, exactly as apps send them: found without
#: lower-casing and searching the value (``find``, since bytes' ``in`` first tries an integer).
_NOT_HTML: Final = frozenset(
    (
        b"application/json", b"application/json; charset=utf-8", b"text/plain; charset=utf-8",
        b"text/plain", b"application/javascript", b"text/javascript; charset=utf-8",
        b"text/css; charset=utf-8", b"text/css", b"image/png", b"image/jpeg",
        b"image/webp", b"image/gif", b"image/x-icon", b"font/woff2", b"application/octet-stream",
    )
)  # fmt: skip


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
        self.config = config = load_config(config, **overrides)
        self.codec = CookieCodec(secret_key or "", config.category_names, config.cookie.max_age_days * 86400)
        self.decider = Decider(config)
        #: The visitor's consent for a request, from its headers alone (no I/O).
        reader = ConsentReader(config.cookie.name, self.codec, self.decider)
        self.consent_for = reader.read
        #: The same, with the request's Cookie header(s): the response path reads its cookies there.
        self._read = reader.read_with_cookie
        self.state_cookie = StateCookie(config)
        #: Banner variants: which one an undecided visitor sees (None when none are configured).
        self.variants = Variants.from_config(config)
        #: The default state cookies of undecided visitors, by "the request is https", then granted set.
        self.default_states = self.state_cookie.defaults
        self._retention: asyncio.Task[None] | None = None
        self._store = LazyStore(
            store, config.database, migrate=config.ledger.migrate_on_start, on_open=self._start_retention
        )
        # The service catalog (built-in plus the site's [services]) and the Set-Cookie filter.
        self.catalog = Catalog.builtin().with_config(config)
        self.cookie_filter = CookieFilter(self.catalog, config)
        # The response path: text/html with refused categories made inert and the banner injected.
        self.injection = Injection(config, self.catalog)
        self.html = HtmlRewriting(config, self.catalog, self.injection.render)
        # XML documents a browser renders (XHTML, SVG): the same plans, rewritten by reading XML.
        self.xml = XmlRewriting(
            self.html.plans,
            self.html.blocked,
            self.html.codec,
            per_visitor=self.html.per_visitor,
            sniff=config.gate.unknown_content_type == "sniff",
        )
        # One minimal log line per request (None when logging is off).
        self.request_log = RequestLog.from_config(config.logging, self._store)
        # The in-app webhook worker (None when webhooks are delivered by `consentgate worker`).
        self.webhooks = InAppWorker.from_config(config.webhooks, self._store)
        # What `consentgate.link(request, ...)` finds in scope["consentgate"].
        self.linker = Linker(self.consent_for, self._store, config.identity.phone_region)
        # The marketing-systems API under /consentgate/api/v1/ (None when api.enabled is false).
        self.api = ApiRoutes(config, self._store, self.wake_webhooks) if config.api.enabled else None
        consent = ConsentRoutes(
            config,
            read=self.consent_for,
            codec=self.codec,
            decider=self.decider,
            state_cookie=self.state_cookie,
            variants=self.variants,
            store=self._store,
            on_events=self.wake_webhooks,
            shown=self.injection.shown,
            shown_hash=self.injection.shown_hash,
        )
        routes: list[Route] = [
            *consent.routes(),
            *banner_routes(self.injection.assets),
            Route.get(DECLARATION_PATH, DeclarationRoute(config, self.catalog).handle),
            *AdminPage(config, self._store, secret_key or "").routes(),
            *(self.api.routes() if self.api is not None else ()),
        ]
        self.routes = Router(routes)

    # --- the store, opened lazily so lifespan passes through untouched ---------------------------

    async def store(self) -> Store:
        """The opened store (opened on first use)."""
        return await self._store()

    def _start_retention(self, store: Store) -> None:
        # Prune expired consent records now and every ledger.prune_interval_hours.
        self._retention = start_background(store, self.config)

    async def aclose(self) -> None:
        """Close the store (tests and the CLI call this; servers may leave it to process exit)."""
        if self.webhooks is not None:
            await self.webhooks.stop()
        if self.request_log is not None:
            await self.request_log.aclose()
        if self._retention is not None:
            self._retention.cancel()
            self._retention = None
        await self._store.aclose()

    # --- per request ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["consentgate"] = self.linker  # for consentgate.link(request, ...) in the app
        if self.webhooks is not None:
            self.webhooks.ensure_started()
        # Everything in this one coroutine: a call or coroutine more costs more per request than
        # most of what the gate does on a response that is not HTML.
        log = self.request_log
        tap = log.begin(send) if log is not None else None
        if tap is not None:
            send = tap.send
        try:
            path: str = scope["path"]
            if path.startswith(OWN_PREFIX) or path == GPC_PATH:
                await self.routes.handle(scope, receive, send)
            else:
                consent, cookie = self._read(scope)
                scope["consent"] = consent
                # The responder's fields set here: a class call runs __init__ through C, which costs
                # more per request than the look at a response that is not HTML.
                responder = _new(_Responder)
                responder.gate = self
                responder.consent = consent
                responder.scope = scope
                responder.send_on = send
                responder.cookie = cookie
                await self.app(scope, receive, responder.send)
        finally:
            if log is not None and tap is not None:
                log.end(scope, tap)

    async def _whole_page(self, first: _Responder, send: Send) -> None:
        """A document the site answered in part: asked for again without the range, while the
        part goes nowhere; refused when the request may not be sent twice or was asked again
        already (see gate/partial_pages.py)."""
        scope = asked_again(first.scope)
        if scope is None:
            await send(PARTIAL_START)
            await send({"type": "http.response.body", "body": PARTIAL_BODY})
            return
        responder = _new(_Responder)
        responder.gate, responder.consent, responder.cookie = self, first.consent, first.cookie
        responder.scope, responder.send_on = scope, send
        await self.app(scope, whole_receive(), responder.send)

    async def link(
        self,
        request_or_scope: Any,
        *,
        email: str | None = None,
        phone: str | None = None,
        user_id: str | int | None = None,
    ) -> list[str]:
        """Link the visitor's consent id to identifiers (stored hashed); see :class:`~consentgate.api.identity.Linker`."""
        return await self.linker.link(request_or_scope, email=email, phone=phone, user_id=user_id)

    def wake_webhooks(self) -> None:
        """Tell the in-app webhook worker that the outbox has new events."""
        if self.webhooks is not None:
            self.webhooks.wake()


class _Responder:
    """Per-request state for the way back: gates the response the app sends.

    Its ``send`` is a plain function that hands back the awaitable of the next ``send``: gating
    a message is synchronous work, so it costs no coroutine of its own per message (on a small
    response, the coroutines of the wrappers cost more than the gate's actual work). The HTML
    rewriting responder is only put in the way of a response that may be HTML.
    """

    __slots__ = ("consent", "cookie", "gate", "scope", "send_on")

    gate: ConsentMiddleware
    consent: Consent
    scope: Scope
    send_on: Send
    cookie: bytes  # the request's Cookie header(s), as the consent reader found them

    def send(self, message: Message) -> Awaitable[None]:
        if message["type"] != "http.response.start":
            return self.send_on(message)
        headers = message.get("headers", ())
        # One pass over the headers (here, not in a function: a call costs more than the pass on a
        # small response): whether the response could be HTML (html_response decides exactly; this
        # only rules out: one Content-Type that is not HTML rules it out; none, or several, leave
        # it to the body, sniffed), and whether it sets cookies (for the cookie filter).
        types = 0
        html = xml = cookies = False
        loads = 0  # (1: headers that load; 2: a response in part)
        try:
            for name, value in headers:
                kind = _HEADS.get(name)
                if kind is None:
                    if name.islower():  # (a lower-case name is its own lower())
                        continue
                    kind = _HEADS.get(bytes(name.lower()))
                if kind == 1:
                    types += 1
                    if value not in _NOT_HTML:
                        low = value.lower()
                        html = html or low.find(b"text/html") >= 0
                        # (gate/xml/types.py decides exactly: XML types, and text/xsl)
                        xml = xml or low.find(b"xml") >= 0 or low.find(b"xsl") >= 0
                elif kind == 2:
                    cookies = True
                elif kind == 3:
                    loads |= 1
                elif kind == 4:
                    # A CSP only sends reports to its report-uri URLs (most pages have a CSP, few
                    # a report-uri): the filter runs for those only.
                    if value.lower().find(b"report-uri") >= 0:
                        loads |= 1
                elif kind == 5:
                    loads |= 2
        except TypeError:  # a bytearray name or value (unhashable): the same headers as bytes
            return self.send({**message, "headers": [(bytes(n), bytes(v)) for n, v in headers]})
        if cookies or html or xml or loads or types != 1:
            return self._gate(
                message, headers, cookies=cookies, html=html or types != 1, loads=loads, xml=xml or not types
            )
        return self.send_on(message)

    def _gate(
        self,
        message: Message,
        headers: Any,
        *,
        cookies: bool,
        html: bool,
        loads: int = 0,
        xml: bool = False,
    ) -> Awaitable[None]:
        # The start of a response that sets cookies, may be HTML, or has headers that load.
        gate = self.gate
        consent = self.consent
        # cookie filter: Set-Cookie headers of refused categories are dropped here.
        kept = gate.cookie_filter.filter(headers, consent.granted) if cookies else headers
        if loads:
            if loads & 2 and (html or xml) and message.get("status") == 206 and rendered_whole(self.scope):
                # Bytes of a page the gate never read, which the browser would join to a part it
                # kept: the middleware asks for the whole page instead (gate/partial_pages.py).
                send, self.send_on = self.send_on, dropped
                return gate._whole_page(self, send)
            if loads & 1:  # Link and Refresh headers to a refused tracker (gate/header_loads.py)
                paths = gate.html
                kept = gated_header_loads(kept, paths.plans.plan_for(self.scope)[1], paths.blocked(consent))
        if html:
            # An undecided visitor under the opt-out regime has tags granted by default; the banner
            # (which cannot read the signed cookie) learns that from a state cookie set on pages.
            # Without a valid signed cookie of this revision, a state cookie the browser sent is
            # stale or forged: it is replaced by the default, or deleted, before the banner reads it.
            if not consent.decided:
                secure = self.scope.get("scheme") == "https"
                state = gate.default_states[secure].get(consent.granted)
                if state is None and self.cookie and gate.state_cookie.sent_in(self.cookie):
                    state = gate.state_cookie.deletions[secure]
                if state is not None:
                    kept = [*kept, state]
                # A banner variant, assigned once and kept until the visitor chooses.
                if gate.variants is not None:
                    variant = gate.variants.assign(self.scope["headers"], secure=secure, cookie=self.cookie)
                    if variant is not None:
                        kept = [*kept, variant]
            # response path: text/html bodies are rewritten as they stream (html_response.py).
            self.send_on = gate.html.wrap(self.scope, consent, self.send_on)
        if xml:
            # An XML document (XHTML, SVG...; or no type, whose body may start '<?xml'): expat reads
            # it and its tags of refused categories are made inert (gate/xml/). Put before the HTML
            # path, which then sees the XML responses as what they are, not HTML.
            self.send_on = gate.xml.wrap(self.scope, consent, self.send_on)
        if kept is not headers:
            message = {**message, "headers": kept}
        return self.send_on(message)
