"""Data-subject requests on the ledger: access, deletion and portability (GDPR Art. 15, 17, 20).

A subject is a consent id (the one in the visitor's cookie) or a linked identifier
(``email:<sha256>``, ``phone:<sha256>``, ``user:<id>``), which the store's identity links resolve to
consent ids (:meth:`~consentgate.store.base.Store.linked_consent_ids`, issue 6). The CLI
(``consentgate dsr``) and the write-scoped API call these functions.

Deletion reduces every record of the subject to an anonymous tombstone instead of removing it: the
content and the consent id go, the record ids, times and hashes stay, so ``consentgate verify``
still checks the chain around them and can tell a lawful deletion from tampering.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from ..errors import HTTPError
from ..store.base import Store

__all__ = ["LINKED_PREFIXES", "access", "delete", "portability", "resolve_subject"]

#: Prefixes of linked identifiers; anything else is taken as a consent id.
LINKED_PREFIXES: tuple[str, ...] = ("email:", "phone:", "user:")
_MAX_SUBJECT = 256
FORMAT = "consentgate.subject-data/1"


def _check(subject: str) -> str:
    subject = subject.strip()
    if not subject or len(subject) > _MAX_SUBJECT or any(ord(c) < 32 for c in subject):
        raise HTTPError(
            422, "bad_subject", "The subject must be a consent id or email:/phone:/user: identifier."
        )
    return subject


async def resolve_subject(store: Store, subject: str) -> list[str]:
    """The consent ids of ``subject`` (a consent id, or a linked identifier via identity links)."""
    subject = _check(subject)
    if subject.startswith(LINKED_PREFIXES):
        return await store.linked_consent_ids(subject)
    return [subject]


async def access(store: Store, subject: str) -> dict[str, Any]:
    """Every record of ``subject``, oldest first per consent id, with the texts they were shown.

    The result is plain JSON data: ``{"format", "subject", "consent_ids", "records", "shown"}``;
    ``shown`` maps each shown hash to the text (UTF-8, or ``null`` when it is not text).
    """
    consent_ids = await resolve_subject(store, subject)
    records: list[dict[str, Any]] = []
    shown: dict[str, str | None] = {}
    for consent_id in consent_ids:
        for record in await store.records(consent_id):
            records.append(record.to_json())
            if record.shown_hash not in shown:
                body = await store.shown_text(record.shown_hash)
                shown[record.shown_hash] = _text(body)
    return {
        "format": FORMAT,
        "subject": subject.strip(),
        "consent_ids": consent_ids,
        "records": records,
        "shown": shown,
    }


async def portability(store: Store, subject: str) -> bytes:
    """The subject's data as one JSON document (UTF-8), for the subject to take elsewhere."""
    data = await access(store, subject)
    return json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n"


async def delete(store: Store, subject: str, *, clock: Callable[[], float] = time.time) -> int:
    """Reduce every record of ``subject`` to an anonymous tombstone; returns how many records."""
    consent_ids = await resolve_subject(store, subject)
    if not consent_ids:
        return 0
    removed = await store.tombstone(consent_ids, now=clock())
    # The links (hashed identifiers) are personal data too: erase them with the records.
    await store.remove_links([*consent_ids, subject])
    return removed


def _text(body: bytes | None) -> str | None:
    if body is None:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None
