"""The opt-out status of subjects: a fold over the records of the subject and its direct links.

A consent id sees its own records and the opt-outs recorded for every identifier linked to it; an
identifier sees its own opt-outs and the records of every consent id linked to it. Per flag, the
latest record that speaks to it wins (so a visitor can opt back in on the banner), and the answer
says which source and which chain (``via``) set it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ..ledger.records import ConsentRecord
from ..store import Store
from ..webhooks.outbox import FLAGS, iso_time, record_flags, record_source
from .identity import subject_kind

__all__ = ["fold_status", "statuses"]


async def statuses(store: Store, subjects: Sequence[str]) -> list[dict[str, Any]]:
    """The status of each subject (one store read for the links, one for the records)."""
    wanted = list(dict.fromkeys(subjects))
    consent_ids: dict[str, set[str]] = defaultdict(set)  # subject -> linked consent ids
    identifiers: dict[str, set[str]] = defaultdict(set)  # subject -> linked identifiers
    if wanted:
        for identifier, consent_id in await store.links_of(wanted):
            consent_ids[identifier].add(consent_id)
            identifiers[consent_id].add(identifier)
    chains: set[str] = set(wanted)
    for subject in wanted:
        chains |= consent_ids[subject] | identifiers[subject]
    by_chain: dict[str, list[ConsentRecord]] = defaultdict(list)
    if chains:
        async for record in store.iter_records(consent_ids=sorted(chains)):
            by_chain[record.consent_id].append(record)
    results = {}
    for subject in wanted:
        linked = consent_ids[subject] | identifiers[subject]
        records = [r for chain in (subject, *sorted(linked)) for r in by_chain[chain]]
        results[subject] = fold_status(
            subject,
            records,
            consent_ids=sorted(consent_ids[subject]),
            identifiers=sorted(identifiers[subject]),
        )
    return [results[s] for s in subjects]


def fold_status(
    subject: str, records: Iterable[ConsentRecord], *, consent_ids: list[str], identifiers: list[str]
) -> dict[str, Any]:
    """The status JSON of ``subject`` from the records of its chains (any order)."""
    flags: dict[str, dict[str, Any]] = {
        flag: {"opted_out": False, "source": None, "time": None, "via": None} for flag in FLAGS
    }
    categories: dict[str, bool] | None = None
    categories_at: float | None = None
    updated: float | None = None
    ordered = sorted(records, key=lambda r: r.time)  # stable: append order breaks ties
    for record in ordered:
        source = record_source(record)
        for flag, opted_out in record_flags(record).items():
            flags[flag] = {
                "opted_out": opted_out,
                "source": source,
                "time": iso_time(record.time),
                "via": record.consent_id,
            }
        if record.action != "api_opt_out":
            # The effective state (GPC applied), not the button pressed: what a marketing system may do.
            categories, categories_at = dict(record.state), record.time
        updated = record.time
    return {
        "subject": subject,
        "kind": subject_kind(subject) or "unknown",
        "found": bool(ordered) or bool(consent_ids) or bool(identifiers),
        "opt_outs": flags,
        "categories": categories,
        "categories_time": None if categories_at is None else iso_time(categories_at),
        "updated_at": None if updated is None else iso_time(updated),
        "consent_ids": consent_ids,
        "identifiers": identifiers,
    }
