"""The roll-up schedule, with an injected clock and sleep: it runs now, then every ``every`` seconds."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from consentgate.config import load_config
from consentgate.logs.files import append_locked, raw_files, stamped_path
from consentgate.logs.scheduler import RollupScheduler
from consentgate.store import Store
from tests.support.stores import backend_store

HOUR = 3600
NOW = 1_795_000_000 - 1_795_000_000 % HOUR + 1800


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def read_raw(tmp_path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for raw in raw_files(tmp_path / "logs" / "requests.log"):
        found.extend(json.loads(line) for line in raw.path.read_bytes().splitlines())
    return found


async def test_the_scheduler_rolls_up_on_time(tmp_path: Path) -> None:
    config = load_config(logging={"enabled": True, "path": str(tmp_path / "logs" / "requests.log")}).logging
    clock = Clock(NOW)
    sleeps: list[float] = []
    wake = asyncio.Event()

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await wake.wait()
        wake.clear()

    async def settle(count: int) -> None:
        for _ in range(500):
            if len(sleeps) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the scheduler did not run")

    def write(t: float) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        append_locked(stamped_path(Path(config.path), "hourly", t), json.dumps({"t": stamp}).encode() + b"\n")

    async with backend_store("sqlite", tmp_path) as store:

        async def opened() -> Store:
            return store

        scheduler = RollupScheduler(config, opened, every=600, clock=clock, sleep=sleep)
        write(NOW - 25 * HOUR)
        write(NOW - HOUR)
        scheduler.start()
        await settle(1)
        assert scheduler.runs == 1 and scheduler.last is not None and scheduler.last.rolled == 1
        assert len(read_raw(tmp_path)) == 1

        clock.t = NOW + 24 * HOUR  # a day later, the second line leaves the window
        wake.set()
        await settle(2)
        assert scheduler.runs == 2 and scheduler.last is not None and scheduler.last.rolled == 1
        assert sleeps == [600, 600]
        assert read_raw(tmp_path) == []
        await scheduler.stop()
        rows = await store.log_rollups()
    assert sum(n for _, d, _, n in rows if d == "requests") == 2
