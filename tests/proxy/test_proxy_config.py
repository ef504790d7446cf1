"""The ``[proxy]`` section, checked at start-up like every other: from TOML, from keywords, in ProxyApp."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest

from consentgate import ConfigError, ProxyApp, load_config
from consentgate.cli.main import main


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'upstream = "ftp://example.org"',
            "'proxy.upstream' is 'ftp://example.org'; use an http:// or https:// URL",
        ),
        ('upstream = "http://example.org/?q=1"', "no query or user"),
        ('upstream = "http://example.org:99999"', "not a URL"),
        ('host = "origin"', "'proxy.host' is 'origin'; allowed values are 'preserve', 'upstream'"),
        ('forwarded = "x-real-ip"', "'proxy.forwarded' is 'x-real-ip'"),
        ("read_timeout_seconds = 0", "'proxy.read_timeout_seconds' must be above 0"),
        ("total_timeout_seconds = -1", "'proxy.total_timeout_seconds' must be 0 (no limit) or more"),
        ("pool_size = 0", "'proxy.pool_size' must be 1 or more"),
        ('max_body_bytes = "1M"', "'proxy.max_body_bytes' must be a whole number, not str"),
        ('headers = { Host = "x" }', "'proxy.headers.Host' is not a header the proxy may add"),
        ('headers = { "X-Forwarded-For" = "1.2.3.4" }', "'proxy.headers.X-Forwarded-For' is not a header"),
        ("bogus = 1", "unknown key 'proxy.bogus'"),
    ],
)
def test_a_bad_proxy_section_is_one_sentence_naming_the_key(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "consentgate.toml"
    path.write_text(f"[proxy]\n{table}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_consentgate_check_refuses_a_bad_proxy_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "consentgate.toml"
    path.write_text('[proxy]\nupstream = "example.org"\n')
    assert main(["check", str(path)]) == 1
    assert "'proxy.upstream' is 'example.org'" in capsys.readouterr().err


def test_proxy_app_takes_the_section_or_keywords(tmp_path: Path) -> None:
    path = tmp_path / "consentgate.toml"
    path.write_text(
        '[proxy]\nupstream = "http://10.0.0.5:8080/"\nread_timeout_seconds = 9\n'
        '[logging]\ntrusted_proxies = ["10.0.0.0/8"]\n'
    )
    config = load_config(path)
    from_file = ProxyApp(config=config)
    assert from_file.config.upstream == "http://10.0.0.5:8080"  # the trailing slash is dropped
    assert from_file.config.read_timeout_seconds == 9
    overridden = ProxyApp("http://127.0.0.1:9000", config=config, read_timeout_seconds=2, host="upstream")
    assert (overridden.config.upstream, overridden.config.read_timeout_seconds) == (
        "http://127.0.0.1:9000",
        2,
    )
    assert overridden.config.host == "upstream"
    with pytest.raises(ConfigError, match=r"'proxy\.read_timeout_seconds' must be a number, not str"):
        ProxyApp("http://127.0.0.1:9000", read_timeout_seconds="2")
    with pytest.raises(ConfigError, match=r"unknown key 'proxy\.timeout'"):
        ProxyApp("http://127.0.0.1:9000", timeout=2)
    with pytest.raises(ConfigError, match=r"no upstream to forward to; pass ProxyApp\(upstream="):
        ProxyApp()


async def test_lifespan_opens_and_closes_the_client() -> None:
    app = ProxyApp("http://127.0.0.1:9000")
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[str] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message["type"])

    await inbox.put({"type": "lifespan.startup"})
    await inbox.put({"type": "lifespan.shutdown"})
    client = app.client()
    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert client.is_closed
