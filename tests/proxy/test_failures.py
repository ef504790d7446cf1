"""Failures are pages, not tracebacks: 502 for an origin that is gone, 504 for one too slow, 413 for a
body over the limit (before it is read whole), each with one log line naming the upstream."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.proxy.conftest import GatedClient, hits, node_server

JSON = {"accept": "application/json"}


async def test_a_killed_upstream_gives_502(gated: GatedClient, caplog: pytest.LogCaptureFixture) -> None:
    with node_server() as (url, process):
        async with gated(url) as client:
            assert (await client.get("/echo")).status_code == 200
            process.kill()
            process.wait()
            caplog.set_level(logging.WARNING, logger="consentgate.proxy")
            page = await client.get("/echo")
            as_json = await client.get("/echo", headers=JSON)
    assert page.status_code == 502
    assert page.headers["content-type"].startswith("text/html")
    assert "cannot be reached" in page.text
    assert as_json.status_code == 502
    assert as_json.json() == {
        "error": "bad_gateway",
        "detail": "The site cannot be reached right now; try again shortly.",
    }
    lines = [r.getMessage() for r in caplog.records if r.name == "consentgate.proxy"]
    assert len(lines) == 2
    assert url in lines[0] and "GET /echo" in lines[0] and "502" in lines[0]


async def test_a_hanging_upstream_gives_504(
    gated: GatedClient, node_origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="consentgate.proxy")
    async with gated(node_origin, read_timeout_seconds=0.3) as client:
        silent = await client.get("/hang", headers=JSON)
        stalled = await client.get("/slow-body", headers=JSON)
    async with gated(node_origin, total_timeout_seconds=0.3) as client:
        too_long = await client.get("/hang")
    for response in (silent, stalled, too_long):
        assert response.status_code == 504
    assert silent.json()["error"] == "upstream_timeout"
    assert "did not answer in time" in too_long.text
    lines = [r.getMessage() for r in caplog.records if r.name == "consentgate.proxy"]
    assert len(lines) == 3 and all(node_origin in line and "504" in line for line in lines)


async def test_a_body_over_the_limit_gives_413_before_it_is_read(
    gated: GatedClient, node_origin: str
) -> None:
    read = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(1000):
            read += 1
            yield b"z" * 1000

    before = hits(node_origin).get("/echo", 0)
    async with gated(node_origin, max_body_bytes=4000) as client:
        declared = await client.post("/echo", content=b"x" * 5000, headers=JSON)
        after_declared = hits(node_origin).get("/echo", 0)
        chunked = await client.post("/echo", content=endless(), headers=JSON)
        fits = await client.post("/echo", content=b"x" * 4000)
    assert declared.status_code == 413
    assert declared.json()["error"] == "body_too_large"
    assert declared.headers["connection"] == "close"
    assert after_declared == before  # refused on its Content-Length: the origin never saw it
    assert chunked.status_code == 413
    assert read < 1000  # refused as soon as it was over, not after reading it all
    assert fits.json()["bodyBytes"] == 4000
