"""Retention: remove the records of consents whose proof is no longer needed.

A consent id's records go together, once the latest time or expiry of any of them is older than
``ledger.retention_days`` (default 5 years; the reason is beside the key in
:class:`~consentgate.config.LedgerConfig`). Removing whole chains keeps what remains verifiable, and
a consent that still stands is never pruned because its records' expiry keeps it alive.

``consentgate prune`` runs it once; :func:`start_background` runs it in the app process every
``ledger.prune_interval_hours``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from ..config import Config
from ..errors import StoreError
from ..store.base import Store

__all__ = ["cutoff", "prune", "start_background"]

_log = logging.getLogger("consentgate.retention")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def cutoff(config: Config, now: float) -> float:
    """Chains whose latest record (or expiry) is before this UTC time are expired."""
    return now - config.ledger.retention_days * 86400.0


async def prune(store: Store, config: Config, *, clock: Clock = time.time) -> int:
    """Remove every expired chain now; returns how many records went."""
    return await store.prune(cutoff(config, clock()))


def start_background(
    store: Store,
    config: Config,
    *,
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
) -> asyncio.Task[None] | None:
    """Start pruning ``store`` every ``ledger.prune_interval_hours`` on the running event loop.

    Returns the task (cancel it on shutdown), or None when the interval is 0. The store must be
    open. A failed run is logged and retried at the next interval; it never stops the app.
    """
    interval = config.ledger.prune_interval_hours * 3600.0
    if interval <= 0:
        return None
    return asyncio.get_running_loop().create_task(
        _loop(store, config, clock, sleep, interval), name="consentgate-retention"
    )


async def _loop(store: Store, config: Config, clock: Clock, sleep: Sleep, interval: float) -> None:
    while True:
        try:
            removed = await prune(store, config, clock=clock)
        except StoreError as exc:
            _log.warning("consentgate: pruning expired consent records failed: %s", exc)
        except Exception:  # a bug must not end the schedule, nor surface in the app
            _log.exception("consentgate: pruning expired consent records failed")
        else:
            if removed:
                _log.info("consentgate: pruned %d expired consent records", removed)
        await sleep(interval)
