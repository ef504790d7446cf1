"""Each framework example, started as a user would (uvicorn on 127.0.0.1): a tracker is made inert,
and a choice made through the gate's route is recorded in the ledger and seen by the app."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from consentgate.scan.tags import find_tags
from consentgate.store import open_store
from tests.support.site import SECRET, free_port

ROOT = Path(__file__).resolve().parent.parent
GA_SCRIPT = "https://www.googletagmanager.com/gtag/js?id="


@dataclass(frozen=True)
class Example:
    name: str
    command: tuple[str, ...]  # {port} and {database} are filled in
    whoami: bool  # the example has a /whoami route that reads scope["consent"]


EXAMPLES = [
    Example(
        "starlette",
        ("-m", "consentgate.cli", "demo", "--port", "{port}", "--database", "{database}"),
        whoami=False,
    ),
    Example(
        "fastapi",
        ("-m", "uvicorn", "examples.fastapi_app.app:app", "--host", "127.0.0.1", "--port", "{port}"),
        whoami=True,
    ),
    Example(
        "litestar",
        ("-m", "uvicorn", "examples.litestar_app.app:app", "--host", "127.0.0.1", "--port", "{port}"),
        whoami=True,
    ),
]


@dataclass(frozen=True)
class Running:
    url: str
    database: str


@pytest.fixture(params=EXAMPLES, ids=[e.name for e in EXAMPLES])
def running(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Example, Running]]:
    example: Example = request.param
    port = free_port()
    database = f"sqlite:///{tmp_path / 'ledger.db'}"
    args = [part.format(port=port, database=database) for part in example.command]
    env = {
        **os.environ,
        "CONSENTGATE_SECRET_KEY": SECRET,
        "CONSENTGATE_DATABASE": database,
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, *args, "--log-level", "warning"] if "uvicorn" in args else [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield example, Running(url, database)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise AssertionError(f"the example exited with {process.returncode}:\n{output}")
        try:
            httpx.get(url + "/consentgate/consent", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the example did not start listening")


async def test_a_tracker_is_made_inert(running: tuple[Example, Running]) -> None:
    _, site = running
    async with httpx.AsyncClient(base_url=site.url, timeout=10) as client:
        page = await client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        # Read with the scanner's tokenizer (independent of the rewriter): the analytics script is
        # there, but in the gate's inert form only.
        scripts = [t for t in find_tags(page.text) if t.kind == "script" and t.url.startswith(GA_SCRIPT)]
        assert scripts, "the page lost its analytics tag"
        assert all(t.inert for t in scripts), scripts
        # gtag.js serves Analytics (G-) and Ads (AW-); the tag id decides the category.
        assert {t.category for t in scripts if "?id=G-" in t.url} == {"analytics"}
        assert f' src="{GA_SCRIPT}' not in page.text  # only data-cg-src="..." remains


async def test_a_choice_is_recorded_and_seen_by_the_app(running: tuple[Example, Running]) -> None:
    example, site = running
    async with httpx.AsyncClient(base_url=site.url, timeout=10) as client:
        choice = await client.post(
            "/consentgate/consent", json={"action": "accept_all"}, headers={"origin": site.url}
        )
        assert choice.status_code == 200, choice.text
        state = choice.json()
        assert state["decided"] is True and state["categories"]["analytics"] is True
        assert "consentgate" in client.cookies

        again = await client.get("/consentgate/consent")
        assert again.json()["id"] == state["id"] and again.json()["decided"] is True
        if example.whoami:
            seen = (await client.get("/whoami")).json()
            assert seen["decided"] is True and seen["allows"]["analytics"] is True

    store = open_store(site.database)
    await store.open()
    try:
        records = await store.records(state["id"])
    finally:
        await store.close()
    assert [r.action for r in records] == ["accept_all"]
    assert records[0].categories["analytics"] is True
