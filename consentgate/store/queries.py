"""The SQL both backends run, written once, and which of its variants a call with optional filters runs.

Templates are SQL with numbered parameters: ``?1`` is the first argument, and a number may appear
more than once. A list of text values is one parameter, used as ``column = ANY(?N)`` (is any of the
list) or ``unnest(?N) AS value`` (one row per element, in a column named ``value``). A backend's
:class:`Dialect` turns a template into its own SQL (``sqlite/dialect.py``, ``postgres/dialect.py``):
SQLite reads ``?N`` as it is and a list as a JSON array, PostgreSQL gets ``$N`` and a ``text[]``.
``FOR UPDATE SKIP LOCKED`` is PostgreSQL's row lock; SQLite, whose write transactions already run
one at a time, leaves it out.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

__all__ = [
    "DELIVERY_COLUMNS",
    "FACT_COLUMNS",
    "Dialect",
    "Shape",
    "Statements",
    "delivery_args",
    "record_args",
]

#: Which optional filters a statement has, one flag per filter in the order of their arguments.
Shape = tuple[bool, ...]


class Dialect(Protocol):
    """What one backend makes of a template."""

    def render(self, template: str) -> str:
        """The backend's SQL for ``template``."""
        ...

    def bind_ids(self, values: Sequence[str]) -> Any:
        """The argument for a list parameter (``= ANY(?N)``, ``unnest(?N)``)."""
        ...


#: The columns an append writes beside a record's content (schema v5), in the order of
#: :func:`~consentgate.store.codec.record_facts`.
FACT_COLUMNS = "action, region, gpc, shown_hash, config_revision, chosen, effective, variant"

DELIVERY_COLUMNS = (
    "id, msg_id, endpoint, subject, type, payload, created_at, retry_from, attempts, state, next_at,"
    " last_status, last_error, done_at"
)

# Due: pending, its time has come, no lease running, and no earlier pending event of its subject to
# its endpoint (deliveries keep their order per subject). ?1 is now.
_DUE = """o.state = 'pending' AND o.next_at <= ?1 AND o.lease_until <= ?1
      AND NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.state = 'pending' AND p.endpoint = o.endpoint AND p.subject = o.subject AND p.id < o.id
      )"""


def _records_where(shape: Shape) -> str:
    """The WHERE of a query of the records with the filters ``shape`` names (tombstones never match)."""
    since, until, consent_ids = shape
    where, n = ["data IS NOT NULL"], 0
    if since:
        n += 1
        where.append(f"time >= ?{n}")
    if until:
        n += 1
        where.append(f"time < ?{n}")
    if consent_ids:
        n += 1
        where.append(f"consent_id = ANY(?{n})")
    return " AND ".join(where)


def _records_page(shape: Shape) -> str:
    # Keyset pages (seq > last) instead of one long cursor: constant memory, and no read transaction
    # held open for a whole export (it would stop SQLite's WAL checkpoints and hold back VACUUM).
    n = sum(shape)
    return (
        f"SELECT seq, data, prev_hash, hash FROM records WHERE {_records_where(shape)}"
        f" AND seq > ?{n + 1} ORDER BY seq LIMIT ?{n + 2}"
    )


def _records_count(shape: Shape) -> str:
    return f"SELECT COUNT(*) FROM records WHERE {_records_where(shape)}"


def _deliveries(shape: Shape) -> str:
    by_state, by_message = shape
    where, n = ["1 = 1"], 0
    if by_state:
        n += 1
        where.append(f"state = ?{n}")
    if by_message:
        n += 1
        where.append(f"msg_id = ?{n}")
    conditions = " AND ".join(where)
    return f"SELECT {DELIVERY_COLUMNS} FROM outbox WHERE {conditions} ORDER BY id DESC LIMIT ?{n + 1}"


def _every_shape(build: Callable[[Shape], str], filters: int) -> Mapping[Shape, str]:
    return {shape: build(shape) for shape in itertools.product((False, True), repeat=filters)}


@dataclass(frozen=True, slots=True)
class Statements:
    """Every statement both backends run; ``Statements()`` holds the templates.

    A statement with optional filters is there once per :data:`Shape` (pick one, and its arguments,
    with :func:`record_args` or :func:`delivery_args`), so no SQL is built or rendered per call. A
    backend keeps ``Statements().rendered(its_dialect)``, made once when its module loads.
    """

    # --- the ledger ------------------------------------------------------------------------------------
    # Since, until, consent ids: then the last seq of the page before and a limit.
    records_page: Mapping[Shape, str] = field(default_factory=lambda: _every_shape(_records_page, 3))
    records_count: Mapping[Shape, str] = field(default_factory=lambda: _every_shape(_records_count, 3))
    records_of: str = (
        "SELECT data, prev_hash, hash FROM records WHERE consent_id = ?1 AND data IS NOT NULL ORDER BY seq"
    )
    shown_text: str = "SELECT body FROM shown WHERE hash = ?1"
    # Once per hash: a banner text already stored is left as it is.
    store_shown: str = (
        "INSERT INTO shown (hash, body, first_seen) VALUES (?1, ?2, ?3) ON CONFLICT (hash) DO NOTHING"
    )
    # Keyset pages over (consent_id, seq), the order verify walks chains in.
    chain_page: str = (
        "SELECT r.seq, r.record_id, r.consent_id, r.prev_hash, r.content_hash, r.hash,"
        " r.prev_record_id, r.data, h.hash, h.record_id"
        " FROM records r LEFT JOIN heads h ON h.consent_id = r.consent_id"
        " WHERE (r.consent_id, r.seq) > (?1, ?2) ORDER BY r.consent_id, r.seq LIMIT ?3"
    )
    orphan_heads: str = (
        "SELECT consent_id, hash, record_id FROM heads h WHERE NOT EXISTS"
        " (SELECT 1 FROM records r WHERE r.consent_id = h.consent_id) ORDER BY consent_id"
    )
    delete_records_of: str = "DELETE FROM records WHERE consent_id = ANY(?1)"
    # A tombstone: the chain moves to the random key ?1, its content goes.
    tombstone_head: str = "UPDATE heads SET consent_id = ?1 WHERE consent_id = ?2"
    tombstone_records: str = (
        "UPDATE records SET consent_id = ?1, data = NULL, tombstoned_at = ?3 WHERE consent_id = ?2"
    )

    # --- the schema ------------------------------------------------------------------------------------
    schema_version: str = "SELECT COALESCE(MAX(version), 0) FROM schema_version"
    record_migration: str = (
        "INSERT INTO schema_version (version, description, applied_at) VALUES (?1, ?2, ?3)"
    )

    # --- request-log roll-ups --------------------------------------------------------------------------
    add_rollup_batch: str = (
        "INSERT INTO log_rollup_batches (batch_id, lines, rolled_at) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (batch_id) DO NOTHING"
    )
    add_rollup_count: str = (
        "INSERT INTO log_rollups (hour, dimension, key, count) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (hour, dimension, key) DO UPDATE SET count = log_rollups.count + excluded.count"
    )
    log_rollups: str = (
        "SELECT hour, dimension, key, count FROM log_rollups WHERE hour >= ?1 AND hour < ?2 ORDER BY hour"
    )

    # --- API keys --------------------------------------------------------------------------------------
    add_api_key: str = (
        "INSERT INTO api_keys (key_id, name, scope, key_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"
    )
    api_key: str = (
        "SELECT key_id, name, scope, created_at, revoked_at, key_hash FROM api_keys WHERE key_id = ?1"
    )
    api_keys: str = (
        "SELECT key_id, name, scope, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id"
    )
    revoke_api_key: str = "UPDATE api_keys SET revoked_at = ?1 WHERE key_id = ?2 AND revoked_at IS NULL"

    # --- identity links --------------------------------------------------------------------------------
    # WHERE true: SQLite would read the ON of ON CONFLICT after a bare SELECT as a join constraint.
    add_links: str = (
        "INSERT INTO identity_links (identifier, consent_id, created_at, source)"
        " SELECT value, ?2, ?3, ?4 FROM unnest(?1) AS value WHERE true ON CONFLICT DO NOTHING RETURNING 1"
    )
    links_of: str = (
        "SELECT identifier, consent_id FROM identity_links WHERE identifier = ANY(?1)"
        " UNION SELECT identifier, consent_id FROM identity_links WHERE consent_id = ANY(?1)"
    )
    linked_consent_ids: str = (
        "SELECT consent_id FROM identity_links WHERE identifier = ?1 ORDER BY consent_id"
    )
    # Whatever ?1 is linked to, either way (the subjects an event about consent id ?1 also names).
    linked_subjects: str = (
        "SELECT identifier FROM identity_links WHERE consent_id = ?1"
        " UNION SELECT consent_id FROM identity_links WHERE identifier = ?1"
    )
    remove_links: str = (
        "DELETE FROM identity_links WHERE consent_id = ANY(?1) OR identifier = ANY(?1) RETURNING 1"
    )

    # --- the webhook outbox ----------------------------------------------------------------------------
    # The arguments are the rows of webhooks.outbox.outbox_rows: created_at also starts the retry
    # window and is when the delivery is first due.
    add_outbox: str = (
        "INSERT INTO outbox (msg_id, endpoint, subject, type, payload, created_at, retry_from, next_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6) ON CONFLICT (msg_id, endpoint) DO NOTHING"
    )
    # One statement: the lease is taken and counted where it is checked, so two workers (threads,
    # processes or servers) never hold one delivery. ?1 now, ?2 lease end, ?3 owner, ?4 limit.
    claim_deliveries: str = f"""
UPDATE outbox SET lease_until = ?2, lease_owner = ?3, attempts = attempts + 1
WHERE id IN (
    SELECT o.id FROM outbox o
    WHERE {_DUE}
    ORDER BY o.id LIMIT ?4
    FOR UPDATE SKIP LOCKED
)
RETURNING {DELIVERY_COLUMNS}
"""
    # What claim_deliveries would claim (an event waiting behind an earlier one of its subject is not).
    has_due: str = f"SELECT 1 FROM outbox o WHERE {_DUE} LIMIT 1"
    # A retry applies only while its worker still holds the lease.
    retry_delivery: str = (
        "UPDATE outbox SET next_at = ?1, lease_until = 0, last_status = ?2, last_error = ?3"
        " WHERE id = ?4 AND state = 'pending' AND lease_owner = ?5"
    )
    # A delivery is a fact whoever's lease it was; never undo one already delivered.
    end_delivery: str = (
        "UPDATE outbox SET state = ?1, done_at = ?2, lease_until = 0, last_status = ?3,"
        " last_error = ?4 WHERE id = ?5 AND state = 'pending'"
    )
    # State, message id: then a limit.
    deliveries: Mapping[Shape, str] = field(default_factory=lambda: _every_shape(_deliveries, 2))
    replay_message: str = (
        "UPDATE outbox SET state = 'pending', next_at = ?1, retry_from = ?1, attempts = 0,"
        " lease_until = 0, done_at = NULL WHERE msg_id = ?2"
    )
    replay_state: str = (
        "UPDATE outbox SET state = 'pending', next_at = ?1, retry_from = ?1, attempts = 0,"
        " lease_until = 0, done_at = NULL WHERE state = ?2"
    )

    def rendered(self, dialect: Dialect) -> Statements:
        """Every statement in ``dialect``'s SQL."""
        values: dict[str, Any] = {}
        for name in (f.name for f in fields(self)):
            value = getattr(self, name)
            if isinstance(value, str):
                values[name] = dialect.render(value)
            else:
                values[name] = {shape: dialect.render(sql) for shape, sql in value.items()}
        return Statements(**values)


def record_args(
    dialect: Dialect, since: float | None, until: float | None, consent_ids: Sequence[str] | None
) -> tuple[Shape, list[Any]]:
    """Which of ``Statements.records_page`` and ``records_count`` to run, and its arguments.

    ``consent_ids`` is one list parameter whatever its length, so the statement stays one (and
    within SQLite's limit on parameters).
    """
    params: list[Any] = [bound for bound in (since, until) if bound is not None]
    if consent_ids is not None:
        params.append(dialect.bind_ids(list(dict.fromkeys(consent_ids))))
    return (since is not None, until is not None, consent_ids is not None), params


def delivery_args(state: str | None, msg_id: str | None, limit: int) -> tuple[Shape, list[Any]]:
    """Which of ``Statements.deliveries`` to run, and its arguments."""
    params: list[Any] = [value for value in (state, msg_id) if value is not None]
    return (state is not None, msg_id is not None), [*params, limit]
