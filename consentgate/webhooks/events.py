"""The webhook event types: a leaf module, so the configuration can check subscriptions against them."""

from __future__ import annotations

__all__ = ["EVENT_TYPES"]

#: Every event type a subscription may ask for.
EVENT_TYPES: tuple[str, ...] = ("consent.updated", "consent.withdrawn", "optout.recorded")
