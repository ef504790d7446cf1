"""Export the ledger as JSON lines or CSV, streamed in constant memory.

Records come from :meth:`Store.iter_records` page by page and are written one line at a time, so a
ledger of millions of records exports with the memory of one page. A progress bar goes to stderr
when it is a terminal and stays silent otherwise (pipes, cron, CI).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from ..store.base import Store
from .records import ConsentRecord

__all__ = ["CSV_COLUMNS", "Format", "Progress", "export_records"]

Format = Literal["jsonl", "csv"]

#: CSV columns: every record field (categories, extra, effective and regimes as JSON), plus the time
#: in ISO 8601 UTC.
CSV_COLUMNS: tuple[str, ...] = (
    "record_id",
    "consent_id",
    "time",
    "time_utc",
    "action",
    "categories",
    "config_revision",
    "shown_hash",
    "language",
    "host",
    "regime",
    "gpc",
    "dnt",
    "region",
    "ua_family",
    "expires_at",
    "source",
    "prev_hash",
    "hash",
    "extra",
    "effective",
    "regimes",
    "variant",
)


class Progress:
    """A one-line progress bar on a terminal stream; does nothing when the stream is not a TTY."""

    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        label: str = "exporting",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _isatty(self.stream)
        self.total = total
        self.label = label
        self._clock = clock
        self._last = -1.0

    def update(self, done: int, *, force: bool = False) -> None:
        """Redraw at most ten times a second (and always when ``force``)."""
        if not self.enabled:
            return
        now = self._clock()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        total = max(self.total, done)
        share = done / total if total else 1.0
        filled = int(share * 30)
        bar = "#" * filled + "-" * (30 - filled)
        self.stream.write(f"\r{self.label} [{bar}] {share:4.0%} {done:,}/{total:,} records")
        self.stream.flush()

    def finish(self, done: int) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self.update(done, force=True)
            self.stream.write("\n")
            self.stream.flush()


async def export_records(
    store: Store,
    out: TextIO,
    *,
    fmt: Format = "jsonl",
    since: float | None = None,
    until: float | None = None,
    consent_ids: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the matching records to ``out`` in append order; returns how many were written."""
    writer: Callable[[ConsentRecord], None]
    if fmt == "csv":
        table = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="raise", lineterminator="\n")
        table.writeheader()

        def writer(record: ConsentRecord) -> None:
            table.writerow(_csv_row(record))
    else:

        def writer(record: ConsentRecord) -> None:
            out.write(json.dumps(_json_row(record), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")

    count = 0
    async for record in store.iter_records(since=since, until=until, consent_ids=consent_ids):
        writer(record)
        count += 1
        if progress is not None and count % 500 == 0:
            progress.update(count)
    if progress is not None:
        progress.finish(count)
    return count


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_row(record: ConsentRecord) -> dict[str, Any]:
    data = record.to_json()
    data["time_utc"] = _iso(record.time)
    return data


def _csv_row(record: ConsentRecord) -> dict[str, Any]:
    data = _json_row(record)
    data["categories"] = json.dumps(data["categories"], sort_keys=True, separators=(",", ":"))
    data["extra"] = json.dumps(data["extra"], sort_keys=True, separators=(",", ":"))
    # Absent from a record of before they existed: empty cells then.
    for key in ("effective", "regimes"):
        data[key] = json.dumps(data[key], sort_keys=True, separators=(",", ":")) if key in data else ""
    data["variant"] = _inert(record.variant)
    data["region"] = data["region"] or ""
    data["gpc"] = "true" if record.gpc else "false"
    data["dnt"] = "true" if record.dnt else "false"
    for key in ("host", "language", "ua_family", "source"):
        data[key] = _inert(data[key])
    return data


def _inert(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (``host`` comes from a request header).

    JSON lines stay byte-exact; this only touches CSV cells that start with a formula character.
    """
    return "'" + value if value[:1] in _FORMULA_START else value


_FORMULA_START = frozenset("=+-@\t\r")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
