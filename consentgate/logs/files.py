"""Where raw request lines live: files stamped with the hour (or day) of the lines they hold.

Beside ``logging.path``: ``requests.log`` → ``requests.2026-11-23T12.log``. Those files are the
only raw copy; :mod:`.rollup` rolls up every line older than the window and deletes it. Each batch
is written with ``O_APPEND`` under an exclusive ``flock`` and the writer checks it still holds the
file the name points to (:func:`append_locked`), so a roll-up in another process never loses a line.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from .writer import LineFormatter as _LineFormatter
from .writer import LineRecord as _LineRecord

__all__ = ["RawFile", "StampedFileHandler", "append_locked", "raw_files", "stamped_path"]

#: Buffered bytes after which the file handler writes even if the queue is not empty.
_FLUSH_AT = 64 * 1024


class StampedFileHandler(logging.Handler):
    """Appends lines to files stamped with the hour (or day) of each line's own time.

    Lines are buffered per file and written on :meth:`flush` (the writer thread calls it after each
    batch) with :func:`append_locked`, one write per batch.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, rotation: Literal["hourly", "daily"] = "hourly"
    ) -> None:
        super().__init__()
        self.base = Path(path)
        self.rotation: Literal["hourly", "daily"] = rotation
        self._pending: dict[Path, list[str]] = {}
        self._size = 0
        self._hour: tuple[int, Path] = (-1, self.base)

    def _target(self, t: int) -> Path:
        # Cached per hour: building the stamped name costs more than the rest of a line's write.
        hour = t // 3600
        if self._hour[0] != hour:
            self._hour = (hour, stamped_path(self.base, self.rotation, t))
        return self._hour[1]

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # The request log's own formatter gives the message as it is: taken here without the
            # three calls of format() (this runs per line).
            if record.__class__ is _LineRecord and self.formatter.__class__ is _LineFormatter:
                text = record.msg
            else:
                text = self.format(record)
            target = self._target(int(record.created))
            self._pending.setdefault(target, []).append(text)
            self._size += len(text) + 1
            if self._size >= _FLUSH_AT:
                self.flush()
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        self.acquire()
        try:
            pending, self._pending, self._size = self._pending, {}, 0
            for target, lines in pending.items():
                try:
                    lines.append("")  # the last line's newline
                    append_locked(target, "\n".join(lines).encode("utf-8"))
                except OSError as exc:
                    print(
                        f"consentgate: cannot write the request log {str(target)!r}: {exc}", file=sys.stderr
                    )
        finally:
            self.release()


_STAMP_FORMATS = {"hourly": "%Y-%m-%dT%H", "daily": "%Y-%m-%d"}


def stamped_path(base: Path, rotation: Literal["hourly", "daily"], t: float) -> Path:
    """The raw file that holds lines of time ``t``: ``requests.log`` → ``requests.2026-11-23T12.log``."""
    stamp = time.strftime(_STAMP_FORMATS[rotation], time.gmtime(t))
    return base.with_name(f"{base.stem}.{stamp}{base.suffix}")


@dataclass(frozen=True, slots=True)
class RawFile:
    """A raw log file and the period its lines belong to (``start`` inclusive, ``end`` exclusive)."""

    path: Path
    start: float
    end: float


def raw_files(base: str | os.PathLike[str]) -> Iterator[RawFile]:
    """Every stamped raw file beside ``base`` (hourly and daily ones), in no particular order."""
    base = Path(base)
    pattern = re.compile(
        re.escape(base.stem) + r"\.(\d{4}-\d{2}-\d{2})(T\d{2})?" + re.escape(base.suffix) + r"$"
    )
    with contextlib.suppress(FileNotFoundError):
        for entry in base.parent.iterdir():
            match = pattern.match(entry.name)
            if not match:
                continue
            day, hour = match.group(1), match.group(2)
            try:
                start = datetime.strptime(day + (hour or ""), "%Y-%m-%d" + ("T%H" if hour else ""))
            except ValueError:
                continue
            begin = start.replace(tzinfo=UTC).timestamp()
            yield RawFile(entry, begin, begin + (3600 if hour else 86400))


def append_locked(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` in one ``O_APPEND`` write under an exclusive ``flock``.

    After taking the lock the writer checks that the name still points to the file it opened (a
    roll-up may have claimed it meanwhile) and opens it again if not, so no line lands in a file
    that is about to be deleted.
    """
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        except FileNotFoundError:
            # The folder is made only when it is missing: asking every batch (pathlib's mkdir
            # raises and catches FileExistsError) cost more than the write.
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                continue
            if current.st_ino != os.fstat(fd).st_ino:
                continue
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            return
        finally:
            os.close(fd)  # closing releases the lock
