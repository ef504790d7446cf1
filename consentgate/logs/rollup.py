"""The 24-hour window: raw request lines older than it become IP-free hourly aggregates.

Raw lines live in hour- (or day-) stamped files (see :mod:`.files`). A roll-up at time ``now``
takes every file whose period starts before ``now - window``; for each one it

1. claims it: takes its ``flock``, renames it to ``<name>.rollup-<token>`` and reads it (a writer
   that was waiting for the lock then sees the name points elsewhere and starts a new file, so no
   line is lost; two roll-ups never claim the same file because only one rename succeeds);
2. counts every line older than the cut into ``(hour, dimension, key) -> count`` rows
   (:mod:`.aggregate`: no IP, no referrer, no time finer than the hour) and adds them to the store
   in one transaction, keyed by a hash of the claimed bytes so a retry after a crash adds nothing
   twice;
3. appends the lines that are still inside the window back to the stamped name, and deletes the
   claimed file. Lines that are not valid JSON are deleted uncounted.

After a roll-up no raw line older than the window remains on disk. A claimed file left behind by
a crash (untouched for :data:`STALE_CLAIM` seconds) is taken up again by the next roll-up.

``consentgate logs rollup`` runs it on demand; :class:`~.scheduler.RollupScheduler` runs it in the
server.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..config import LoggingConfig
from ..store import Store
from .aggregate import Aggregator, parse_lines
from .files import append_locked, raw_files

__all__ = ["STALE_CLAIM", "RollupResult", "roll_up"]

#: A claimed file untouched for this long belongs to a roll-up that died; the next one takes it.
STALE_CLAIM = 600.0

_CLAIM_MARK = ".rollup-"


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
        for line, t, raw in parse_lines(data):
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
    return any(t is None or t < cutoff for _, t, _ in parse_lines(data))


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
