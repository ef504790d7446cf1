"""Verify the proof-of-consent ledger: every edited, deleted or reordered record, by record id.

Each record stores the hash of its content and a link hash over the previous record's hash and its
own content hash (see :mod:`consentgate.records`); the ``heads`` table remembers the latest record of
every consent id. :func:`verify` walks the ledger one chain (consent id) at a time, so its memory is
bounded by the longest chain, and finds:

- **edited**: the content no longer matches its content hash, or the hashes no longer match each
  other, or a record's hash was rewritten (the next record still points at the old one);
- **deleted**: a record names a previous record that is gone, or the head names a latest record
  that is gone (also when a whole chain is gone);
- **reordered**: the stored order of a chain differs from the order its links give.

Tombstones (records whose content a data-subject deletion removed) have no content to check, but
their hashes still take part in the links, so the rest of the chain verifies.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Literal

from ..store.base import ChainRow, Store
from .records import content_hash, link_hash

__all__ = ["Problem", "VerifyReport", "verify"]

Kind = Literal["edited", "deleted", "reordered"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the ledger, about one record."""

    record_id: str
    consent_id: str
    kind: Kind
    detail: str

    def __str__(self) -> str:
        return f"record {self.record_id}: {self.kind}: {self.detail}"


@dataclass(slots=True)
class VerifyReport:
    """What :func:`verify` found."""

    records: int = 0
    chains: int = 0
    tombstones: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was edited, deleted or reordered."""
        return not self.problems


async def verify(store: Store, *, on_record: Callable[[int], None] | None = None) -> VerifyReport:
    """Check every chain of ``store``; ``on_record(n)`` is called as records are checked (progress)."""
    report = VerifyReport()
    async for chain in _chains(store.iter_chain()):
        report.chains += 1
        report.records += len(chain)
        report.tombstones += sum(1 for row in chain if row.data is None)
        report.problems.extend(_check_chain(chain))
        if on_record is not None:
            on_record(report.records)
    async for consent_id, _head_hash, head_record_id in store.iter_orphan_heads():
        report.problems.append(
            Problem(head_record_id, consent_id, "deleted", "every record of its consent id is missing")
        )
    return report


async def _chains(rows: AsyncIterator[ChainRow]) -> AsyncIterator[list[ChainRow]]:
    chain: list[ChainRow] = []
    async for row in rows:
        if chain and row.consent_id != chain[0].consent_id:
            yield chain
            chain = []
        chain.append(row)
    if chain:
        yield chain


def _check_chain(chain: list[ChainRow]) -> list[Problem]:
    cid = chain[0].consent_id
    problems: list[Problem] = []
    ids = {row.record_id for row in chain}
    by_hash = {row.hash: row for row in chain}
    for row in chain:
        problem = _check_content(row)
        if problem:
            problems.append(Problem(row.record_id, cid, "edited", problem))
    # A link to a hash no record of the chain has: the previous record is gone or its hash changed.
    for row in chain:
        if row.prev_hash and row.prev_hash not in by_hash:
            if row.prev_record_id and row.prev_record_id not in ids:
                detail = f"missing: record {row.record_id} follows it, but it is not in the ledger"
                problems.append(Problem(row.prev_record_id, cid, "deleted", detail))
            else:
                detail = f"its hash was changed: record {row.record_id} was chained to another hash"
                problems.append(Problem(row.prev_record_id or row.record_id, cid, "edited", detail))
    problems.extend(_check_order(chain, by_hash))
    problems.extend(_check_head(chain, ids, by_hash))
    unique = {(p.record_id, p.kind): p for p in reversed(problems)}  # one report per record and kind
    return [p for p in problems if unique.get((p.record_id, p.kind)) is p]


def _check_content(row: ChainRow) -> str | None:
    if link_hash(row.prev_hash, row.content_hash) != row.hash:
        return "its hash does not match its content hash and the previous record's hash"
    if row.data is None:  # a tombstone: no content left to check
        return None
    try:
        fields = json.loads(row.data)
    except ValueError:
        return "its content is not valid JSON"
    if not isinstance(fields, dict):
        return "its content is not a JSON object"
    if content_hash(fields) != row.content_hash:
        return "its content does not match its content hash"
    if fields.get("record_id") != row.record_id or fields.get("consent_id") != row.consent_id:
        return "its record id or consent id column does not match its content"
    return None


def _check_order(chain: list[ChainRow], by_hash: dict[str, ChainRow]) -> list[Problem]:
    """Rebuild the order the links give (segment by segment) and compare it with the stored one."""
    following: dict[str, ChainRow] = {}
    for row in chain:
        following.setdefault(row.prev_hash, row)
    expected: list[ChainRow] = []
    seen: set[str] = set()
    for row in chain:
        starts_segment = not row.prev_hash or row.prev_hash not in by_hash
        if not starts_segment or row.record_id in seen:
            continue
        walk: ChainRow | None = row
        while walk is not None and walk.record_id not in seen:
            seen.add(walk.record_id)
            expected.append(walk)
            walk = following.get(walk.hash)
    if len(expected) != len(chain):  # a cycle: links that point back (only forged data does that)
        expected.extend(row for row in chain if row.record_id not in seen)
    cid = chain[0].consent_id
    problems = []
    for stored, linked in zip(chain, expected, strict=True):
        if stored.record_id != linked.record_id:
            detail = f"stored where record {linked.record_id} belongs in the order of its chain"
            problems.append(Problem(stored.record_id, cid, "reordered", detail))
    return problems


def _check_head(chain: list[ChainRow], ids: set[str], by_hash: dict[str, ChainRow]) -> list[Problem]:
    last = chain[-1]
    cid = last.consent_id
    if last.head_hash is None or last.head_record_id is None:
        return [Problem(last.record_id, cid, "edited", "the chain head of its consent id is missing")]
    if last.head_hash == last.hash:
        return []
    if last.head_record_id not in ids:
        detail = f"missing: it was the latest record of its consent id, after record {last.record_id}"
        return [Problem(last.head_record_id, cid, "deleted", detail)]
    if last.head_hash in by_hash:
        detail = f"it is the latest record of its chain but is stored before record {last.record_id}"
        return [Problem(last.head_record_id, cid, "reordered", detail)]
    return [Problem(last.head_record_id, cid, "edited", "its hash differs from the chain head")]
