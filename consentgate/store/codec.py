"""Rows to objects and back, the same on both backends (the columns come from ``queries.py``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..api.keys import ApiKey
from ..ledger.records import ConsentRecord, granted_list
from ..webhooks.outbox import Delivery
from .ledger_base import ChainRow

__all__ = [
    "api_key_of",
    "chain_row_of",
    "decode_record",
    "delivery_of",
    "encode_content",
    "record_facts",
    "rollup_of",
]


def encode_content(record: ConsentRecord) -> str:
    """The JSON stored in ``records.data``: every field but the chain ones (those have columns).

    Leaving ``prev_hash`` and ``hash`` out lets PostgreSQL compute the link hash in the insert
    statement itself, and :func:`~consentgate.ledger.records.content_hash` ignores them anyway.
    """
    data = record.to_json()
    del data["prev_hash"], data["hash"]
    return json.dumps(data, separators=(",", ":"))


def record_facts(record: ConsentRecord) -> tuple[str, str, int, str, int, str, str, str]:
    """The values of ``queries.FACT_COLUMNS`` for ``record``: what analytics group and count by."""
    return (
        record.action,
        record.region or "",
        int(record.gpc),
        record.shown_hash,
        record.config_revision,
        granted_list(record.categories),
        granted_list(record.state),
        record.variant,
    )


def decode_record(data: str, prev_hash: str, hash_: str) -> ConsentRecord:
    """The record stored as ``data`` plus its chain columns."""
    fields = json.loads(data)
    fields["prev_hash"] = prev_hash
    fields["hash"] = hash_
    return ConsentRecord.from_json(fields)


def chain_row_of(row: Sequence[Any]) -> ChainRow:
    """A row of ``Statements.chain_page``."""
    return ChainRow(*row)


def api_key_of(row: Sequence[Any]) -> ApiKey:
    """A row of ``Statements.api_keys`` (or the first five columns of ``Statements.api_key``)."""
    return ApiKey(*row[:5])


def delivery_of(row: Sequence[Any]) -> Delivery:
    """A row of ``DELIVERY_COLUMNS``."""
    return Delivery(*row)


def rollup_of(row: Sequence[Any]) -> tuple[int, str, str, int]:
    """A row of ``Statements.log_rollups``."""
    return (int(row[0]), str(row[1]), str(row[2]), int(row[3]))
