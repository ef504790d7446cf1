"""The request log's line: one request's facts turned into its JSON text, on the writer thread.

The line is built as text, from fragments cached per distinct value (a site sees few distinct user
agents, referrer origins, consent states and seconds), because building a dict and ``json.dumps``
per request, plus a stock ``LogRecord``, cost several times more than the few string joins below;
the request log's whole budget is a few percent of a small request.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit

from ..consent.model import Consent
from .client_ip import truncate
from .useragent import summarize

__all__ = ["Facts", "LineBuilder"]

#: Longest path kept in a line (a path is not a place to store data, but some sites do).
_MAX_PATH = 256

_METHODS = {m: f'"{m}"' for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")}
#: Most distinct values each fragment cache keeps before it starts again (bounds memory).
_CACHE_SIZE = 4096


def _iso(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _json_text(value: str) -> str:
    """``value`` as a JSON string (the common case, plain printable ASCII, without ``json``)."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(value)


@functools.lru_cache(maxsize=1024)
def _origin(referrer: str) -> str | None:
    """``https://host[:port]`` of an http(s) referrer; never its path, query or user info."""
    try:
        parts = urlsplit(referrer)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _ua_fragment(user_agent: bytes) -> str:
    ua = summarize(user_agent.decode("latin-1"))
    return (
        f'"browser":{_json_text(ua.browser)},"browser_major":{_json_text(ua.browser_major)},'
        f'"os":{_json_text(ua.os)},"device":{_json_text(ua.device)},"bot":{"true" if ua.bot else "false"}'
    )


def _referrer_fragment(referrer: bytes) -> str:
    origin = _origin(referrer.decode("latin-1")) if referrer else None
    return "null" if origin is None else _json_text(origin)


def _consent_fragment(consent: Consent) -> str:
    region = "null" if consent.region is None else _json_text(consent.region)
    granted = ",".join(_json_text(name) for name in sorted(consent.granted))
    return (
        f'{{"decided":{"true" if consent.decided else "false"},"granted":[{granted}],'
        f'"gpc":{"true" if consent.gpc else "false"},"region":{region}}}'
    )


#: time, duration, status, bytes, method, path, address (the truncated IP, or the socket peer when no
#: proxy is trusted), User-Agent, Referer, consent.
Facts = tuple[int, float, int, int, str, str, Any, bytes, bytes, Any]


class LineBuilder:
    """Turns one request's facts into its JSON line, on the writer thread only (the caches are its own).

    Every part that repeats is cached as finished JSON text: per distinct user agent, referrer and
    consent object (the gate shares one immutable ``Consent`` per state, so the object itself is the
    key; the entry holds it, so its id cannot be reused while cached), and the time per second.
    """

    __slots__ = ("_consent", "_peer_profile", "_referrer", "_second", "_time", "_user_agent")

    def __init__(self, peer_profile: Literal["default", "strict"] | None = None) -> None:
        #: Set when the facts carry the socket peer (to truncate with this profile), not an IP.
        self._peer_profile = peer_profile
        self._user_agent: dict[bytes, str] = {}
        self._referrer: dict[bytes, str] = {}
        self._consent: dict[int, tuple[object, str]] = {}
        self._second = -1
        self._time = ""

    def line(self, facts: Facts) -> str:
        started, elapsed, status, sent, method, path, address, user_agent, referrer, consent = facts
        if self._peer_profile is None:
            ip = address
        else:
            ip = truncate(str(address[0]), self._peer_profile) if address else None
        if started != self._second:
            self._second, self._time = started, f'{{"t":"{_iso(started)}"'
        ua = self._user_agent.get(user_agent) or self._miss(self._user_agent, user_agent, _ua_fragment)
        origin = self._referrer.get(referrer) or self._miss(self._referrer, referrer, _referrer_fragment)
        hit = self._consent.get(id(consent))
        summary = hit[1] if hit is not None and hit[0] is consent else self._consent_miss(consent)
        # An IP is digits, dots, hex digits and colons: no escaping needed.
        ip_text = "null" if ip is None else '"' + ip + '"'
        # No response started: the app failed, and the server answers 500.
        return (
            f'{self._time},"method":{_METHODS.get(method) or _json_text(method)},'
            f'"path":{_json_text(path[:_MAX_PATH])},"status":{status or 500},'
            f'"ms":{round(elapsed * 1000, 2)},"bytes":{sent},'
            f'"ip":{ip_text},{ua},"referrer":{origin},"consent":{summary}}}'
        )

    @staticmethod
    def _miss(cache: dict[bytes, str], value: bytes, build: Callable[[bytes], str]) -> str:
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        fragment = cache[value] = build(value)
        return fragment

    def _consent_miss(self, consent: object) -> str:
        # Not a Consent: the gate's own routes (None), or something the app put there.
        summary = _consent_fragment(consent) if isinstance(consent, Consent) else "null"
        if len(self._consent) >= _CACHE_SIZE:
            self._consent.clear()
        self._consent[id(consent)] = (consent, summary)
        return summary
