"""The reverse proxy: the gate in front of any website, whatever it runs on.

:class:`ProxyApp` forwards each request to one origin with a shared ``httpx.AsyncClient``;
``ConsentMiddleware(ProxyApp(upstream=…), secret_key=…)`` gates the whole site. Modules:
:mod:`.app` the ASGI app (lifespan, the client); :mod:`.exchange` one request streamed both ways;
:mod:`.headers` hop-by-hop and forwarding headers of the request; :mod:`.rewriting` the origin's
response headers that name it; :mod:`.failures` 502/504/413 pages and the log line;
:mod:`.websocket` WebSockets relayed with the ``websockets`` library.
"""

from __future__ import annotations

from .app import ProxyApp

__all__ = ["ProxyApp"]
