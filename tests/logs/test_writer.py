"""The writer's batches: every handler gets each line once, as the logging module would hand it over."""

from __future__ import annotations

import collections
import json
import logging
from pathlib import Path

import pytest

from consentgate.config import LoggingConfig
from consentgate.logs.files import StampedFileHandler
from consentgate.logs.lines import Facts
from consentgate.logs.request_log import RequestLog
from consentgate.logs.writer import write_batch

T = 1_795_000_000  # 2026-11-18T11:06:40Z
FIREFOX = b"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"


def facts(path: str, address: object = ("203.0.113.77", 40000)) -> Facts:
    return (T, 0.0012, 200, 14, "GET", path, address, FIREFOX, b"", None)


class _Collect(logging.Handler):
    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.messages: list[str] = []
        self.flushes = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))

    def flush(self) -> None:
        self.flushes += 1


def _log(tmp_path: Path) -> tuple[RequestLog, _Collect]:
    collect = _Collect()
    log = RequestLog(LoggingConfig(enabled=True, path=str(tmp_path / "r.log")), handler=collect)
    return log, collect


def _batch(log: RequestLog, *items: Facts) -> None:
    write_batch(collections.deque(items), log._builder, log.logger)


def test_every_handler_gets_every_line_in_order_then_a_flush(tmp_path: Path) -> None:
    log, first = _log(tmp_path)
    second = _Collect()
    second.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    log.logger.addHandler(second)
    _batch(log, facts("/a"), facts("/b"), facts("/c"))
    assert [json.loads(m)["path"] for m in first.messages] == ["/a", "/b", "/c"]
    assert [m.split(" ", 2)[:2] for m in second.messages] == [["INFO", "consentgate.requests"]] * 3
    assert [m.split(" ", 2)[2] for m in second.messages] == first.messages
    assert (first.flushes, second.flushes) == (1, 1)


def test_a_handler_above_info_gets_nothing(tmp_path: Path) -> None:
    log, first = _log(tmp_path)
    quiet = _Collect(logging.WARNING)
    log.logger.addHandler(quiet)
    _batch(log, facts("/a"))
    assert len(first.messages) == 1
    assert quiet.messages == []


def test_a_filter_on_a_handler_is_honoured(tmp_path: Path) -> None:
    log, first = _log(tmp_path)
    picky = _Collect()
    picky.addFilter(lambda record: '"path":"/b"' not in record.getMessage())
    log.logger.addHandler(picky)
    _batch(log, facts("/a"), facts("/b"), facts("/c"))
    assert [json.loads(m)["path"] for m in picky.messages] == ["/a", "/c"]
    assert len(first.messages) == 3


@pytest.mark.parametrize("filtered", [False, True])
def test_a_line_that_fails_loses_none_before_it(tmp_path: Path, filtered: bool) -> None:
    """A request whose facts cannot be written costs its own line only: the lines before it are
    written, the ones after it wait for the next batch."""
    log, first = _log(tmp_path)
    if filtered:  # the record-at-a-time way
        log.logger.addFilter(lambda record: True)
    waiting = collections.deque([facts("/a"), facts("/bad", address=42), facts("/c")])
    with pytest.raises(TypeError):
        write_batch(waiting, log._builder, log.logger)
    assert [json.loads(m)["path"] for m in first.messages] == ["/a"]
    write_batch(waiting, log._builder, log.logger)
    assert [json.loads(m)["path"] for m in first.messages] == ["/a", "/c"]


def test_file_handler_with_another_formatter_formats(tmp_path: Path) -> None:
    """The file handler takes a line as it is only with the log's own formatter."""
    own = StampedFileHandler(tmp_path / "own.log")
    other = StampedFileHandler(tmp_path / "other.log")
    log = RequestLog(LoggingConfig(enabled=True, path=str(tmp_path / "own.log")), handler=own)
    log.logger.addHandler(other)
    other.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    _batch(log, facts("/a"))
    [own_file] = tmp_path.glob("own.*.log")
    [other_file] = tmp_path.glob("other.*.log")
    line = own_file.read_text()
    assert json.loads(line)["path"] == "/a"
    assert other_file.read_text() == "INFO " + line


class _Fussy(_Collect):
    """A site's handler that raises on some lines instead of reporting them itself."""

    def emit(self, record: logging.LogRecord) -> None:
        if '"path":"/b"' in record.getMessage():
            raise ValueError("cannot take this one")
        super().emit(record)


def test_a_handler_that_raises_costs_that_line_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", True)
    log, first = _log(tmp_path)
    fussy = _Fussy()
    log.logger.handlers.insert(0, fussy)
    _batch(log, facts("/a"), facts("/b"), facts("/c"))
    assert [json.loads(m)["path"] for m in fussy.messages] == ["/a", "/c"]
    assert [json.loads(m)["path"] for m in first.messages] == ["/a", "/b", "/c"]
    assert "cannot take this one" in capsys.readouterr().err
