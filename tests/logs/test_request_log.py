"""The minimal request log, through real requests: every field, and what must never be written."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from consentgate import ConsentMiddleware
from consentgate.config import LoggingConfig
from consentgate.errors import ConfigError
from consentgate.logs.request_log import RequestLog
from consentgate.store import Store
from tests.support.site import ORIGIN, SECRET, free_port, site_app
from tests.support.stores import backend_store

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CLIENT_V4 = "203.0.113.77"
CLIENT_V6 = "2001:db8:abcd:12:3456:789a:bcde:f012"
PROXY = "10.0.0.5"


def make_gate(tmp_path: Path, app: Any = None, **logging: Any) -> ConsentMiddleware:
    settings: dict[str, Any] = {
        "enabled": True,
        "path": str(tmp_path / "logs" / "requests.log"),
        "rollup_every_minutes": 0,
    }
    settings.update(logging)
    return ConsentMiddleware(
        app or site_app(),
        secret_key=SECRET,
        database=f"sqlite:///{tmp_path / 'cg.db'}",
        logging=settings,
        region={"trusted_headers": ["CF-IPCountry"]},
    )


def written(tmp_path: Path) -> bytes:
    """Every byte the log wrote, all files together."""
    folder = tmp_path / "logs"
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir())) if folder.exists() else b""


def lines(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in written(tmp_path).splitlines()]


def client(gate: ConsentMiddleware, peer: str = CLIENT_V4) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=gate, client=(peer, 40000)), base_url=ORIGIN)


async def test_every_field_and_nothing_else(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    secret_query = "gclid=Cj0KCQsecretclick&email=jane.doe%40example.com"
    async with client(gate) as c:
        response = await c.get(
            f"/whoami?{secret_query}",
            headers={
                "user-agent": FIREFOX,
                "referer": "https://jane:pw@www.google.com:8443/search?q=jane+doe+address#frag",
                "cookie": "sessionid=CookieValue0xDEADBEEF; other=AnotherCookieVal",
                "authorization": "Bearer AuthSecretToken12345",
                "sec-gpc": "1",
                "cf-ipcountry": "FR",
            },
        )
        assert response.status_code == 200
        body_size = len(response.content)
    await gate.aclose()

    [line] = lines(tmp_path)
    assert set(line) == {
        "t", "method", "path", "status", "ms", "bytes", "ip", "browser", "browser_major",
        "os", "device", "bot", "referrer", "consent",
    }  # fmt: skip
    assert line["method"] == "GET"
    assert line["path"] == "/whoami"
    assert line["status"] == 200
    assert line["bytes"] == body_size
    assert isinstance(line["ms"], float) and line["ms"] >= 0
    assert line["ip"] == "203.0.113.0"
    assert (line["browser"], line["browser_major"], line["os"], line["device"], line["bot"]) == (
        "Firefox", "121", "Windows", "pc", False,
    )  # fmt: skip
    assert line["referrer"] == "https://www.google.com:8443"
    assert line["consent"] == {"decided": False, "granted": ["necessary"], "gpc": True, "region": "FR"}
    assert len(line["t"]) == 20 and line["t"].endswith("Z")  # to the second, UTC

    raw = written(tmp_path)
    for never in (
        CLIENT_V4,
        FIREFOX,
        "Gecko/20100101",
        secret_query,
        "gclid",
        "Cj0KCQsecretclick",
        "jane.doe",
        "CookieValue0xDEADBEEF",
        "AnotherCookieVal",
        "sessionid",
        "AuthSecretToken12345",
        "Bearer",
        "/search",
        "q=jane",
        "jane:pw",
    ):
        assert never.encode() not in raw, never


async def test_bodies_and_choice_cookies_are_never_written(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    async with client(gate) as c:
        chosen = await c.post(
            "/consentgate/consent",
            json={"action": "accept_all", "language": "en"},
            headers={"origin": ORIGIN, "user-agent": IPHONE},
        )
        assert chosen.status_code == 200
        signed = chosen.cookies["consentgate"]
        page = await c.get("/whoami", headers={"user-agent": IPHONE})
        assert page.json()["decided"] is True
    await gate.aclose()

    post, after = lines(tmp_path)
    assert (post["method"], post["path"], post["status"], post["consent"]) == (
        "POST", "/consentgate/consent", 200, None,
    )  # fmt: skip
    assert (after["browser"], after["os"], after["device"]) == ("Mobile Safari", "iOS", "mobile")
    assert after["consent"]["decided"] is True
    assert after["consent"]["granted"] == ["advertising", "analytics", "necessary", "social"]
    raw = written(tmp_path)
    assert signed.encode() not in raw
    assert b"accept_all" not in raw  # the request body
    assert b"consentgate=" not in raw


async def test_untrusted_peer_cannot_forge_its_address(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, trusted_proxies=[PROXY])
    async with client(gate, peer="198.51.100.23") as c:
        await c.get("/", headers={"x-forwarded-for": "1.2.3.4"})
        await c.get("/", headers={"forwarded": "for=1.2.3.4"})
    await gate.aclose()
    assert [line["ip"] for line in lines(tmp_path)] == ["198.51.100.0", "198.51.100.0"]
    assert b"1.2.3" not in written(tmp_path)


async def test_trusted_proxy_chain_is_walked_from_the_right(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, trusted_proxies=["10.0.0.0/8", "192.168.1.1"])
    async with client(gate, peer=PROXY) as c:
        # The visitor wrote 6.6.6.6 themselves; our two proxies appended the real address and their own.
        await c.get("/", headers={"x-forwarded-for": f"6.6.6.6, {CLIENT_V4}, 192.168.1.1"})
        await c.get("/", headers={"x-forwarded-for": CLIENT_V6})
        await c.get("/")  # no header: the proxy itself is all we know
        await c.get("/", headers={"x-forwarded-for": "not-an-ip"})
    await gate.aclose()
    assert [line["ip"] for line in lines(tmp_path)] == ["203.0.113.0", "2001:db8:abcd::", "10.0.0.0", None]
    raw = written(tmp_path)
    assert CLIENT_V4.encode() not in raw and CLIENT_V6.encode() not in raw and b"6.6.6" not in raw


async def test_forwarded_header_when_configured(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, trusted_proxies=[PROXY], proxy_header="forwarded")
    async with client(gate, peer=PROXY) as c:
        await c.get("/", headers={"forwarded": f'for=6.6.6.6, for="[{CLIENT_V6}]:4711";proto=https'})
        await c.get("/", headers={"forwarded": f"for={CLIENT_V4}:1234", "x-forwarded-for": "6.6.6.6"})
    await gate.aclose()
    assert [line["ip"] for line in lines(tmp_path)] == ["2001:db8:abcd::", "203.0.113.0"]


@pytest.mark.parametrize(
    ("profile", "peer", "expected"),
    [
        ("default", CLIENT_V4, "203.0.113.0"),
        ("strict", CLIENT_V4, "203.0.0.0"),
        ("default", CLIENT_V6, "2001:db8:abcd::"),
        ("strict", CLIENT_V6, "2001:db8::"),
        ("default", "::ffff:203.0.113.77", "203.0.113.0"),
        ("default", "testclient", None),
    ],
)
async def test_ipv4_and_ipv6_truncation(
    tmp_path: Path, profile: str, peer: str, expected: str | None
) -> None:
    gate = make_gate(tmp_path, ip_profile=profile)
    async with client(gate, peer=peer) as c:
        await c.get("/")
    await gate.aclose()
    [line] = lines(tmp_path)
    assert line["ip"] == expected
    assert (peer.encode() not in written(tmp_path)) or expected is None


async def test_bots_are_flagged(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    async with client(gate) as c:
        await c.get("/", headers={"user-agent": GOOGLEBOT})
    await gate.aclose()
    [line] = lines(tmp_path)
    assert (line["bot"], line["device"]) == (True, "bot")


async def test_a_failing_app_is_logged_as_500(tmp_path: Path) -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("the app broke")

    async def ok(request: Request) -> Response:
        return PlainTextResponse("x" * 1000)

    app = Starlette(routes=[Route("/boom", boom), Route("/ok", ok)])
    gate = make_gate(tmp_path, app=app)
    transport = httpx.ASGITransport(app=gate, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        assert (await c.get("/boom")).status_code == 500
        assert (await c.get("/ok")).status_code == 200
    await gate.aclose()
    boom_line, ok_line = lines(tmp_path)
    assert (boom_line["path"], boom_line["status"]) == ("/boom", 500)
    assert (ok_line["status"], ok_line["bytes"]) == (200, 1000)


async def test_an_app_that_fails_before_its_response_is_logged_as_500(tmp_path: Path) -> None:
    """No response started at all (a bare ASGI app that raises): the line still says 500, 0 bytes."""

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("the app broke before answering")

    gate = make_gate(tmp_path, app=broken)
    transport = httpx.ASGITransport(app=gate, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        await c.get("/broken")
    await gate.aclose()
    [line] = lines(tmp_path)
    assert (line["path"], line["status"], line["bytes"]) == ("/broken", 500, 0)


async def test_many_requests_all_written_once(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    async with client(gate) as c:
        await asyncio.gather(*(c.get(f"/?n={i}", headers={"user-agent": FIREFOX}) for i in range(300)))
    await gate.aclose()
    assert len(lines(tmp_path)) == 300


async def test_stdout_destination(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gate = make_gate(tmp_path, destination="stdout")
    async with client(gate) as c:
        await c.get("/?utm_source=secret", headers={"user-agent": FIREFOX})
    await gate.aclose()
    out = capsys.readouterr().out
    [line] = [json.loads(text) for text in out.splitlines() if text.startswith("{")]
    assert (line["path"], line["ip"], line["browser"]) == ("/", "203.0.113.0", "Firefox")
    assert "utm_source" not in out and CLIENT_V4 not in out
    assert not (tmp_path / "logs").exists()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.formatted: list[str] = []
        self.threads: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.formatted.append(self.format(record))
        self.threads.add(threading.current_thread().name)


async def test_a_site_handler_on_the_logger_gets_every_line_off_the_request_path(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    assert gate.request_log is not None
    collect = _Collect()
    collect.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    gate.request_log.logger.addHandler(collect)
    async with client(gate) as c:
        for path in ("/whoami", "/pricing?x=1", "/whoami"):
            await c.get(path, headers={"user-agent": FIREFOX})
    await gate.aclose()
    assert len(collect.formatted) == 3
    for text, path in zip(collect.formatted, ("/whoami", "/pricing", "/whoami"), strict=True):
        level, name, line = text.split(" ", 2)
        assert (level, name) == ("INFO", "consentgate.requests")
        assert json.loads(line)["path"] == path
    assert collect.threads == {"consentgate-request-log"}  # the writer thread, not the event loop
    assert [json.loads(t.split(" ", 2)[2]) for t in collect.formatted] == lines(tmp_path)


async def test_a_filter_on_the_logger_is_honoured(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    assert gate.request_log is not None
    gate.request_log.logger.addFilter(lambda record: '"path":"/pricing"' not in record.getMessage())
    async with client(gate) as c:
        for path in ("/whoami", "/pricing", "/whoami"):
            await c.get(path)
    await gate.aclose()
    assert [line["path"] for line in lines(tmp_path)] == ["/whoami", "/whoami"]


async def test_logging_off_writes_nothing(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, enabled=False)
    assert gate.request_log is None
    async with client(gate) as c:
        assert (await c.get("/")).status_code == 200
    await gate.aclose()
    assert not (tmp_path / "logs").exists()


def test_config_mistakes_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'logging.trusted_proxies' lists 'proxy.internal'"):
        make_gate(tmp_path, trusted_proxies=["proxy.internal"])
    with pytest.raises(ConfigError, match=r"'logging.ip_profile'"):
        make_gate(tmp_path, ip_profile="loose")
    with pytest.raises(ConfigError, match=r"'logging.window_hours'"):
        make_gate(tmp_path, window_hours=0)
    with pytest.raises(ConfigError, match=r"'logging.rotation' = 'daily'"):
        make_gate(tmp_path, rotation="daily", window_hours=6)


async def test_from_config_needs_only_the_section_and_a_store(tmp_path: Path) -> None:
    """No gate: the logging section, and the store to await on each roll-up of the schedule."""
    async with backend_store("sqlite", tmp_path) as opened:
        asked = asyncio.Event()

        async def store() -> Store:
            asked.set()
            return opened

        assert RequestLog.from_config(LoggingConfig(), store) is None
        path = str(tmp_path / "logs" / "requests.log")
        log = RequestLog.from_config(LoggingConfig(enabled=True, path=path, rollup_every_minutes=10), store)
        assert log is not None
        assert not asked.is_set()  # the schedule starts with the first request, not before

        async def send(message: Any) -> None:
            return None

        log.end({"headers": [], "method": "GET", "path": "/"}, log.begin(send))
        await asyncio.wait_for(asked.wait(), 10)
        await log.aclose()
    assert [json.loads(line)["path"] for line in written(tmp_path).splitlines()] == ["/"]


@pytest.fixture
def uvicorn_gate(tmp_path: Path) -> Iterator[tuple[str, ConsentMiddleware]]:
    """The gate under a real uvicorn on 127.0.0.1, which it trusts as a proxy."""
    gate = make_gate(tmp_path, trusted_proxies=["127.0.0.1"])
    port = free_port()
    config = uvicorn.Config(
        gate, host="127.0.0.1", port=port, log_level="error", access_log=False, proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    yield f"http://127.0.0.1:{port}", gate
    server.should_exit = True
    thread.join(10)


def test_real_server_requests(tmp_path: Path, uvicorn_gate: tuple[str, ConsentMiddleware]) -> None:
    base, gate = uvicorn_gate
    with httpx.Client(base_url=base) as c:
        assert c.get("/?fbclid=IwAR0secret", headers={"user-agent": IPHONE}).status_code == 200
        assert c.get("/whoami", headers={"x-forwarded-for": CLIENT_V6, "user-agent": FIREFOX}).is_success
        assert c.get("/nope").status_code == 404
    assert gate.request_log is not None
    # The server logs a request just after its response went out, and the writer batches lines:
    # wait (bounded) for the third line before closing, instead of racing it.
    deadline = time.monotonic() + 10
    while len(lines(tmp_path)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    gate.request_log.close()
    first, second, third = lines(tmp_path)
    assert (first["path"], first["ip"], first["device"]) == ("/", "127.0.0.0", "mobile")
    assert (second["ip"], second["browser"]) == ("2001:db8:abcd::", "Firefox")
    assert (third["path"], third["status"]) == ("/nope", 404)
    raw = written(tmp_path)
    assert b"fbclid" not in raw and CLIENT_V6.encode() not in raw and IPHONE.encode() not in raw
