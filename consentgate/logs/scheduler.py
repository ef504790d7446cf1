"""The roll-up schedule inside the server: :func:`~.rollup.roll_up` now and then every few minutes."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable

from ..config import LoggingConfig
from ..store import Store
from .rollup import RollupResult, roll_up

__all__ = ["RollupScheduler"]


class RollupScheduler:
    """Runs :func:`roll_up` now and then every ``every`` seconds inside the server's event loop.

    ``store`` is awaited for the store on each run (the gate opens it lazily); ``clock`` and
    ``sleep`` are injectable so tests run it without waiting.
    """

    def __init__(
        self,
        config: LoggingConfig,
        store: Callable[[], Awaitable[Store]],
        *,
        every: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self._store = store
        self.every = every
        self._clock = clock
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self.runs = 0
        self.last: RollupResult | None = None

    def start(self) -> None:
        """Start the schedule in the running event loop (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="consentgate-log-rollup")

    async def stop(self) -> None:
        """Stop the schedule and wait for it."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self) -> RollupResult:
        """One roll-up at the clock's time."""
        result = await roll_up(self.config, await self._store(), now=self._clock())
        self.runs += 1
        self.last = result
        return result

    async def _loop(self) -> None:
        while True:
            try:
                result = await self.run_once()
                for error in result.errors:
                    print(f"consentgate: log roll-up: {error}", file=sys.stderr)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the schedule alive; the next run retries
                print(f"consentgate: log roll-up failed: {exc}", file=sys.stderr)
            await self._sleep(self.every)
