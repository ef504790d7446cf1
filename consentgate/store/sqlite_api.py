"""SQLite side of the API store methods (mixed into :class:`~consentgate.store.sqlite.SQLiteStore`).

Reads go through the store's reader pool. Writes (keys, links, outbox updates) use a short-lived
connection of their own with ``BEGIN IMMEDIATE``: SQLite serialises them with the ledger writer, and
a delivery lease is one atomic ``UPDATE ... RETURNING``, so two workers (threads or processes) can
never lease the same delivery.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..api.keys import ApiKey
from ..errors import StoreError
from ..ledger.records import ConsentRecord
from ..webhooks.outbox import Delivery, OutboxEvent, Outcome, outbox_rows
from .api_base import ApiStoreMixin, Position
from .base import decode_record

__all__ = ["SQLiteApiMixin", "write_events"]

_T = TypeVar("_T")

_DELIVERY_COLUMNS = (
    "id, msg_id, endpoint, subject, type, payload, created_at, retry_from, attempts, state, next_at,"
    " last_status, last_error, done_at"
)

_CLAIM_SQL = f"""
UPDATE outbox SET lease_until = :until, lease_owner = :owner, attempts = attempts + 1
WHERE id IN (
    SELECT o.id FROM outbox o
    WHERE o.state = 'pending' AND o.next_at <= :now AND o.lease_until <= :now
      AND NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.state = 'pending' AND p.endpoint = o.endpoint AND p.subject = o.subject AND p.id < o.id
      )
    ORDER BY o.id LIMIT :limit
)
RETURNING {_DELIVERY_COLUMNS}
"""

# Due: what _CLAIM_SQL would claim (an event waiting behind an earlier one of its subject is not).
_DUE_SQL = """
SELECT 1 FROM outbox o
WHERE o.state = 'pending' AND o.next_at <= ? AND o.lease_until <= ?
  AND NOT EXISTS (
      SELECT 1 FROM outbox p
      WHERE p.state = 'pending' AND p.endpoint = o.endpoint AND p.subject = o.subject AND p.id < o.id
  )
LIMIT 1
"""


def write_events(
    conn: sqlite3.Connection, record: ConsentRecord, events: Sequence[OutboxEvent], now: float
) -> None:
    """Insert the outbox rows of ``events`` on ``conn``, inside the caller's transaction."""
    if not events:
        return
    linked = [
        row[0]
        for row in conn.execute(
            "SELECT identifier FROM identity_links WHERE consent_id = ?"
            " UNION SELECT consent_id FROM identity_links WHERE identifier = ?",
            (record.consent_id, record.consent_id),
        )
    ]
    try:
        rows = outbox_rows(record, events, linked, now)
    except (TypeError, ValueError) as exc:
        # As an SQLite error, it rolls back this record alone instead of stopping the writer thread.
        raise sqlite3.DataError(f"the event cannot be encoded: {exc}") from None
    conn.executemany(
        "INSERT INTO outbox (msg_id, endpoint, subject, type, payload, created_at, retry_from, next_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (msg_id, endpoint) DO NOTHING",
        [(*row, row[5], row[5]) for row in rows],
    )


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(*row)


class SQLiteApiMixin(ApiStoreMixin):
    """The API store methods on SQLite."""

    path: str

    if TYPE_CHECKING:

        async def _read(self, fn: Callable[[sqlite3.Connection], _T]) -> _T: ...

        def _connect(self) -> sqlite3.Connection: ...

    async def _write(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction on a connection of its own."""

        def run() -> _T:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return result
            finally:
                conn.close()

        try:
            return await asyncio.to_thread(run)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the SQLite database {self.path!r}: {exc}.") from None

    # --- API keys -----------------------------------------------------------------------------------

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        await self._write(
            lambda c: c.execute(
                "INSERT INTO api_keys (key_id, name, scope, key_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (key.key_id, key.name, key.scope, key_hash, key.created_at),
            )
        )

    async def api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        row = await self._read(
            lambda c: c.execute(
                "SELECT key_id, name, scope, created_at, revoked_at, key_hash FROM api_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        )
        return None if row is None else (ApiKey(*row[:5]), row[5])

    async def api_keys(self) -> list[ApiKey]:
        rows = await self._read(
            lambda c: c.execute(
                "SELECT key_id, name, scope, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id"
            ).fetchall()
        )
        return [ApiKey(*row) for row in rows]

    async def revoke_api_key(self, key_id: str, *, now: float) -> bool:
        count = await self._write(
            lambda c: (
                c.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                    (now, key_id),
                ).rowcount
            )
        )
        return bool(count)

    # --- identity links -----------------------------------------------------------------------------

    async def add_links(self, consent_id: str, identifiers: Sequence[str], *, now: float, source: str) -> int:
        def run(conn: sqlite3.Connection) -> int:
            added = 0
            for identifier in dict.fromkeys(identifiers):
                added += conn.execute(
                    "INSERT INTO identity_links (identifier, consent_id, created_at, source)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (identifier, consent_id, now, source),
                ).rowcount
            return added

        return await self._write(run)

    async def remove_links(self, subjects: Sequence[str]) -> int:
        ids = json.dumps(list(dict.fromkeys(subjects)))

        def run(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "DELETE FROM identity_links WHERE consent_id IN (SELECT value FROM json_each(?1))"
                " OR identifier IN (SELECT value FROM json_each(?1))",
                (ids,),
            ).rowcount

        return await self._write(run)

    async def links_of(self, subjects: Sequence[str]) -> list[tuple[str, str]]:
        ids = json.dumps(list(dict.fromkeys(subjects)))
        rows = await self._read(
            lambda c: c.execute(
                "SELECT identifier, consent_id FROM identity_links"
                " WHERE identifier IN (SELECT value FROM json_each(?1))"
                " UNION SELECT identifier, consent_id FROM identity_links"
                " WHERE consent_id IN (SELECT value FROM json_each(?1))",
                (ids,),
            ).fetchall()
        )
        return [(row[0], row[1]) for row in rows]

    async def linked_consent_ids(self, identifier: str) -> list[str]:
        return [cid for ident, cid in await self.links_of([identifier]) if ident == identifier]

    # --- the changes feed ---------------------------------------------------------------------------

    async def changes(self, after: Position, limit: int) -> list[tuple[Position, ConsentRecord]]:
        # One writer connection commits in seq order, so seq alone is the feed's order here: every
        # position is (0, seq), and the txid half of a position from elsewhere is ignored.
        rows = await self._read(
            lambda c: c.execute(
                "SELECT seq, data, prev_hash, hash FROM records WHERE seq > ? AND data IS NOT NULL"
                " ORDER BY seq LIMIT ?",
                (after[1], limit),
            ).fetchall()
        )
        return [((0, row[0]), decode_record(row[1], row[2], row[3])) for row in rows]

    # --- the webhook outbox -------------------------------------------------------------------------

    async def claim_deliveries(self, owner: str, *, now: float, lease: float, limit: int) -> list[Delivery]:
        params = {"until": now + lease, "owner": owner, "now": now, "limit": limit}
        rows = await self._write(lambda c: c.execute(_CLAIM_SQL, params).fetchall())
        return sorted((_delivery(row) for row in rows), key=lambda d: d.id)

    async def has_due_deliveries(self, *, now: float) -> bool:
        row = await self._read(
            lambda c: c.execute(
                _DUE_SQL,
                (now, now),
            ).fetchone()
        )
        return row is not None

    async def finish_deliveries(self, owner: str, outcomes: Sequence[Outcome], *, now: float) -> None:
        def run(conn: sqlite3.Connection) -> None:
            for o in outcomes:
                if o.state == "pending":
                    conn.execute(
                        "UPDATE outbox SET next_at = ?, lease_until = 0, last_status = ?, last_error = ?"
                        " WHERE id = ? AND state = 'pending' AND lease_owner = ?",
                        (o.next_at, o.status, o.error[:500], o.id, owner),
                    )
                else:
                    # A delivery is a fact whoever's lease it was; never undo one already delivered.
                    conn.execute(
                        "UPDATE outbox SET state = ?, done_at = ?, lease_until = 0, last_status = ?,"
                        " last_error = ? WHERE id = ? AND state = 'pending'",
                        (o.state, now, o.status, o.error[:500], o.id),
                    )

        await self._write(run)

    async def deliveries(
        self, *, state: str | None = None, msg_id: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        where, args = ["1 = 1"], []
        if state is not None:
            where.append("state = ?")
            args.append(state)
        if msg_id is not None:
            where.append("msg_id = ?")
            args.append(msg_id)
        sql = f"SELECT {_DELIVERY_COLUMNS} FROM outbox WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?"
        rows = await self._read(lambda c: c.execute(sql, (*args, limit)).fetchall())
        return [_delivery(row) for row in rows]

    async def replay_deliveries(self, *, now: float, msg_id: str | None = None, state: str = "dead") -> int:
        if msg_id is not None:
            where, arg = "msg_id = ?", msg_id
        else:
            where, arg = "state = ?", state
        return await self._write(
            lambda c: (
                c.execute(
                    "UPDATE outbox SET state = 'pending', next_at = ?, retry_from = ?, attempts = 0,"
                    f" lease_until = 0, done_at = NULL WHERE {where}",
                    (now, now, arg),
                ).rowcount
            )
        )
