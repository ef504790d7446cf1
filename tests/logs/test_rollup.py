"""The 24-hour window with an injected clock: raw lines become IP-free hourly aggregates, then go."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from consentgate import ConsentMiddleware
from consentgate.cli.main import main
from consentgate.config import load_config
from consentgate.logs.files import append_locked, raw_files, stamped_path
from consentgate.logs.rollup import STALE_CLAIM, roll_up
from consentgate.logs.stats import collect_stats
from tests.support.site import ORIGIN, SECRET, site_app
from tests.support.stores import BACKENDS, backend_store

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HOUR = 3600
#: "Now" for these tests: the middle of an hour, so the 24-hour cut splits an hour's file in two.
NOW = 1_795_000_000 - 1_795_000_000 % HOUR + 1800
CUTOFF = NOW - 24 * HOUR


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def make_gate(tmp_path: Path, clock: Clock) -> ConsentMiddleware:
    gate = ConsentMiddleware(
        site_app(),
        secret_key=SECRET,
        database=f"sqlite:///{tmp_path / 'cg.db'}",
        logging={"enabled": True, "path": str(tmp_path / "logs" / "requests.log"), "rollup_every_minutes": 0},
        region={"trusted_headers": ["CF-IPCountry"]},
    )
    assert gate.request_log is not None
    gate.request_log.clock = clock
    return gate


async def traffic(gate: ConsentMiddleware, clock: Clock) -> None:
    """Real requests at several times, from several browsers and places, some with consent."""
    transport = httpx.ASGITransport(app=gate, client=("203.0.113.77", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        accepted = await c.post(
            "/consentgate/consent", json={"action": "accept_all"}, headers={"origin": ORIGIN}
        )
        cookie = {"cookie": f"consentgate={accepted.cookies['consentgate']}"}
        c.cookies.clear()  # only the requests that say so carry the choice
        plan: list[tuple[float, int, str, dict[str, str]]] = [
            (NOW - 30 * HOUR, 3, "/", {"user-agent": FIREFOX, "cf-ipcountry": "DE"}),
            (NOW - 30 * HOUR + 60, 2, "/whoami", {"user-agent": IPHONE, "cf-ipcountry": "FR", **cookie}),
            (NOW - 26 * HOUR, 1, "/missing", {"user-agent": FIREFOX}),
            (NOW - 25 * HOUR, 2, "/", {"user-agent": GOOGLEBOT}),
            (CUTOFF - 600, 2, "/", {"user-agent": IPHONE, "sec-gpc": "1", "cf-ipcountry": "US"}),
            (CUTOFF + 600, 3, "/", {"user-agent": FIREFOX}),  # same file, inside the window
            (NOW - 2 * HOUR, 4, "/whoami", {"user-agent": FIREFOX, **cookie}),
        ]
        for when, times, path, headers in plan:
            clock.t = when
            for i in range(times):
                await c.get(f"{path}?gclid=secret{i}", headers=headers)


def read_raw(tmp_path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for raw in raw_files(tmp_path / "logs" / "requests.log"):
        found.extend(json.loads(line) for line in raw.path.read_bytes().splitlines())
    return found


def epoch(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def expected_counts(raw: list[dict[str, Any]]) -> Counter[tuple[int, str, str]]:
    """What the aggregates must hold, worked out here independently of the roll-up code."""
    want: Counter[tuple[int, str, str]] = Counter()
    for line in raw:
        t = epoch(line["t"])
        hour = t - t % HOUR
        want[hour, "requests", ""] += 1
        want[hour, "path", line["path"]] += 1
        want[hour, "status", f"{line['status'] // 100}xx"] += 1
        want[hour, "browser", line["browser"]] += 1
        want[hour, "os", line["os"]] += 1
        want[hour, "device", line["device"]] += 1
        want[hour, "bot", "yes" if line["bot"] else "no"] += 1
        want[hour, "method", line["method"]] += 1
        want[hour, "bytes", ""] += line["bytes"]
        consent = line["consent"]
        if consent is not None and not line["bot"]:
            region = consent["region"] or "unknown"
            want[hour, "consent.views", region] += 1
            if consent["decided"]:
                want[hour, "consent.decided", region] += 1
            if consent["gpc"]:
                want[hour, "consent.gpc", region] += 1
            for name in consent["granted"]:
                want[hour, f"consent.granted.{name}", region] += 1
    return want


def stored(rows: list[tuple[int, str, str, int]], *, latency: bool = False) -> Counter[tuple[int, str, str]]:
    return Counter({(h, d, k): n for h, d, k, n in rows if latency or d != "latency"})


async def test_after_the_window_no_raw_line_remains_and_aggregates_match(tmp_path: Path) -> None:
    clock = Clock(NOW)
    gate = make_gate(tmp_path, clock)
    await traffic(gate, clock)
    assert gate.request_log is not None
    gate.request_log.close()  # every line on disk

    before = read_raw(tmp_path)
    old = [line for line in before if epoch(line["t"]) < CUTOFF]
    young = [line for line in before if epoch(line["t"]) >= CUTOFF]
    assert len(old) == 10 and len(young) == 8  # 17 pages plus the POST, split by the cut

    store = await gate.store()
    result = await roll_up(gate.config.logging, store, now=NOW)
    assert (result.rolled, result.kept, result.malformed, result.errors) == (10, 3, 0, [])

    after = read_raw(tmp_path)
    assert all(epoch(line["t"]) >= CUTOFF for line in after)
    assert sorted(map(json.dumps, after)) == sorted(map(json.dumps, young))
    rows = await store.log_rollups()
    assert stored(rows) == expected_counts(old)
    latency = sum(n for _, d, _, n in rows if d == "latency")
    assert latency == len(old)

    # Nothing that points at a person reached the store.
    conn = sqlite3.connect(tmp_path / "cg.db")
    dump = "\n".join(conn.iterdump())
    conn.close()
    for never in ("203.0.113", "gclid", "secret0", "Gecko/", "Mozilla/5.0"):
        assert never not in dump

    # A second run finds nothing more to do and counts nothing twice.
    again = await roll_up(gate.config.logging, store, now=NOW)
    assert (again.rolled, again.files) == (0, 0)
    assert stored(await store.log_rollups()) == expected_counts(old)

    # Stats over both days: the rolled-up hours plus the raw window, every line once.
    stats = await collect_stats(gate.config.logging, store, since=NOW - 48 * HOUR, until=NOW + 1)
    assert stats.requests == len(before)
    assert dict(stats.breakdown("browser")) == dict(Counter(line["browser"] for line in before))
    report = stats.to_json()
    assert report["bots"] == {"no": 16, "yes": 2}
    consent = report["consent"]
    views = [line for line in before if line["consent"] and not line["bot"]]
    assert consent["all"]["views"] == len(views) == 15
    assert (
        consent["all"]["granted"]["analytics"] == 0.4
    )  # 2 iPhone + 4 Firefox of 15 views carried the choice
    assert consent["regions"]["US"]["gpc"] == 1.0
    assert consent["regions"]["FR"]["decided"] == 1.0
    assert report["latency_ms"]["p50"] is not None

    # Once the rest of the day has passed, everything is rolled up and the raw files are gone.
    later = await roll_up(gate.config.logging, store, now=NOW + 25 * HOUR)
    assert later.rolled == len(young)
    assert read_raw(tmp_path) == []
    assert list((tmp_path / "logs").iterdir()) == []
    assert stored(await store.log_rollups()) == expected_counts(before)
    await gate.aclose()


async def test_a_writer_racing_the_roll_up_loses_nothing(tmp_path: Path) -> None:
    config = load_config(logging={"enabled": True, "path": str(tmp_path / "logs" / "requests.log")}).logging
    target = stamped_path(Path(config.path), "hourly", NOW - 30 * HOUR)
    line = json.dumps({"t": "2026-11-17T05:00:00Z", "path": "/", "status": 200, "ms": 1.0}).encode() + b"\n"
    assert epoch("2026-11-17T05:00:00Z") < CUTOFF
    total = 3000
    done = threading.Event()

    def writer() -> None:
        for _ in range(total // 10):
            append_locked(target, line * 10)
        done.set()

    async with backend_store("sqlite", tmp_path) as store:
        thread = threading.Thread(target=writer)
        thread.start()
        runs = 0
        while not done.is_set() or runs == 0:
            await roll_up(config, store, now=NOW)
            runs += 1
        thread.join()
        await roll_up(config, store, now=NOW)
        rows = await store.log_rollups()
    assert sum(n for _, d, _, n in rows if d == "requests") == total
    assert read_raw(tmp_path) == []


async def test_a_claim_left_by_a_crash_is_taken_up_once(tmp_path: Path) -> None:
    config = load_config(logging={"enabled": True, "path": str(tmp_path / "logs" / "requests.log")}).logging
    name = stamped_path(Path(config.path), "hourly", NOW - 30 * HOUR).name
    line = json.dumps({"t": "2026-11-17T05:00:00Z", "path": "/x", "status": 200}).encode() + b"\n"
    (tmp_path / "logs").mkdir()
    left = tmp_path / "logs" / f"{name}.rollup-abc123"
    left.write_bytes(line * 5 + b"not json\n")
    async with backend_store("sqlite", tmp_path) as store:
        fresh = await roll_up(config, store, now=NOW)
        assert fresh.rolled == 0  # a claim this young may belong to a roll-up still running
        stale = time.time() - STALE_CLAIM - 1
        os.utime(left, (stale, stale))
        result = await roll_up(config, store, now=NOW)
        assert (result.rolled, result.malformed) == (5, 1)
        # Counted already before a crash: the same bytes under the same name are not added twice.
        again = tmp_path / "logs" / f"{name}.rollup-def456"
        again.write_bytes(line * 5 + b"not json\n")
        os.utime(again, (stale, stale))
        repeat = await roll_up(config, store, now=NOW)
        assert repeat.duplicate_batches == 1
        rows = await store.log_rollups()
    assert sum(n for _, d, _, n in rows if d == "requests") == 5
    assert list((tmp_path / "logs").iterdir()) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_store_adds_each_batch_once(backend: str, tmp_path: Path) -> None:
    async with backend_store(backend, tmp_path) as store:
        rows = [(NOW - NOW % HOUR, "requests", "", 3), (NOW - NOW % HOUR, "path", "/", 3)]
        assert await store.add_log_rollup("batch-1", rows, lines=3, now=NOW)
        assert not await store.add_log_rollup("batch-1", rows, lines=3, now=NOW)
        assert await store.add_log_rollup("batch-2", rows[:1], lines=2, now=NOW)
        hour = NOW - NOW % HOUR
        assert sorted(await store.log_rollups()) == [(hour, "path", "/", 3), (hour, "requests", "", 6)]
        assert await store.log_rollups(since=hour + 1) == []
        assert await store.log_rollups(until=hour) == []
        assert len(await store.log_rollups(since=hour, until=hour + 1)) == 2


def test_cli_logs_rollup_stats_and_prune(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_path = tmp_path / "consentgate.toml"
    config_path.write_text(
        f'database = "sqlite:///{tmp_path / "cg.db"}"\n'
        f'[logging]\nenabled = true\npath = "{tmp_path / "logs" / "requests.log"}"\n'
    )

    def write(t: float, path: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        record = {"t": stamp, "path": path, "status": 200, "ms": 3.2, "bytes": 10, "browser": "Firefox"}
        append_locked(
            stamped_path(tmp_path / "logs" / "requests.log", "hourly", t), json.dumps(record).encode() + b"\n"
        )

    now = time.time()
    assert main(["migrate", "--config", str(config_path)]) == 0
    for i in range(4):
        write(now - 30 * HOUR + i, "/old")
    write(now - 60, "/new")
    capsys.readouterr()

    assert main(["logs", "rollup", "--config", str(config_path)]) == 0
    assert "rolled up 4 request-log lines from 1 files" in capsys.readouterr().out

    since = str(int(now - 48 * HOUR))
    assert main(["logs", "stats", "--config", str(config_path), "--since", since, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["requests"] == 5
    assert report["paths"] == {"/old": 4, "/new": 1}
    assert report["latency_ms"]["p50"] == 3.98

    assert main(["logs", "stats", "--config", str(config_path), "--since", since]) == 0
    text = capsys.readouterr().out
    assert "5 requests" in text and "/old" in text

    write(now - 40 * HOUR, "/older")
    assert main(["prune", "--config", str(config_path)]) == 0
    assert "rolled up 1 request-log lines" in capsys.readouterr().out

    assert (
        main(["logs", "stats", "--config", str(config_path), "--since", str(now), "--until", str(now - 1)])
        == 2
    )
    assert "--since must be before --until" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["logs", "stats", "--since", "yesterday-ish"])
    assert exit_info.value.code == 2
