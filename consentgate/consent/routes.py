"""The consent routes: ``/consentgate/consent`` (GET, POST, DELETE) and ``/.well-known/gpc.json``.

A choice is appended to the ledger before it is answered; only then are the cookies set.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..config import Config
from ..errors import HTTPError
from ..ledger.records import ConsentRecord
from ..logs.useragent import summarize
from ..store.lazy import StoreOpener
from ..web import Route, read_json, send_json
from ..web.paths import CONSENT_PATH, GPC_PATH
from ..webhooks.outbox import events_for_record
from .cookie import CookieCodec, StoredChoice, new_consent_id
from .decision import Decider
from .model import Consent
from .state_cookie import StateCookie
from .variants import Variants

__all__ = ["CONSENT_PATH", "GPC_PATH", "ConsentRoutes"]

_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")


class ConsentRoutes:
    """Reads and records the visitor's choice.

    Built from narrow collaborators: the config, ``read`` (the request's :class:`Consent`), the
    cookie ``codec`` and ``state_cookie``, the ``decider``, the ledger's ``store``, ``on_events``
    (told when a choice queued webhook events) and ``shown`` (what the visitor was shown, stored once
    per version by the ledger; each record carries its hash).
    """

    def __init__(
        self,
        config: Config,
        *,
        read: Callable[[Scope], Consent],
        codec: CookieCodec,
        decider: Decider,
        state_cookie: StateCookie,
        store: StoreOpener,
        on_events: Callable[[], None],
        shown: bytes,
        shown_hash: str,
        variants: Variants | None = None,
    ) -> None:
        self._config = config
        self._read = read
        self._codec = codec
        self._decider = decider
        self._state_cookie = state_cookie
        self._store = store
        self._on_events = on_events
        self.shown = shown
        self.shown_hash = shown_hash
        self._variants = variants
        self._names = config.category_names
        self._max_age = config.cookie.max_age_days * 86400
        self._cookie_name = config.cookie.name
        self._signed_tail = (
            f"; Max-Age={self._max_age}; Path=/; SameSite=Lax"
            + (f"; Domain={config.cookie.domain}" if config.cookie.domain else "")
            + "; HttpOnly"
        )
        self._body_timeout = config.gate.body_timeout_seconds
        self._gpc_body = json.dumps({"gpc": True, "lastUpdate": config.gpc_last_update}).encode()

    def routes(self) -> list[Route]:
        """The routes this capability serves."""
        return [
            Route(CONSENT_PATH, {"GET": self._get, "POST": self._post, "DELETE": self._delete}),
            Route.get(GPC_PATH, self._gpc),
        ]

    # --- handlers ---------------------------------------------------------------------------------

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, self._read(scope).to_json())

    async def _gpc(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = Response(
            self._gpc_body, media_type="application/json", headers={"Cache-Control": "no-store"}
        )
        await response(scope, receive, send)

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        _require_same_origin(scope, headers)
        body = await read_json(receive, headers, seconds=self._body_timeout)
        action, granted, language = self._parse_choice(body)
        await self._record(scope, send, headers, action, granted, language)

    async def _delete(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        _require_same_origin(scope, headers)
        await self._record(scope, send, headers, "withdraw", frozenset(), "")

    # --- the choice -------------------------------------------------------------------------------

    def _parse_choice(self, body: Any) -> tuple[str, frozenset[str], str]:
        if not isinstance(body, dict):
            raise HTTPError(400, "bad_request", "The body must be a JSON object.")
        unknown = sorted(set(body) - {"action", "categories", "language"})
        if unknown:
            raise HTTPError(
                400, "bad_request", f"Unknown field {unknown[0]!r}; send 'action' or 'categories'."
            )
        language = body.get("language", "")
        if not isinstance(language, str) or (language and not _LANG_RE.match(language)):
            raise HTTPError(400, "bad_language", "'language' must be a language tag such as 'en' or 'de-AT'.")
        if ("action" in body) == ("categories" in body):
            raise HTTPError(
                400,
                "bad_request",
                'Send either {"action": "accept_all" | "reject_all"} or {"categories": {name: bool}}.',
            )
        if "action" in body:
            action = body["action"]
            if action == "accept_all":
                return action, frozenset(self._names), language
            if action == "reject_all":
                return action, frozenset({"necessary"}), language
            raise HTTPError(400, "bad_action", "'action' must be 'accept_all' or 'reject_all'.")
        categories = body["categories"]
        if not isinstance(categories, dict):
            raise HTTPError(
                400, "bad_request", "'categories' must be an object of category name to true/false."
            )
        for name, value in categories.items():
            if name not in self._names:
                raise HTTPError(
                    422,
                    "unknown_category",
                    f"Unknown category {name!r}; known categories are: {', '.join(self._names)}.",
                )
            if not isinstance(value, bool):
                raise HTTPError(422, "bad_value", f"Category {name!r} must be true or false.")
        if categories.get("necessary") is False:
            raise HTTPError(422, "necessary_required", "'necessary' cannot be refused; it is always granted.")
        granted = frozenset({"necessary"} | {n for n, ok in categories.items() if ok})
        return "save_choices", granted, language

    async def _record(
        self,
        scope: Scope,
        send: Send,
        headers: Mapping[bytes, bytes],
        action: str,
        granted: frozenset[str],
        language: str,
    ) -> None:
        config = self._config
        before = self._read(scope)
        consent_id = before.id or new_consent_id()
        now = time.time()
        choice = StoredChoice(consent_id, granted, config.revision, int(now))
        # The ledger keeps the choice and what applied after signals (GPC wins where it refuses).
        after = self._decider.decide(choice, region=before.region, gpc=before.gpc, dnt=before.dnt)
        record = ConsentRecord(
            record_id=uuid.uuid4().hex,
            consent_id=consent_id,
            time=now,
            action=action,
            categories={name: name in granted for name in self._names},
            config_revision=config.revision,
            shown_hash=self.shown_hash,
            language=language,
            host=headers.get(b"host", b"").decode("latin-1")[:255],
            regime=before.regime,
            gpc=before.gpc,
            dnt=before.dnt,
            region=before.region,
            ua_family=summarize(headers.get(b"user-agent", b"").decode("latin-1")).browser,
            expires_at=now + self._max_age,
            source="banner",
            effective=dict(after.categories),
            regimes=self._decider.regimes(before.region),
            variant=self._variants.of(scope["headers"]) if self._variants is not None else "",
        )
        store = await self._store()
        events = events_for_record(config, record)  # webhooks, in the record's transaction
        await store.append(record, shown=self.shown, events=events)  # durable before we answer
        if events:
            self._on_events()
        secure = scope.get("scheme") == "https"
        signed = f"{self._cookie_name}={self._codec.encode(choice)}{self._signed_tail}" + (
            "; Secure" if secure else ""
        )
        cookies = [
            (b"set-cookie", signed.encode("latin-1")),
            self._state_cookie.header(after.granted, decided=True, secure=secure),
        ]
        if record.variant:  # kept until the visitor chooses: the choice is made
            assert self._variants is not None
            cookies.append(self._variants.deletions[secure])
        await send_json(send, 200, after.to_json(), cookies)


def _require_same_origin(scope: Scope, headers: Mapping[bytes, bytes]) -> None:
    """Refuse choices that a third-party page could forge (CSRF): the browser must say same-origin,
    and an ``Origin`` must name this very origin: scheme, host and port."""
    fetch_site = headers.get(b"sec-fetch-site")
    origin = headers.get(b"origin")
    if fetch_site is None and origin is None:
        raise HTTPError(
            403,
            "cross_origin",
            "Choices are accepted from the site's own pages only; send the Origin header of this site.",
        )
    if fetch_site is not None and fetch_site != b"same-origin":
        raise HTTPError(
            403, "cross_origin", "Choices are accepted from the site's own pages only (Sec-Fetch-Site)."
        )
    if origin is not None:
        scheme = scope.get("scheme", "http")
        own = _origin_of(scheme, headers.get(b"host", b"").decode("latin-1"))
        theirs = _origin_of(None, origin.decode("latin-1"))
        if own is None or theirs != own:
            raise HTTPError(
                403,
                "cross_origin",
                "Choices are accepted from the site's own pages only (the Origin's scheme, host or port differs).",
            )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_of(scheme: str | None, text: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an ``Origin`` (``scheme`` None) or of a ``Host`` header on a request
    made with ``scheme``, default ports filled in; None when it is not one."""
    parts = urlsplit(text.strip() if scheme is None else "//" + text.strip())
    if scheme is None:
        scheme = parts.scheme.lower()
    if parts.path or parts.query or parts.fragment or parts.username is not None:
        return None
    if scheme not in _DEFAULT_PORTS:
        return None  # "null", file:, or a scheme the gate is not served on
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]
