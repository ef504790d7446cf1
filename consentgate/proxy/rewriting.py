"""The origin's response headers, made right for the visitor.

An origin that does not know it sits behind a proxy names itself in a few headers: a redirect's
``Location``, ``Content-Location``, a ``Refresh`` with ``url=``, and the ``Domain`` of its cookies.
Those that name the upstream (``http://127.0.0.1:8080/...``, or its path prefix) are rewritten to
the public origin the visitor used; the others pass untouched. Hop-by-hop headers are dropped, each
``Set-Cookie`` stays a header of its own, and ``Via`` gets the proxy's entry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from .headers import HOP_BY_HOP, Header, PublicOrigin

__all__ = ["ResponseRewriter"]

_URL_HEADERS = frozenset({b"location", b"content-location"})
_REFRESH_URL = re.compile(rb"(?i)(;\s*url\s*=\s*)(['\"]?)([^'\"]*)")
_DOMAIN = re.compile(rb"(?i)(;\s*domain\s*=\s*)(\.?)([^;\s]*)")


class ResponseRewriter:
    """Rewrites an origin's response headers; built once from the upstream URL."""

    __slots__ = ("_hostname", "_origins", "_prefix", "_via")

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        scheme = parts.scheme.lower()
        hostname = (parts.hostname or "").lower()
        host = f"[{hostname}]" if ":" in hostname else hostname
        default = 443 if scheme == "https" else 80
        port = parts.port or default
        origins = {f"{scheme}://{host}:{port}"}
        if port == default:
            origins.add(f"{scheme}://{host}")
        # Longest first, so "http://h:80" is not read as "http://h" followed by ":80".
        self._origins = tuple(sorted((o.encode("latin-1") for o in origins), key=len, reverse=True))
        self._hostname = hostname.encode("latin-1")
        self._prefix = parts.path.rstrip("/").encode("latin-1")
        self._via = b"consentgate"

    def rewrite(self, headers: Sequence[Header], public: PublicOrigin, http_version: str) -> list[Header]:
        """The headers to send the visitor (names lower-cased)."""
        named: set[bytes] = set()
        for name, value in headers:
            if name.lower() == b"connection":
                named.update(part.strip().lower() for part in value.split(b",") if part.strip())
        out: list[Header] = []
        via = b""
        for name, value in headers:
            name = name.lower()
            if name in HOP_BY_HOP or name.startswith(b"proxy-") or name in named:
                continue
            if name == b"set-cookie":
                if b"domain" in value.lower():
                    value = self._cookie(value, public)
            elif name in _URL_HEADERS:
                value = self._url(value, public)
            elif name == b"refresh":
                value = _REFRESH_URL.sub(lambda m: m[1] + m[2] + self._url(m[3], public), value, count=1)
            elif name == b"via":
                via = value
                continue
            out.append((name, value))
        mine = http_version.encode("latin-1") + b" " + self._via
        out.append((b"via", via + b", " + mine if via else mine))
        return out

    def _url(self, value: bytes, public: PublicOrigin) -> bytes:
        """A URL that names the upstream, naming the public origin instead."""
        lowered = value[:256].lower()
        for origin in self._origins:
            if lowered.startswith(origin):
                rest = value[len(origin) :]
                if rest[:1] not in (b"", b"/", b"?", b"#"):
                    continue  # "http://127.0.0.1:80801/" is another origin
                return public.origin.encode("latin-1") + self._strip_prefix(rest)
            scheme_relative = origin[origin.index(b"//") :]
            if lowered.startswith(scheme_relative) and value[len(scheme_relative) :][:1] in (b"", b"/", b"?"):
                rest = value[len(scheme_relative) :]
                return b"//" + public.host.encode("latin-1") + self._strip_prefix(rest)
        if self._prefix and value.startswith(self._prefix + b"/"):
            return value[len(self._prefix) :]
        return value

    def _strip_prefix(self, rest: bytes) -> bytes:
        if self._prefix and (rest == self._prefix or rest.startswith(self._prefix + b"/")):
            rest = rest[len(self._prefix) :]
        if not rest.startswith(b"/"):
            rest = b"/" + rest
        return rest

    def _cookie(self, value: bytes, public: PublicOrigin) -> bytes:
        """A ``Set-Cookie`` whose ``Domain`` names the upstream host, naming the public host instead."""

        def replace(match: re.Match[bytes]) -> bytes:
            if match[3].lower() != self._hostname:
                return match[0]
            return match[1] + match[2] + public.hostname.encode("latin-1")

        return _DOMAIN.sub(replace, value)
