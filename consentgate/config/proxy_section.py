"""The ``[proxy]`` section: the origin the reverse proxy forwards to, and how.

Only ``consentgate proxy`` and :class:`~consentgate.proxy.ProxyApp` read it; a gate around a Python
app leaves it empty. What one section can check on its own (a URL the proxy can reach, limits that
make sense, header names) is checked here, at start-up, with one sentence naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from ..errors import ConfigError

__all__ = ["HostMode", "ProxyConfig", "check_upstream"]

HostMode = Literal["preserve", "upstream"]

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: Headers the proxy writes itself or drops (hop-by-hop); an extra header may not name them.
_RESERVED = frozenset(
    {
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
    }
)


def check_upstream(url: str, key: str = "proxy.upstream") -> str:
    """``url`` without a trailing slash, if it is an ``http(s)://host[:port][/prefix]`` URL.

    Raises :class:`~consentgate.errors.ConfigError` with one sentence naming ``key`` otherwise (no query, no fragment, no
    user info: the proxy appends each request's own path and query to it).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigError(f"{key!r} is {url!r}, not a URL; use e.g. 'http://127.0.0.1:8080'.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{key!r} is {url!r}; use an http:// or https:// URL with a host, e.g. 'http://127.0.0.1:8080'."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"{key!r} is {url!r}; give the origin (and a path prefix) only, no query or user.")
    del port  # read only to refuse a bad port
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """The reverse proxy in front of any website (``consentgate proxy``)."""

    #: The origin every request that is not the gate's own is forwarded to, e.g. ``http://127.0.0.1:8080``
    #: (a path prefix is allowed); empty: none (``--upstream`` or ``ProxyApp(upstream=…)`` gives it).
    upstream: str = ""
    #: ``preserve``: the origin gets the ``Host`` the visitor sent (virtual hosts, absolute links
    #: right); ``upstream``: the upstream URL's own host (a CDN or a host-routed backend).
    host: HostMode = "preserve"
    #: ``x-forwarded``: ``X-Forwarded-For/-Proto/-Host``; ``forwarded``: RFC 7239 ``Forwarded``.
    forwarded: Literal["x-forwarded", "forwarded"] = "x-forwarded"
    #: Seconds to open a connection to the origin (then 504).
    connect_timeout_seconds: float = 5.0
    #: Seconds the origin may stay silent, waiting for its headers or between two body reads (then 504,
    #: or the connection closed once the response has started).
    read_timeout_seconds: float = 60.0
    #: Seconds a whole exchange may take, body included; 0: no limit (downloads, server-sent events).
    total_timeout_seconds: float = 0.0
    #: Connections to the origin kept at most (per worker process), reused with keep-alive.
    pool_size: int = 100
    #: A request body above this many bytes is refused with 413 before it is read whole.
    max_body_bytes: int = 64 * 1024 * 1024
    #: Headers added to every request sent to the origin (e.g. a shared secret the origin checks).
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.upstream:
            object.__setattr__(self, "upstream", check_upstream(self.upstream))
        for name in ("connect_timeout_seconds", "read_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"'proxy.{name}' must be above 0 (seconds).")
        if self.total_timeout_seconds < 0:
            raise ConfigError("'proxy.total_timeout_seconds' must be 0 (no limit) or more (seconds).")
        if self.pool_size < 1:
            raise ConfigError("'proxy.pool_size' must be 1 or more (connections to the origin).")
        if self.max_body_bytes < 0:
            raise ConfigError("'proxy.max_body_bytes' must be 0 or more (bytes of a request body).")
        for name, value in self.headers.items():
            if not _TOKEN.match(name) or name.lower() in _RESERVED or name.lower().startswith("proxy-"):
                raise ConfigError(
                    f"'proxy.headers.{name}' is not a header the proxy may add; use another name "
                    "(the hop-by-hop, Host, Via and forwarding headers are the proxy's own)."
                )
            if "\r" in value or "\n" in value:
                raise ConfigError(f"'proxy.headers.{name}' holds a line break; give a one-line value.")
