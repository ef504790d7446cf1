"""The 24-hour window: raw request lines older than it become IP-free hourly aggregates.

Raw lines live in hour- (or day-) stamped files (see :mod:`consentgate.request_log`). A roll-up at
time ``now`` takes every file whose period starts before ``now - window``; for each one it

1. claims it: takes its ``flock``, renames it to ``<name>.rollup-<token>`` and reads it (a writer
   that was waiting for the lock then sees the name points elsewhere and starts a new file, so no
   line is lost; two roll-ups never claim the same file because only one rename succeeds);
2. counts every line older than the cut into ``(hour, dimension, key) -> count`` rows (no IP, no
   referrer, no time finer than the hour) and adds them to the store in one transaction, keyed
   by a hash of the claimed bytes so a retry after a crash adds nothing twice;
3. appends the lines that are still inside the window back to the stamped name, and deletes the
   claimed file. Lines that are not valid JSON are deleted uncounted.

After a roll-up no raw line older than the window remains on disk. A claimed file left behind by
a crash (untouched for :data:`STALE_CLAIM` seconds) is taken up again by the next roll-up.

Dimensions (per hour): ``requests``, ``bytes`` (a sum), ``path`` (the :data:`MAX_PATHS` most
requested, the rest as ``(other)``), ``status`` (``2xx``…), ``method``, ``browser``, ``os``,
``device``, ``bot`` (``yes``/``no``) and ``latency`` (a histogram with buckets a factor of
10^0.1 apart, so percentiles of any period come from summed buckets within 26 %). Consent rates,
without bots and only for lines that carry a consent summary (the site's pages, not the gate's own
routes), by region (``unknown`` when none is known): ``consent.views``, ``consent.decided``,
``consent.gpc`` and ``consent.granted.<category>``, per page view.

``consentgate logs rollup`` runs it on demand; :class:`RollupScheduler` runs it in the server.
"""

from __future__ import annotations

import asyncio
import bisect
import calendar
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import LoggingConfig
from ..store import Store
from .request_log import RawFile, append_locked, raw_files

__all__ = [
    "LATENCY_BOUNDS",
    "MAX_PATHS",
    "Aggregator",
    "RollupResult",
    "RollupScheduler",
    "Stats",
    "collect_stats",
    "roll_up",
]

#: Paths kept per hour in the aggregates; the rest are counted as ``(other)``.
MAX_PATHS = 50
#: Upper bounds (ms) of the latency buckets: 0.1 ms to about 63 s, a factor of 10^0.1 apart.
LATENCY_BOUNDS: tuple[float, ...] = tuple(float(f"{10 ** (k / 10):.3g}") for k in range(-10, 49))
#: A claimed file untouched for this long belongs to a roll-up that died; the next one takes it.
STALE_CLAIM = 600.0

_CLAIM_MARK = ".rollup-"

Row = tuple[int, str, str, int]


# --- counting ----------------------------------------------------------------------------------------


def _line_time(text: Any) -> int | None:
    if not isinstance(text, str) or len(text) != 20 or text[10] != "T" or text[19] != "Z":
        return None
    try:
        return calendar.timegm(
            (
                int(text[0:4]),
                int(text[5:7]),
                int(text[8:10]),
                int(text[11:13]),
                int(text[14:16]),
                int(text[17:19]),
            )
        )
    except ValueError:
        return None


def _bucket(ms: float) -> str:
    at = bisect.bisect_left(LATENCY_BOUNDS, ms)
    return f"{LATENCY_BOUNDS[at]:g}" if at < len(LATENCY_BOUNDS) else "inf"


def _word(value: Any, default: str = "Other") -> str:
    return value[:64] if isinstance(value, str) and value else default


class Aggregator:
    """Counts parsed log lines into ``(hour, dimension, key)`` rows."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[int, str, str]] = Counter()
        self.lines = 0

    def add(self, line: dict[str, Any], t: int) -> None:
        """Count one line whose time is ``t`` (UTC seconds)."""
        hour = t - t % 3600
        c = self.counts
        self.lines += 1
        c[hour, "requests", ""] += 1
        size = line.get("bytes")
        if isinstance(size, int) and size > 0:
            c[hour, "bytes", ""] += size
        c[hour, "path", _word(line.get("path"), "/")[:256]] += 1
        status = line.get("status")
        c[
            hour,
            "status",
            f"{status // 100}xx" if isinstance(status, int) and 100 <= status < 600 else "other",
        ] += 1
        c[hour, "method", _word(line.get("method"), "OTHER")[:16]] += 1
        c[hour, "browser", _word(line.get("browser"))] += 1
        c[hour, "os", _word(line.get("os"))] += 1
        c[hour, "device", _word(line.get("device"), "other")] += 1
        bot = line.get("bot") is True
        c[hour, "bot", "yes" if bot else "no"] += 1
        ms = line.get("ms")
        if isinstance(ms, int | float) and ms >= 0:
            c[hour, "latency", _bucket(float(ms))] += 1
        consent = line.get("consent")
        if bot or not isinstance(consent, dict):
            return
        region = consent.get("region")
        region = region if isinstance(region, str) and region else "unknown"
        c[hour, "consent.views", region] += 1
        if consent.get("decided") is True:
            c[hour, "consent.decided", region] += 1
        if consent.get("gpc") is True:
            c[hour, "consent.gpc", region] += 1
        granted = consent.get("granted")
        if isinstance(granted, list):
            for name in granted:
                if isinstance(name, str) and name:
                    c[hour, f"consent.granted.{name[:32]}", region] += 1

    def rows(self) -> list[Row]:
        """The counts as store rows, the paths of each hour capped at :data:`MAX_PATHS`."""
        paths: dict[int, list[tuple[int, str]]] = {}
        rows: list[Row] = []
        for (hour, dimension, key), count in self.counts.items():
            if dimension == "path":
                paths.setdefault(hour, []).append((count, key))
            else:
                rows.append((hour, dimension, key, count))
        for hour, entries in paths.items():
            entries.sort(key=lambda e: (-e[0], e[1]))
            rows.extend((hour, "path", key, count) for count, key in entries[:MAX_PATHS])
            other = sum(count for count, _ in entries[MAX_PATHS:])
            if other:
                rows.append((hour, "path", "(other)", other))
        return rows


def _parse_lines(data: bytes) -> Iterator[tuple[dict[str, Any] | None, int | None, bytes]]:
    """``(line, time, raw)`` for every line of ``data``; ``line`` is None when it is not valid."""
    for raw in data.splitlines(keepends=True):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            yield None, None, raw
            continue
        t = _line_time(line.get("t")) if isinstance(line, dict) else None
        yield (line if t is not None else None), t, raw


# --- the roll-up ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class RollupResult:
    """What one roll-up did."""

    files: int = 0
    rolled: int = 0
    kept: int = 0
    malformed: int = 0
    duplicate_batches: int = 0
    errors: list[str] = field(default_factory=list)


async def roll_up(config: LoggingConfig, store: Store, *, now: float) -> RollupResult:
    """Roll up every raw line older than ``now - window`` into ``store`` and delete it."""
    result = RollupResult()
    if config.destination != "file":
        return result
    cutoff = now - config.window_hours * 3600
    base = Path(config.path)
    claims = await asyncio.to_thread(_claim_all, base, cutoff)
    for original, claimed, data in claims:
        aggregator = Aggregator()
        kept: list[bytes] = []
        for line, t, raw in _parse_lines(data):
            if line is None or t is None:
                result.malformed += 1
            elif t < cutoff:
                aggregator.add(line, t)
            else:
                kept.append(raw if raw.endswith(b"\n") else raw + b"\n")
        batch_id = hashlib.sha256(original.name.encode() + b"\0" + data).hexdigest()
        added = await store.add_log_rollup(batch_id, aggregator.rows(), lines=aggregator.lines, now=now)
        if not added:
            result.duplicate_batches += 1
        try:
            await asyncio.to_thread(_finish, original, claimed, b"".join(kept))
        except OSError as exc:
            result.errors.append(f"{claimed}: {exc}")
            continue
        result.files += 1
        result.rolled += aggregator.lines
        result.kept += len(kept)
    return result


def _claim_all(base: Path, cutoff: float) -> list[tuple[Path, Path, bytes]]:
    claims: list[tuple[Path, Path, bytes]] = []
    for raw in raw_files(base):
        if raw.start < cutoff:
            if raw.end > cutoff and not _holds_older(raw.path, cutoff):
                continue  # the file the cut runs through, with nothing older than the cut (yet)
            claim = _claim(raw.path)
            if claim is not None:
                claims.append((raw.path, *claim))
    claims.extend(_stale_claims(base))
    return claims


def _holds_older(path: Path, cutoff: float) -> bool:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    return any(t is None or t < cutoff for _, t, _ in _parse_lines(data))


def _claim(path: Path) -> tuple[Path, bytes] | None:
    """Rename ``path`` out of the writers' way under its lock; its new name and bytes (None if gone)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                return None  # someone else claimed it; a fresh file took the name
        except FileNotFoundError:
            return None
        claimed = path.with_name(path.name + _CLAIM_MARK + secrets.token_hex(6))
        os.rename(path, claimed)
        os.utime(claimed)  # the claim's age (mtime) tells a dead roll-up's claim from a live one
        with os.fdopen(os.dup(fd), "rb") as f:
            return claimed, f.read()
    finally:
        os.close(fd)


def _stale_claims(base: Path) -> Iterator[tuple[Path, Path, bytes]]:
    """Claimed files a dead roll-up left behind, claimed again (renamed) so only one run takes each.

    Age is measured on the real clock (file times), not the injected one: it is about processes.
    """
    prefix = base.stem + "."
    with contextlib.suppress(FileNotFoundError):
        for entry in base.parent.iterdir():
            name = entry.name
            if not name.startswith(prefix) or _CLAIM_MARK not in name:
                continue
            try:
                if time.time() - entry.stat().st_mtime < STALE_CLAIM:
                    continue
                original = entry.with_name(name.split(_CLAIM_MARK, 1)[0])
                again = entry.with_name(original.name + _CLAIM_MARK + secrets.token_hex(6))
                os.rename(entry, again)
                os.utime(again)
                yield original, again, again.read_bytes()
            except FileNotFoundError:
                continue


def _finish(original: Path, claimed: Path, kept: bytes) -> None:
    if kept:
        append_locked(original, kept)
    claimed.unlink()


# --- the schedule ------------------------------------------------------------------------------------


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


# --- reading the aggregates ------------------------------------------------------------------------------


@dataclass(slots=True)
class Stats:
    """Aggregates of a period: totals by ``(dimension, key)`` and requests per hour."""

    since: float
    until: float
    totals: Counter[tuple[str, str]] = field(default_factory=Counter)
    hourly: Counter[int] = field(default_factory=Counter)

    def add_rows(self, rows: Iterable[Row]) -> None:
        """Add store rows (or :meth:`Aggregator.rows`) to the totals."""
        for hour, dimension, key, count in rows:
            self.totals[dimension, key] += count
            if dimension == "requests":
                self.hourly[hour] += count

    @property
    def requests(self) -> int:
        return self.totals["requests", ""]

    def breakdown(self, dimension: str, limit: int | None = None) -> list[tuple[str, int]]:
        """``(key, count)`` of one dimension, most frequent first."""
        items = sorted(
            ((key, count) for (d, key), count in self.totals.items() if d == dimension),
            key=lambda item: (-item[1], item[0]),
        )
        return items[:limit] if limit is not None else items

    def latency_percentile(self, p: float) -> float | None:
        """The upper bound (ms) of the bucket that holds the ``p`` quantile (0 < p <= 1), if any."""
        buckets = sorted((float(key), count) for (d, key), count in self.totals.items() if d == "latency")
        total = sum(count for _, count in buckets)
        if not total:
            return None
        seen = 0
        for bound, count in buckets:
            seen += count
            if seen >= p * total:
                return bound
        return buckets[-1][0]  # pragma: no cover

    def consent_rates(self) -> dict[str, Any]:
        """Shares per page view (without bots): decided, GPC, each granted category; overall and per region."""
        views = {key: count for (d, key), count in self.totals.items() if d == "consent.views"}

        def rates(region: str | None) -> dict[str, Any]:
            def share(dimension: str) -> float | None:
                if region is None:
                    total = sum(views.values())
                    part = sum(c for (d, _), c in self.totals.items() if d == dimension)
                else:
                    total = views.get(region, 0)
                    part = self.totals[dimension, region]
                return round(part / total, 4) if total else None

            categories = sorted(
                {
                    d.removeprefix("consent.granted.")
                    for (d, _) in self.totals
                    if d.startswith("consent.granted.")
                }
            )
            return {
                "views": sum(views.values()) if region is None else views.get(region, 0),
                "decided": share("consent.decided"),
                "gpc": share("consent.gpc"),
                "granted": {name: share(f"consent.granted.{name}") for name in categories},
            }

        return {"all": rates(None), "regions": {region: rates(region) for region in sorted(views)}}

    def to_json(self) -> dict[str, Any]:
        """Everything as plain JSON data (``consentgate logs stats --json``, the admin page)."""
        return {
            "since": _iso(self.since),
            "until": _iso(self.until),
            "requests": self.requests,
            "bytes": self.totals["bytes", ""],
            "hourly": [{"hour": _iso(h), "requests": n} for h, n in sorted(self.hourly.items())],
            "status": dict(self.breakdown("status")),
            "methods": dict(self.breakdown("method")),
            "paths": dict(self.breakdown("path", 20)),
            "browsers": dict(self.breakdown("browser", 10)),
            "os": dict(self.breakdown("os", 10)),
            "devices": dict(self.breakdown("device")),
            "bots": dict(self.breakdown("bot")),
            "latency_ms": {
                "p50": self.latency_percentile(0.5),
                "p90": self.latency_percentile(0.9),
                "p99": self.latency_percentile(0.99),
            },
            "consent": self.consent_rates(),
        }


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


async def collect_stats(config: LoggingConfig, store: Store, *, since: float, until: float) -> Stats:
    """Aggregates of ``[since, until)``: rolled-up hours from the store plus raw lines not rolled up yet.

    Rolled-up rows count by the hour they start in; raw lines by their own second.
    """
    stats = Stats(since, until)
    stats.add_rows(await store.log_rollups(since=since - since % 3600, until=until))
    if config.destination == "file":
        aggregator = await asyncio.to_thread(_aggregate_raw, Path(config.path), since, until)
        stats.add_rows(aggregator.rows())
    return stats


def _aggregate_raw(base: Path, since: float, until: float) -> Aggregator:
    aggregator = Aggregator()
    files: list[RawFile] = [f for f in raw_files(base) if f.end > since and f.start < until]
    for raw in files:
        try:
            data = raw.path.read_bytes()
        except FileNotFoundError:  # rolled up meanwhile
            continue
        for line, t, _ in _parse_lines(data):
            if line is not None and t is not None and since <= t < until:
                aggregator.add(line, t)
    return aggregator
