"""One router for every route the gate answers itself, with one HEAD policy.

Each capability returns the :class:`Route` objects it serves; the middleware mounts them all on one
:class:`Router`. ``HEAD`` is answered everywhere as ``GET`` without a body: the GET handler runs (it
sees ``GET``, so it needs no HEAD branch of its own) and the router drops the body bytes it sends,
keeping the status and headers, ``Content-Length`` included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from starlette.types import Message, Receive, Scope, Send

from ..errors import HTTPError
from .json import send_error

__all__ = ["Handler", "Route", "Router"]

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    """``methods`` (``{"GET": handler, ...}``) at exactly ``path``, or at every path under it with ``prefix``.

    A prefix route answers for every method (its handler decides, raising ``HTTPError(405)``); its
    ``methods`` holds that one handler under ``"*"``. ``HEAD`` is never listed: it follows ``GET``.
    """

    path: str
    methods: Mapping[str, Handler] = field(default_factory=lambda: MappingProxyType({}))
    prefix: bool = False

    @classmethod
    def get(cls, path: str, handler: Handler) -> Route:
        """A route that answers ``GET`` (and so ``HEAD``) at ``path``."""
        return cls(path, MappingProxyType({"GET": handler}))

    @classmethod
    def mount(cls, path: str, handler: Handler) -> Route:
        """Every method at every path under ``path`` goes to ``handler``."""
        return cls(path, MappingProxyType({"*": handler}), prefix=True)


class Router:
    """Dispatches the gate's own paths to the routes it was built with; unknown paths answer 404.

    Two routes for the same method and path, or a route that lists ``HEAD``, are refused when the
    router is built (at start-up), not found out on some request later.
    """

    def __init__(self, routes: Iterable[Route]) -> None:
        self._exact: dict[str, dict[str, Handler]] = {}
        self._prefixes: list[tuple[str, Handler]] = []
        for route in routes:
            if "HEAD" in route.methods:
                raise ValueError(f"route {route.path!r} lists HEAD; HEAD is answered as GET without a body.")
            if route.prefix:
                if any(path == route.path for path, _ in self._prefixes):
                    raise ValueError(f"two routes are mounted at {route.path!r}.")
                self._prefixes.append((route.path, route.methods["*"]))
                continue
            methods = self._exact.setdefault(route.path, {})
            for method, handler in route.methods.items():
                if method in methods:
                    raise ValueError(f"two routes answer {method} {route.path!r}.")
                methods[method] = handler
        # The longest prefix wins, whatever order the capabilities came in.
        self._prefixes.sort(key=lambda item: len(item[0]), reverse=True)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request (errors become the contract's JSON error shape)."""
        path: str = scope["path"]
        method: str = scope["method"]
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
            send = _without_body(send)
        try:
            await self._handler(path, method)(scope, receive, send)
        except HTTPError as error:
            await send_error(send, error)

    def _handler(self, path: str, method: str) -> Handler:
        methods = self._exact.get(path)
        if methods is None:
            for prefix, handler in self._prefixes:
                if path.startswith(prefix):
                    return handler
            raise HTTPError(404, "not_found", f"The gate has no route {path!r}.")
        found = methods.get("GET" if method == "HEAD" else method)
        if found is None:
            allowed = ", ".join(sorted({*methods, "HEAD"} if "GET" in methods else methods))
            raise HTTPError(
                405,
                "method_not_allowed",
                f"{method} is not allowed on {path}; use {allowed}.",
                {"Allow": allowed},
            )
        return found


def _without_body(send: Send) -> Send:
    """``send`` for a HEAD request: the status and headers pass, the body bytes do not."""

    def send_head(message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.body" and message.get("body"):
            message = {**message, "body": b""}
        return send(message)

    return send_head
