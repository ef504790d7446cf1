"""The ``/consentgate/api/v1/`` routes: status lookups, the changes feed, opt-outs and links."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..config import Config
from ..errors import HTTPError
from ..ledger.records import ConsentRecord
from ..logs.client_ip import ClientIP
from ..store.api_base import Position
from ..store.lazy import StoreOpener
from ..web import Route, read_json, send_json
from ..web.paths import API_PREFIX
from ..webhooks.outbox import FLAGS, events_for_record, iso_time, record_flags, record_source
from .auth import KeyAuth
from .identity import IdentityError, identifiers_for, subject_kind
from .openapi import openapi_document
from .status import statuses

__all__ = ["PREFIX", "ApiRoutes"]

PREFIX = API_PREFIX
MAX_BULK = 1000
MAX_BODY = 256 * 1024
CHANNELS: tuple[str, ...] = ("phone", "sms", "email", "form", "api")
#: How long an opt-out received through another channel is kept in the ledger (two years).
OPT_OUT_KEEP = 730 * 86400.0
#: Cursors are opaque to clients: base64url of "c2.<txid>.<seq>", a store position (api_base.Position).
#: "c1.<seq>" cursors, from before the feed paged in commit order, are still read, as (0, seq).
_CURSOR = re.compile(r"c1\.(?P<seq>[0-9]{1,18})|c2\.(?P<txid>[0-9]{1,18})\.(?P<seq2>[0-9]{1,18})")
_DIGITS = re.compile(r"[0-9]{1,18}")


class ApiRoutes:
    """The API's routes, from narrow collaborators: the config, the ``store`` and ``on_events``
    (told when an opt-out queued webhook events)."""

    def __init__(self, config: Config, store: StoreOpener, on_events: Callable[[], None]) -> None:
        self._config = config
        self._store = store
        self._on_events = on_events
        self.auth = KeyAuth(config.api)
        # The client's address behind the site's own proxies, as the request log finds it.
        logging = config.logging
        self._client_ip = ClientIP(logging.trusted_proxies, header=logging.proxy_header)
        self._openapi = json.dumps(openapi_document(config), separators=(",", ":")).encode()

    def routes(self) -> list[Route]:
        """Every route under :data:`PREFIX`; any other path under it answers the API's own 404."""
        return [
            Route.get(PREFIX + "openapi.json", self._send_openapi),
            Route(PREFIX + "subjects", {"POST": self._bulk}),
            Route.get(PREFIX + "changes", self._changes),
            Route(PREFIX + "opt-outs", {"POST": self._opt_out}),
            Route(PREFIX + "links", {"POST": self._link}),
            Route.mount(PREFIX + "subjects/", self._subject),
            Route.mount(PREFIX, _not_found),
        ]

    async def _check(self, scope: Scope, headers: Mapping[bytes, bytes], needed: str) -> str:
        """The id of the request's API key, which must carry the scope ``needed`` (else 401/403/429);
        failed attempts count against the client's address."""
        client = self._client_ip.full(scope)
        key = await self.auth.check(await self._store(), headers, needed, client)
        return key.key_id

    async def _send_openapi(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = Response(
            self._openapi, media_type="application/json", headers={"Cache-Control": "no-store"}
        )
        await response(scope, receive, send)

    # --- status -----------------------------------------------------------------------------------

    async def _subject(self, scope: Scope, receive: Receive, send: Send) -> None:
        _allow(scope["method"], "GET")
        await self._check(scope, dict(scope["headers"]), "read")
        subject = scope["path"][len(PREFIX + "subjects/") :]
        _check_subject(subject)
        [status] = await statuses(await self._store(), [subject])
        if not status["found"]:
            raise HTTPError(404, "unknown_subject", f"No record and no link is known for {subject!r}.")
        await send_json(send, 200, status)

    async def _bulk(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        await self._check(scope, headers, "read")
        body = await read_json(
            receive, headers, limit=MAX_BODY, seconds=self._config.gate.body_timeout_seconds
        )
        if not isinstance(body, dict) or set(body) != {"subjects"} or not isinstance(body["subjects"], list):
            raise HTTPError(400, "bad_request", 'Send {"subjects": [subject, ...]}.')
        subjects = body["subjects"]
        if not 1 <= len(subjects) <= MAX_BULK:
            raise HTTPError(400, "bad_request", f"'subjects' must hold 1 to {MAX_BULK} subjects.")
        for subject in subjects:
            if not isinstance(subject, str):
                raise HTTPError(400, "bad_subject", "Every subject must be a string.")
            _check_subject(subject)
        results = await statuses(await self._store(), subjects)
        await send_json(send, 200, {"results": results})

    # --- the changes feed ---------------------------------------------------------------------------

    async def _changes(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._check(scope, dict(scope["headers"]), "read")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        unknown = sorted(set(query) - {"after", "limit"})
        if unknown:
            raise HTTPError(
                400, "bad_request", f"Unknown query parameter {unknown[0]!r}; use 'after' and 'limit'."
            )
        after = _decode_cursor(query["after"][-1]) if "after" in query else (0, 0)
        limit_text = query.get("limit", ["100"])[-1]
        if not _DIGITS.fullmatch(limit_text) or not 1 <= int(limit_text) <= MAX_BULK:
            raise HTTPError(400, "bad_limit", f"'limit' must be a whole number from 1 to {MAX_BULK}.")
        limit = int(limit_text)
        store = await self._store()
        rows = await store.changes(after, limit + 1)
        has_more = len(rows) > limit
        rows = rows[:limit]
        linked: dict[str, set[str]] = {}
        if rows:
            for identifier, consent_id in await store.links_of([r.consent_id for _, r in rows]):
                linked.setdefault(consent_id, set()).add(identifier)
                linked.setdefault(identifier, set()).add(consent_id)
        changes = [_change(pos, record, sorted(linked.get(record.consent_id, ()))) for pos, record in rows]
        last = rows[-1][0] if rows else after
        await send_json(send, 200, {"changes": changes, "next": _encode_cursor(last), "has_more": has_more})

    # --- writes -------------------------------------------------------------------------------------

    async def _opt_out(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        key_id = await self._check(scope, headers, "write")
        body = await read_json(
            receive, headers, limit=MAX_BODY, seconds=self._config.gate.body_timeout_seconds
        )
        subject, channel, flags = self._parse_opt_out(body)
        store = await self._store()
        if subject_kind(subject) == "consent_id" and not await store.records(subject):
            raise HTTPError(404, "unknown_subject", f"No record is known for consent id {subject!r}.")
        config = self._config
        refused = set()
        if "analytics" in flags:
            refused.add("analytics")
        if {"sale_sharing", "targeted_advertising"} & set(flags):
            refused.add("advertising")
        now = time.time()
        record = ConsentRecord(
            record_id=uuid.uuid4().hex,
            consent_id=subject,
            time=now,
            action="api_opt_out",
            categories={"necessary": True}
            | {name: False for name in config.category_names if name in refused},
            config_revision=config.revision,
            shown_hash="",
            expires_at=now + OPT_OUT_KEEP,
            source=channel,
            extra={"opt_outs": list(flags), "channel": channel, "api_key": key_id},
        )
        events = events_for_record(config, record, channel=channel)
        stored = await store.append(record, events=events)
        if events:
            self._on_events()
        [status] = await statuses(store, [subject])
        await send_json(send, 201, {"record_id": stored.record_id, "subject": subject, "status": status})

    def _parse_opt_out(self, body: Any) -> tuple[str, str, tuple[str, ...]]:
        if not isinstance(body, dict):
            raise HTTPError(400, "bad_request", "The body must be a JSON object.")
        unknown = sorted(set(body) - {"subject", "email", "phone", "user_id", "channel", "opt_outs"})
        if unknown:
            raise HTTPError(400, "bad_request", f"Unknown field {unknown[0]!r}.")
        given = [name for name in ("subject", "email", "phone", "user_id") if name in body]
        if len(given) != 1:
            raise HTTPError(
                400, "bad_request", "Send exactly one of 'subject', 'email', 'phone' and 'user_id'."
            )
        subject = self._subject_of(body, given[0])
        channel = body.get("channel")
        if channel not in CHANNELS:
            raise HTTPError(400, "bad_channel", f"'channel' must be one of {', '.join(CHANNELS)}.")
        flags = body.get("opt_outs", list(FLAGS))
        if (
            not isinstance(flags, list)
            or not flags
            or any(not isinstance(f, str) or f not in FLAGS for f in flags)
            or len(set(flags)) != len(flags)
        ):
            raise HTTPError(
                400, "bad_opt_outs", f"'opt_outs' must list distinct flags among {', '.join(FLAGS)}."
            )
        return subject, channel, tuple(f for f in FLAGS if f in flags)

    def _subject_of(self, body: Mapping[str, Any], field: str) -> str:
        value = body[field]
        if field == "subject":
            if not isinstance(value, str):
                raise HTTPError(400, "bad_subject", "'subject' must be a string.")
            _check_subject(value)
            return value
        if not isinstance(value, str) or (field == "user_id" and not value):
            raise HTTPError(400, "bad_identifier", f"'{field}' must be a string.")
        try:
            [identifier] = identifiers_for(region=self._config.identity.phone_region, **{field: value})
        except IdentityError as exc:
            raise HTTPError(400, "bad_identifier", str(exc)) from None
        return identifier

    async def _link(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        await self._check(scope, headers, "write")
        body = await read_json(
            receive, headers, limit=MAX_BODY, seconds=self._config.gate.body_timeout_seconds
        )
        if not isinstance(body, dict):
            raise HTTPError(400, "bad_request", "The body must be a JSON object.")
        unknown = sorted(set(body) - {"consent_id", "email", "phone", "user_id", "identifiers"})
        if unknown:
            raise HTTPError(400, "bad_request", f"Unknown field {unknown[0]!r}.")
        consent_id = body.get("consent_id")
        if not isinstance(consent_id, str) or subject_kind(consent_id) != "consent_id":
            raise HTTPError(400, "bad_subject", "'consent_id' must be the consent id of a visitor.")
        found: list[str] = []
        for field in ("email", "phone", "user_id"):
            if field in body:
                found.append(self._subject_of(body, field))
        extra = body.get("identifiers", [])
        if not isinstance(extra, list) or len(extra) > 100:
            raise HTTPError(400, "bad_request", "'identifiers' must be a list of at most 100 identifiers.")
        for identifier in extra:
            if not isinstance(identifier, str) or subject_kind(identifier) in (None, "consent_id"):
                raise HTTPError(
                    400,
                    "bad_identifier",
                    "'identifiers' must hold 'email:<sha256>', 'phone:<sha256>' or 'user:<id>'.",
                )
            found.append(identifier)
        if not found:
            raise HTTPError(
                400, "bad_request", "Send at least one of 'email', 'phone', 'user_id' and 'identifiers'."
            )
        store = await self._store()
        if not await store.records(consent_id):
            raise HTTPError(404, "unknown_subject", f"No record is known for consent id {consent_id!r}.")
        found = list(dict.fromkeys(found))
        added = await store.add_links(consent_id, found, now=time.time(), source="api")
        await send_json(send, 200, {"consent_id": consent_id, "linked": found, "added": added})


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    raise HTTPError(404, "not_found", f"The API has no route {scope['path']!r}; see {PREFIX}openapi.json.")


def _allow(method: str, allowed: str) -> None:
    if method != allowed:
        raise HTTPError(
            405, "method_not_allowed", f"{method} is not allowed here; use {allowed}.", {"Allow": allowed}
        )


def _check_subject(subject: str) -> None:
    if subject_kind(subject) is None:
        raise HTTPError(
            400,
            "bad_subject",
            "A subject is a consent id, 'email:<sha256 hex>', 'phone:<sha256 hex>' or 'user:<id>'.",
        )


def _change(position: Position, record: ConsentRecord, linked: list[str]) -> dict[str, Any]:
    return {
        "cursor": _encode_cursor(position),
        "subject": record.consent_id,
        "kind": subject_kind(record.consent_id) or "unknown",
        "record_id": record.record_id,
        "time": iso_time(record.time),
        "action": record.action,
        "source": record_source(record),
        "categories": dict(record.state),
        "opt_outs": record_flags(record),
        "linked": linked,
    }


def _encode_cursor(position: Position) -> str:
    txid, seq = position
    return base64.urlsafe_b64encode(f"c2.{txid}.{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> Position:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError):
        text = ""
    match = _CURSOR.fullmatch(text)
    if match is None:
        raise HTTPError(
            400,
            "bad_cursor",
            "'after' must be a cursor from a previous page ('next' or a change's 'cursor').",
        )
    if match["seq"] is not None:  # c1: a seq alone; the store resumes after that record
        return (0, int(match["seq"]))
    return (int(match["txid"]), int(match["seq2"]))
