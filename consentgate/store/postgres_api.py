"""PostgreSQL side of the API store methods (mixed into :class:`~consentgate.store.postgres.PostgresStore`).

A delivery lease is one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``: workers on
several servers lease disjoint rows without waiting for each other, and the row lock re-checks the
lease, so two workers never hold the same delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncpg

from ..api.keys import ApiKey
from ..errors import StoreError
from ..ledger.records import ConsentRecord
from ..webhooks.outbox import Delivery, OutboxEvent, Outcome, outbox_rows
from .api_base import ApiStoreMixin, Position
from .base import decode_record

__all__ = ["PostgresApiMixin", "write_events"]

_DELIVERY_COLUMNS = (
    "id, msg_id, endpoint, subject, type, payload, created_at, retry_from, attempts, state, next_at,"
    " last_status, last_error, done_at"
)

_CLAIM_SQL = f"""
UPDATE outbox SET lease_until = $1, lease_owner = $2, attempts = attempts + 1
WHERE id IN (
    SELECT o.id FROM outbox o
    WHERE o.state = 'pending' AND o.next_at <= $3 AND o.lease_until <= $3
      AND NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.state = 'pending' AND p.endpoint = o.endpoint AND p.subject = o.subject AND p.id < o.id
      )
    ORDER BY o.id LIMIT $4
    FOR UPDATE SKIP LOCKED
)
RETURNING {_DELIVERY_COLUMNS}
"""

# Due: what _CLAIM_SQL would claim (an event waiting behind an earlier one of its subject is not).
_DUE_SQL = """
SELECT 1 FROM outbox o
WHERE o.state = 'pending' AND o.next_at <= $1 AND o.lease_until <= $1
  AND NOT EXISTS (
      SELECT 1 FROM outbox p
      WHERE p.state = 'pending' AND p.endpoint = o.endpoint AND p.subject = o.subject AND p.id < o.id
  )
LIMIT 1
"""

# The changes feed (issue 6). seq is handed out at insert, but transactions commit in any order: paging
# by seq alone, a reader that sees seq 11 while seq 10 is still in flight moves past 10 for good. So
# the feed pages by (txid, seq), txid being the id of the transaction that wrote the record (or a
# larger one, to keep a consent id's chain order: APPEND_SQL in postgres.py), and stops below the
# oldest transaction still in flight anywhere in the cluster (the snapshot's xmin). Every record whose
# txid is below that horizon was written by a transaction that has ended, so it is committed and
# visible to this statement (or rolled back and gone); a transaction that commits later has an id at
# or above the horizon, and so have its records, so they sort after any position answered now. The
# price: one long write transaction (here or in any database of
# the server, e.g. an idle-in-transaction session or a bulk job) holds the feed back until it ends.
# It delays changes, it never loses one.
_CHANGES_SQL = """
SELECT txid, seq, data, prev_hash, hash FROM records
WHERE (txid, seq) > ($1::xid8, $2::bigint)
  AND txid < pg_snapshot_xmin(pg_current_snapshot())
  AND data IS NOT NULL
ORDER BY txid, seq
LIMIT $3
"""

# A position (0, seq) names a place in seq order only: a "c1" cursor, written before migration 4.
# Any real txid is above 0, so read as such it would replay the whole feed. Instead the feed resumes
# at (the smallest txid of the records after seq, seq): every record after seq sorts after that, and
# a record at or below seq only if its txid is larger. Records from before the migration all share
# its txid, so for a cursor written before the upgrade this is exactly the place it named. (A c1
# cursor from an older server still running during the upgrade may see a record again: a repeat,
# never a gap.) One statement, so the subquery and the horizon see one snapshot; nothing after seq
# yet: no rows, and the route answers the same position, so the next call maps it again.
# ORDER BY ... LIMIT 1 rather than min(): PostgreSQL 13 has no min(xid8).
_CHANGES_AFTER_SEQ_SQL = """
SELECT txid, seq, data, prev_hash, hash FROM records
WHERE (txid, seq) > (
        (SELECT txid FROM records WHERE seq > $1 AND data IS NOT NULL ORDER BY txid LIMIT 1),
        $1::bigint
      )
  AND txid < pg_snapshot_xmin(pg_current_snapshot())
  AND data IS NOT NULL
ORDER BY txid, seq
LIMIT $2
"""


async def write_events(
    conn: asyncpg.Connection, record: ConsentRecord, events: Sequence[OutboxEvent], now: float
) -> None:
    """Insert the outbox rows of ``events`` on ``conn``, inside the caller's transaction."""
    if not events:
        return
    rows = await conn.fetch(
        "SELECT identifier FROM identity_links WHERE consent_id = $1"
        " UNION SELECT consent_id FROM identity_links WHERE identifier = $1",
        record.consent_id,
    )
    await conn.executemany(
        "INSERT INTO outbox (msg_id, endpoint, subject, type, payload, created_at, retry_from, next_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $6, $6) ON CONFLICT (msg_id, endpoint) DO NOTHING",
        outbox_rows(record, events, [row[0] for row in rows], now),
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(*row)


class PostgresApiMixin(ApiStoreMixin):
    """The API store methods on PostgreSQL."""

    if TYPE_CHECKING:

        def _ready(self) -> asyncpg.Pool: ...

    async def _run(self, sql: str, *args: Any) -> list[Any]:
        try:
            return list(await self._ready().fetch(sql, *args))
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot use PostgreSQL: {exc}.") from None

    async def _status(self, sql: str, *args: Any) -> int:
        try:
            status = await self._ready().execute(sql, *args)
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot write to PostgreSQL: {exc}.") from None
        return int(status.rsplit(" ", 1)[-1])

    # --- API keys -----------------------------------------------------------------------------------

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        await self._status(
            "INSERT INTO api_keys (key_id, name, scope, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            key.key_id,
            key.name,
            key.scope,
            key_hash,
            key.created_at,
        )

    async def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        rows = await self._run(
            "SELECT key_id, name, scope, created_at, revoked_at, key_hash FROM api_keys WHERE key_id = $1",
            key_id,
        )
        return (ApiKey(*rows[0][:5]), rows[0][5]) if rows else None

    async def api_keys(self) -> list[ApiKey]:
        rows = await self._run(
            "SELECT key_id, name, scope, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id"
        )
        return [ApiKey(*row) for row in rows]

    async def revoke_api_key(self, key_id: str, *, now: float) -> bool:
        return bool(
            await self._status(
                "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL", now, key_id
            )
        )

    # --- identity links -----------------------------------------------------------------------------

    async def add_links(self, consent_id: str, identifiers: Sequence[str], *, now: float, source: str) -> int:
        rows = await self._run(
            "INSERT INTO identity_links (identifier, consent_id, created_at, source)"
            " SELECT i, $2, $3, $4 FROM unnest($1::text[]) AS i ON CONFLICT DO NOTHING RETURNING 1",
            list(dict.fromkeys(identifiers)),
            consent_id,
            now,
            source,
        )
        return len(rows)

    async def remove_links(self, subjects: Sequence[str]) -> int:
        rows = await self._run(
            "DELETE FROM identity_links WHERE consent_id = ANY($1::text[]) OR identifier = ANY($1::text[])"
            " RETURNING 1",
            list(dict.fromkeys(subjects)),
        )
        return len(rows)

    async def links_of(self, subjects: Sequence[str]) -> list[tuple[str, str]]:
        rows = await self._run(
            "SELECT identifier, consent_id FROM identity_links WHERE identifier = ANY($1::text[])"
            " UNION SELECT identifier, consent_id FROM identity_links WHERE consent_id = ANY($1::text[])",
            list(dict.fromkeys(subjects)),
        )
        return [(row[0], row[1]) for row in rows]

    async def linked_consent_ids(self, identifier: str) -> list[str]:
        rows = await self._run(
            "SELECT consent_id FROM identity_links WHERE identifier = $1 ORDER BY consent_id", identifier
        )
        return [row[0] for row in rows]

    # --- the changes feed ---------------------------------------------------------------------------

    async def changes(self, after: Position, limit: int) -> list[tuple[Position, ConsentRecord]]:
        txid, seq = after
        if txid == 0 and seq > 0:
            rows = await self._run(_CHANGES_AFTER_SEQ_SQL, seq, limit)
        else:
            rows = await self._run(_CHANGES_SQL, txid, seq, limit)
        return [((int(row[0]), row[1]), decode_record(row[2], row[3], row[4])) for row in rows]

    # --- the webhook outbox -------------------------------------------------------------------------

    async def claim_deliveries(self, owner: str, *, now: float, lease: float, limit: int) -> list[Delivery]:
        rows = await self._run(_CLAIM_SQL, now + lease, owner, now, limit)
        return sorted((_delivery(row) for row in rows), key=lambda d: d.id)

    async def has_due_deliveries(self, *, now: float) -> bool:
        rows = await self._run(
            _DUE_SQL,
            now,
        )
        return bool(rows)

    async def finish_deliveries(self, owner: str, outcomes: Sequence[Outcome], *, now: float) -> None:
        retries = [
            (o.next_at, o.status, o.error[:500], o.id, owner) for o in outcomes if o.state == "pending"
        ]
        ends = [(o.state, now, o.status, o.error[:500], o.id) for o in outcomes if o.state != "pending"]
        try:
            async with self._ready().acquire() as conn, conn.transaction():
                if retries:
                    await conn.executemany(
                        "UPDATE outbox SET next_at = $1, lease_until = 0, last_status = $2, last_error = $3"
                        " WHERE id = $4 AND state = 'pending' AND lease_owner = $5",
                        retries,
                    )
                if ends:
                    await conn.executemany(
                        "UPDATE outbox SET state = $1, done_at = $2, lease_until = 0, last_status = $3,"
                        " last_error = $4 WHERE id = $5 AND state = 'pending'",
                        ends,
                    )
        except asyncpg.PostgresError as exc:
            raise StoreError(f"cannot write to PostgreSQL: {exc}.") from None

    async def deliveries(
        self, *, state: str | None = None, msg_id: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        rows = await self._run(
            f"SELECT {_DELIVERY_COLUMNS} FROM outbox WHERE ($1::text IS NULL OR state = $1)"
            " AND ($2::text IS NULL OR msg_id = $2) ORDER BY id DESC LIMIT $3",
            state,
            msg_id,
            limit,
        )
        return [_delivery(row) for row in rows]

    async def replay_deliveries(self, *, now: float, msg_id: str | None = None, state: str = "dead") -> int:
        column, value = ("msg_id", msg_id) if msg_id is not None else ("state", state)
        return await self._status(
            "UPDATE outbox SET state = 'pending', next_at = $1, retry_from = $1, attempts = 0,"
            f" lease_until = 0, done_at = NULL WHERE {column} = $2",
            now,
            value,
        )
