"""The admin page: ``GET /consentgate/admin/`` shows the request-log aggregates as charts.

Behind an API key with the ``read`` scope (``consentgate keys create --scope read``), given as
``Authorization: Bearer <key>`` or as the password of HTTP Basic auth (any user name), so a browser
asks for it with its own dialog. ``GET /consentgate/admin/stats.json`` answers the same figures as
JSON. The period is ``?hours=N`` (default 24) before now, or ``?since=…&until=…`` (ISO 8601 UTC).

The page is one server-rendered HTML document with inline SVG charts: no script at all, one
stylesheet allowed by its hash in a strict ``Content-Security-Policy``; every text that comes from a
request (paths, browser names) is escaped.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..api import keys as api_keys
from ..config import LoggingConfig
from ..errors import HTTPError
from ..logs.stats import Stats, collect_stats
from ..store.lazy import StoreOpener
from ..web import Route, send_json
from ..web.paths import ADMIN_PATH, STATS_PATH
from .charts import CSS_HASH, render_page

__all__ = ["ADMIN_PATH", "STATS_PATH", "AdminPage", "KeyVerifier"]


#: ``await verifier(key)`` → the key's scope (``"read"``, ``"write"``) or None when it is not valid.
KeyVerifier = Callable[[str], Awaitable[str | None]]

_CSP = (
    f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; img-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class AdminPage:
    """The admin page and its JSON, from narrow collaborators: the logging section and the ``store``.

    ``verifier`` checks a presented key (default: the API keys made with ``consentgate keys create``,
    looked up in the store).
    """

    def __init__(
        self, config: LoggingConfig, store: StoreOpener, verifier: KeyVerifier | None = None
    ) -> None:
        self._config = config
        self._store = store
        self.verifier = verifier or self._api_key_scope

    def routes(self) -> list[Route]:
        """The routes this capability serves."""
        return [Route.get(ADMIN_PATH, self.html), Route.get(STATS_PATH, self.json)]

    async def html(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._authorize(scope)
        stats = await self._stats(scope)
        page = render_page(stats, self._config.enabled, action=ADMIN_PATH)
        await Response(page, media_type="text/html; charset=utf-8", headers=_HEADERS)(scope, receive, send)

    async def json(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._authorize(scope)
        stats = await self._stats(scope)
        await send_json(send, 200, stats.to_json())

    async def _api_key_scope(self, key: str) -> str | None:
        key_id = api_keys.parse_key(key)
        if key_id is None:
            return None
        found = await (await self._store()).api_key(key_id)
        if found is None:
            return None
        stored, stored_hash = found
        if not api_keys.verify_key(key, stored_hash) or stored.revoked_at is not None:
            return None
        return str(stored.scope)

    async def _authorize(self, scope: Scope) -> None:
        key = _presented_key(scope)
        challenge = {"WWW-Authenticate": 'Basic realm="consentgate admin", charset="UTF-8"'}
        if key is None:
            raise HTTPError(
                401,
                "unauthorized",
                "Send a read-scoped API key: 'Authorization: Bearer <key>' or as the Basic auth password.",
                challenge,
            )
        granted = await self.verifier(key)
        if granted is None:
            raise HTTPError(401, "unauthorized", "The API key is not valid or has been revoked.", challenge)
        if granted not in ("read", "write"):
            raise HTTPError(403, "forbidden", "The admin page needs a key with the 'read' scope.")

    async def _stats(self, scope: Scope) -> Stats:
        since, until = _period(scope.get("query_string", b""), time.time())
        return await collect_stats(self._config, await self._store(), since=since, until=until)


def _presented_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name != b"authorization":
            continue
        text: str = value.decode("latin-1")
        kind, _, credentials = text.strip().partition(" ")
        kind = kind.lower()
        if kind == "bearer" and credentials.strip():
            return credentials.strip()
        if kind == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            password = decoded.partition(":")[2]
            return password or None
    return None


def _period(query_string: bytes, now: float) -> tuple[float, float]:
    """``(since, until)`` from ``?hours=`` or ``?since=&until=``; a bad value is a 400."""
    try:
        query = parse_qs(query_string.decode("latin-1"), max_num_fields=10)
    except ValueError:
        raise HTTPError(400, "bad_query", "The query string has too many fields.") from None
    until = _instant(query, "until", now)
    if "since" in query:
        since = _instant(query, "since", now)
    else:
        raw = query.get("hours", ["24"])[-1]
        if not raw.isdigit() or not 1 <= int(raw) <= 24 * 366:
            raise HTTPError(400, "bad_hours", "'hours' must be a whole number of hours from 1 to 8784.")
        since = until - int(raw) * 3600
    if since >= until:
        raise HTTPError(400, "bad_period", "'since' must be before 'until'.")
    return since, until


def _instant(query: dict[str, list[str]], name: str, default: float) -> float:
    if name not in query:
        return default
    raw = query[name][-1].strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPError(
            400, f"bad_{name}", f"'{name}' must be an ISO 8601 time such as 2026-11-23T12:00:00Z."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# --- rendering --------------------------------------------------------------------------------------
