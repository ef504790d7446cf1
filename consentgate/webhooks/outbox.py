"""The webhook outbox: the events a record causes, the rows the store keeps, and the retry schedule.

An event is written by the store in the same transaction as the record that causes it (one outbox
row per event and subscription), so a crash can lose neither the record without its event nor the
event without its record. Delivery workers (:mod:`consentgate.worker`) lease due rows, send them and
mark them delivered, retry them later, or dead-letter them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ..config import Config
from ..ledger.records import ConsentRecord
from .events import EVENT_TYPES

__all__ = [
    "EVENT_TYPES",
    "FLAGS",
    "Delivery",
    "OutboxEvent",
    "Outcome",
    "event_type_for",
    "events_for_record",
    "iso_time",
    "outbox_rows",
    "record_flags",
    "retry_delay",
]

#: The opt-out flags a marketing system acts on.
FLAGS: tuple[str, ...] = ("sale_sharing", "targeted_advertising", "analytics", "contact")

State = Literal["pending", "delivered", "dead"]


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """An event to write beside a record: its type and the subscriptions (by name) that want it.

    ``data`` is merged into the payload's ``data`` (e.g. the channel of an opt-out).
    """

    type: str
    endpoints: tuple[str, ...]
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row: one event for one subscription."""

    id: int
    msg_id: str
    endpoint: str
    subject: str
    type: str
    payload: str
    created_at: float
    retry_from: float
    attempts: int
    state: str = "pending"
    next_at: float = 0.0
    last_status: int | None = None
    last_error: str = ""
    done_at: float | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a worker learnt about one leased delivery.

    ``state`` ``delivered`` or ``dead`` ends the row; ``pending`` schedules another try at ``next_at``.
    """

    id: int
    state: State
    next_at: float = 0.0
    status: int | None = None
    error: str = ""


def iso_time(seconds: float) -> str:
    """UTC seconds as ISO 8601 with milliseconds and ``Z``."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_flags(record: ConsentRecord) -> dict[str, bool]:
    """The opt-out flags one record speaks to: flag -> opted out.

    An ``api_opt_out`` record lists its flags in ``extra["opt_outs"]``; a banner or GPC record speaks
    through its effective state, privacy signals applied (``analytics``; ``advertising`` covers
    sale/sharing and targeted ads).
    A record never speaks to ``contact`` unless it is an opt-out that names it.
    """
    if record.action == "api_opt_out":
        named = record.extra.get("opt_outs", ())
        return {flag: True for flag in FLAGS if flag in named}
    flags: dict[str, bool] = {}
    categories = record.state
    if "analytics" in categories:
        flags["analytics"] = not categories["analytics"]
    if "advertising" in categories:
        flags["sale_sharing"] = flags["targeted_advertising"] = not categories["advertising"]
    if record.action == "gpc_opt_out":
        flags["sale_sharing"] = flags["targeted_advertising"] = True
    return flags


def record_source(record: ConsentRecord) -> str:
    """Where a record's choice came from: ``banner``, ``gpc``, ``api`` or a channel."""
    return "gpc" if record.action == "gpc_opt_out" else record.source


def event_type_for(record: ConsentRecord) -> str:
    """The event type a record causes."""
    if record.action == "api_opt_out":
        return "optout.recorded"
    if record.action == "withdraw":
        return "consent.withdrawn"
    return "consent.updated"


def events_for_record(config: Config, record: ConsentRecord, **data: Any) -> tuple[OutboxEvent, ...]:
    """The events to write with ``record``: one, for the subscriptions of its type (none: nothing)."""
    kind = event_type_for(record)
    endpoints = tuple(name for name, sub in config.webhooks.subscriptions.items() if kind in sub.events)
    if not endpoints:
        return ()
    return (OutboxEvent(kind, endpoints, data),)


def outbox_rows(
    record: ConsentRecord, events: Sequence[OutboxEvent], linked: Sequence[str], now: float
) -> list[tuple[str, str, str, str, str, float]]:
    """``(msg_id, endpoint, subject, type, payload, now)`` for every event and endpoint.

    The message id is derived from the record id, so it is stable: a replay or a retry sends the
    same ``webhook-id`` and receivers can drop duplicates.
    """
    rows = []
    for event in events:
        msg_id = f"msg_{record.record_id}_{event.type.replace('.', '_')}"
        data: dict[str, Any] = {
            "subject": record.consent_id,
            "record_id": record.record_id,
            "action": record.action,
            "source": record_source(record),
            "time": iso_time(record.time),
            "categories": dict(record.state),  # effective: signals applied
            "chosen": dict(record.categories),  # what the visitor chose
            "opt_outs": record_flags(record),
            "linked": sorted(linked),
        }
        data.update(event.data)
        payload = json.dumps(
            {"type": event.type, "timestamp": iso_time(record.time), "data": data}, separators=(",", ":")
        )
        for endpoint in event.endpoints:
            rows.append((msg_id, endpoint, record.consent_id, event.type, payload, now))
    return rows


#: First retry after about this long; each further one waits twice as long, up to the cap.
BASE_DELAY = 5.0
MAX_DELAY = 6 * 3600.0


def retry_delay(attempts: int, *, base: float = BASE_DELAY, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failed try: exponential, capped, with jitter.

    Half of the delay is fixed and half random ("equal jitter"), so receivers that come back after
    an outage are not hit by every retry at the same instant.
    """
    exp = min(MAX_DELAY * base / BASE_DELAY, base * 2.0 ** max(0, attempts - 1))
    return exp / 2 + (rng or random).random() * exp / 2
