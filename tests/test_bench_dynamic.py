"""bench/bench_dynamic.py: its pages really change on every request, and a smoke run still works."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from bench_dynamic import bare_app, gated_app, main

# Read independently of the benchmark's own checks, so a bug there cannot hide here.
CSRF = re.compile(rb'<input type="hidden" name="csrf_token" value="([^"]+)">')
DATALAYER = re.compile(rb'dataLayer\.push\(\{[^}]*"requestId": "([^"]+)", "renderedAt": (\d+)')
SCRIPT = re.compile(rb"<script\b[^>]*>")
NONCE = re.compile(rb'\snonce="([^"]*)"')


def fresh_values(response: httpx.Response) -> tuple[bytes, bytes, bytes, list[bytes | None]]:
    """The header's nonce, the CSRF token, the dataLayer request id, and each script's nonce."""
    assert response.status_code == 200
    header = re.search(r"script-src 'nonce-([^']+)'", response.headers["content-security-policy"])
    token = CSRF.search(response.content)
    data = DATALAYER.search(response.content)
    assert header is not None and token is not None and data is not None
    scripts = [
        m.group(1) if (m := NONCE.search(tag)) else None
        for tag in SCRIPT.findall(response.content)
        if b'type="application/json"' not in tag  # the gate's config: data, never run
    ]
    return header.group(1).encode(), token.group(1), data.group(1), scripts


@pytest.mark.parametrize("mode", ["bare", "uniform", "per_visitor"])
async def test_every_response_has_fresh_values_and_every_script_its_nonce(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_DYNAMIC_DATABASE", f"sqlite:///{tmp_path}/ledger.db")
    monkeypatch.setenv("BENCH_DYNAMIC_MODE", mode)
    app = bare_app() if mode == "bare" else gated_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for path, size in (("/page/20", 20 * 1024), ("/page/100", 100 * 1024)):
            first, second = await client.get(path), await client.get(path)
            a, b = fresh_values(first), fresh_values(second)
            assert a[0] != b[0] and a[1] != b[1] and a[2] != b[2]
            for nonce, _, _, scripts in (a, b):
                assert len(scripts) >= 14
                assert scripts == [nonce] * len(scripts)
            gated = b"/consentgate/" in first.content
            assert gated == (mode != "bare")
            if gated:  # the gate's own tags came first, and the vendors' tags are inert
                assert first.content.index(b"/consentgate/") < first.content.index(b'"requestId"')
                assert first.content.count(b'type="text/plain" data-cg-category=') >= 5
            else:
                assert size <= len(first.content) < size * 1.1


@pytest.mark.skipif(
    shutil.which("wrk") is None and os.environ.get("CI") != "true", reason="wrk is not installed"
)
def test_a_smoke_run_measures_every_part(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^gated, uniform +[\d,]+ ", out, re.MULTILINE)
    assert re.search(r"^gated, per-visitor +[\d,]+ ", out, re.MULTILINE)
    assert re.search(r"^gate, cold plan +[\d,]+ +[\d,]+$", out, re.MULTILINE)
    assert "target: gated/bare req/s >= 0.8 on 20 KB, per-visitor: " in out
    assert "target: cold rewriter >= 2x lol-html cold on 100 KB: " in out
