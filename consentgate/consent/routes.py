"""The gate's own consent routes: ``/consentgate/consent`` (GET, POST, DELETE) and ``/.well-known/gpc.json``.

A choice is appended to the ledger before it is answered; only then are the cookies set.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.types import Receive, Scope, Send

from ..errors import HTTPError
from ..gate.banner import BANNER_VERSION
from ..ledger.records import ConsentRecord
from ..logs.useragent import summarize
from ..scan.declaration import DeclarationRoute
from ..webhooks.outbox import events_for_record
from .cookie import StoredChoice, new_consent_id
from .model import Consent

if TYPE_CHECKING:
    from ..middleware import ConsentMiddleware

__all__ = ["ConsentRoutes", "read_json", "send_json"]

MAX_BODY = 16 * 1024
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
_NO_STORE = (b"cache-control", b"no-store")

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_json(
    send: Send, status: int, data: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer ``data`` as JSON with ``Cache-Control: no-store``."""
    body = json.dumps(data, separators=(",", ":")).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        _NO_STORE,
    ]
    if headers:
        raw.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: HTTPError) -> None:
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()]
    await send_json(send, error.status, {"error": error.code, "detail": error.detail}, extra)


class ConsentRoutes:
    """Dispatches the gate's own paths; other modules add routes with :meth:`add`."""

    def __init__(self, gate: ConsentMiddleware) -> None:
        self.gate = gate
        config = gate.config
        self._routes: dict[str, dict[str, Handler]] = {}
        self._prefixes: list[tuple[str, Handler]] = []
        self.add("/consentgate/consent", "GET", self._get)
        self.add("/consentgate/consent", "POST", self._post)
        self.add("/consentgate/consent", "DELETE", self._delete)
        self.add("/.well-known/gpc.json", "GET", self._gpc)
        self.add("/consentgate/declaration", "GET", DeclarationRoute(config).handle)
        self._optional = config.optional_categories
        self._names = config.category_names
        self._max_age = config.cookie.max_age_days * 86400
        self._cookie_name = config.cookie.name
        self._cookie_tail = f"; Max-Age={self._max_age}; Path=/; SameSite=Lax" + (
            f"; Domain={config.cookie.domain}" if config.cookie.domain else ""
        )
        self._gpc_body = json.dumps({"gpc": True, "lastUpdate": config.gpc_last_update}).encode()
        # What a visitor is shown and asked is exactly what the banner reads (texts in every language,
        # categories, services, policy link) and the banner's version: stored once per version by
        # the ledger, and each record carries its hash. (Not the whole config: it holds secrets.)
        self.shown = (
            f'{{"banner_version":"{BANNER_VERSION}","banner_config":{gate.injection.config_json}}}'.encode()
        )
        self.shown_hash = hashlib.sha256(self.shown).hexdigest()

    def add(self, path: str, method: str, handler: Handler, *, prefix: bool = False) -> None:
        """Route ``method path`` (or every path under ``path`` when ``prefix``) to ``handler``."""
        if prefix:
            self._prefixes.append((path, handler))
        else:
            self._routes.setdefault(path, {})[method] = handler
            if method == "GET":
                self._routes[path].setdefault("HEAD", handler)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        try:
            methods = self._routes.get(path)
            if methods is None:
                for prefix, handler in self._prefixes:
                    if path.startswith(prefix):
                        await handler(scope, receive, send)
                        return
                raise HTTPError(404, "not_found", f"The gate has no route {path!r}.")
            method_handler = methods.get(scope["method"])
            if method_handler is None:
                allowed = ", ".join(sorted(methods))
                raise HTTPError(
                    405,
                    "method_not_allowed",
                    f"{scope['method']} is not allowed on {path}; use {allowed}.",
                    {"Allow": allowed},
                )
            await method_handler(scope, receive, send)
        except HTTPError as error:
            await send_error(send, error)

    # --- handlers ---------------------------------------------------------------------------------

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        consent = self.gate.consent_for(scope)
        await send_json(send, 200, consent.to_json())

    async def _gpc(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self._gpc_body)).encode()),
                    _NO_STORE,
                ],
            }
        )
        await send({"type": "http.response.body", "body": self._gpc_body})

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        _require_same_origin(scope, headers)
        body = await read_json(receive, headers)
        action, granted, language = self._parse_choice(body)
        await self._record(scope, send, headers, action, granted, language)

    async def _delete(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
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
        gate = self.gate
        before = gate.consent_for(scope)
        consent_id = before.id or new_consent_id()
        now = time.time()
        record = ConsentRecord(
            record_id=uuid.uuid4().hex,
            consent_id=consent_id,
            time=now,
            action=action,
            categories={name: name in granted for name in self._names},
            config_revision=gate.config.revision,
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
        )
        store = await gate.store()
        events = events_for_record(gate.config, record)  # webhooks, in the record's transaction
        await store.append(record, shown=self.shown, events=events)  # durable before we answer
        if events:
            gate.wake_webhooks()
        choice = StoredChoice(consent_id, granted, gate.config.revision, int(now))
        after = gate.decider.decide(choice, region=before.region, gpc=before.gpc, dnt=before.dnt)
        await send_json(send, 200, after.to_json(), self._set_cookies(scope, choice, after))

    def _set_cookies(self, scope: Scope, choice: StoredChoice, after: Consent) -> list[tuple[bytes, bytes]]:
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        signed = f"{self._cookie_name}={self.gate.codec.encode(choice)}{self._cookie_tail}; HttpOnly{secure}"
        granted = "-".join(name for name in self._names if after.allows(name))
        state = f"{self._cookie_name}_state={choice.revision}.1.{granted}{self._cookie_tail}{secure}"
        return [(b"set-cookie", signed.encode("latin-1")), (b"set-cookie", state.encode("latin-1"))]


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])


def _require_same_origin(scope: Scope, headers: Mapping[bytes, bytes]) -> None:
    """Refuse choices that a third-party page could forge (CSRF): the browser must say same-origin."""
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
        host = headers.get(b"host", b"").decode("latin-1").lower()
        netloc = urlsplit(origin.decode("latin-1")).netloc.lower()
        if not host or netloc != host:
            raise HTTPError(
                403, "cross_origin", "Choices are accepted from the site's own pages only (Origin differs)."
            )


async def read_json(receive: Receive, headers: Mapping[bytes, bytes], *, limit: int = MAX_BODY) -> Any:
    """The request body as JSON: ``application/json``, at most ``limit`` bytes, else an HTTPError."""
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if content_type != b"application/json":
        raise HTTPError(415, "unsupported_media_type", "Send the body as application/json.")
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPError(413, "body_too_large", f"The body is over {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPError(400, "bad_request", "The client went away before the body was read.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, "body_too_large", f"The body is over {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError):
        raise HTTPError(400, "bad_json", "The body is not valid JSON.") from None
