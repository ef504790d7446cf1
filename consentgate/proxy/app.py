"""``ProxyApp``: a pure ASGI app that forwards every request to one origin.

Put the gate around it and any website is gated, whatever it runs on::

    app = ConsentMiddleware(ProxyApp(upstream="http://127.0.0.1:8080"), secret_key=SECRET)

The gate answers its own routes and never passes them on; everything else goes through
:func:`~consentgate.proxy.exchange.forward`. One ``httpx.AsyncClient`` per process (opened on the
first request or at ASGI lifespan start-up, closed at lifespan shutdown or :meth:`ProxyApp.aclose`)
keeps a bounded pool of keep-alive connections to the origin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Literal

import httpx
from starlette.types import Receive, Scope, Send

from ..config import Config, load_config
from ..config.proxy_section import ProxyConfig
from ..errors import ConfigError
from .exchange import Upstream, forward
from .headers import Forwarding
from .websocket import refuse_upgrade, relay_websocket, wants_upgrade

__all__ = ["ProxyApp"]


class ProxyApp:
    """Forward every request to ``upstream`` (an ``http(s)://host[:port][/prefix]`` URL).

    ``config`` is a :class:`~consentgate.config.Config` (its ``[proxy]`` section, and the
    ``logging.trusted_proxies`` whose forwarding headers are believed), a ``ProxyConfig``, or None
    for the defaults; ``upstream`` and keyword ``overrides`` (any key of ``[proxy]``, e.g.
    ``read_timeout_seconds=10``) replace its values and are checked the same way.
    ``trusted_proxies``/``proxy_header`` override the ``[logging]`` keys of the same meaning.
    ``client`` injects the ``httpx.AsyncClient`` to use (its owner closes it).

    Raises :class:`~consentgate.errors.ConfigError` (one sentence naming the key) for a bad value.
    """

    def __init__(
        self,
        upstream: str | None = None,
        *,
        config: Config | ProxyConfig | None = None,
        trusted_proxies: Iterable[str] | None = None,
        proxy_header: Literal["x-forwarded-for", "forwarded"] | None = None,
        client: httpx.AsyncClient | None = None,
        **overrides: Any,
    ) -> None:
        base = config if isinstance(config, Config) else Config()
        section = config if isinstance(config, ProxyConfig) else base.proxy
        table: dict[str, Any] = {**asdict(section), **overrides}
        if upstream is not None:
            table["upstream"] = upstream
        checked = load_config(
            base,
            proxy=table,
            logging={
                **asdict(base.logging),
                **({"trusted_proxies": tuple(trusted_proxies)} if trusted_proxies is not None else {}),
                **({"proxy_header": proxy_header} if proxy_header is not None else {}),
            },
        )
        self.config: ProxyConfig = checked.proxy
        if not self.config.upstream:
            raise ConfigError(
                "no upstream to forward to; pass ProxyApp(upstream='http://host:port') or set 'proxy.upstream'."
            )
        settings = self.config
        host = httpx.URL(settings.upstream).netloc.decode("ascii")
        forwarding = Forwarding(
            style=settings.forwarded,
            host_mode=settings.host,
            upstream_host=host,
            trusted=checked.logging.trusted_proxies,
            incoming=checked.logging.proxy_header,
            extra=settings.headers.items(),
        )
        self._own_client = client is None
        self._client = client
        self.upstream = Upstream(
            settings.upstream,
            client=self.client,
            forwarding=forwarding,
            max_body=settings.max_body_bytes,
            total=settings.total_timeout_seconds,
        )

    def client(self) -> httpx.AsyncClient:
        """The shared client (made on first use, in the serving event loop)."""
        client = self._client
        if client is None:
            settings = self.config
            limits = httpx.Limits(
                max_connections=settings.pool_size,
                max_keepalive_connections=settings.pool_size,
                keepalive_expiry=30.0,
            )
            timeout = httpx.Timeout(
                connect=settings.connect_timeout_seconds,
                read=settings.read_timeout_seconds,
                write=settings.read_timeout_seconds,
                pool=settings.connect_timeout_seconds,
            )
            # The proxy keeps no cookies: each request carries the visitor's own.
            jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
            client = self._client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(limits=limits, retries=0),
                timeout=timeout,
                follow_redirects=False,
                trust_env=False,
                cookies=jar,
            )
        return client

    async def aclose(self) -> None:
        """Close the shared client (its connections to the origin), if this app made it."""
        client, self._client = self._client, None
        if client is not None and self._own_client:
            await client.aclose()
        elif client is not None:
            self._client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if wants_upgrade(scope):
                await refuse_upgrade(send)
                return
            await forward(self.upstream, scope, receive, send)
        elif kind == "websocket":
            await relay_websocket(
                scope,
                receive,
                send,
                upstream=self.config.upstream,
                forwarding=self.upstream.forwarding,
                open_timeout=self.config.connect_timeout_seconds + self.config.read_timeout_seconds,
            )
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.client()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
