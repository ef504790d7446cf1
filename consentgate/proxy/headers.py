"""The headers of a proxied exchange: hop-by-hop ones dropped both ways, forwarding ones written.

A request goes to the origin without the headers that belong to one connection (RFC 9110 §7.6.1:
``Connection`` and every header it names, ``Keep-Alive``, ``TE``, ``Trailer``,
``Transfer-Encoding``, ``Upgrade``, and any ``Proxy-*``), with ``Via`` added and the forwarding
headers rewritten: ``X-Forwarded-For/-Proto/-Host`` or RFC 7239 ``Forwarded``, by config.

The client chain follows the request log's trusted-proxy rule (:mod:`consentgate.logs.client_ip`):
what arrived in the forwarding header is believed, and passed on, only when the peer is one of
``logging.trusted_proxies``; otherwise the visitor could have written it, and the origin gets the
peer alone. So the origin, walking the chain from the right as the gate's log does, finds the same
client.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from starlette.types import Scope

__all__ = ["HOP_BY_HOP", "Forwarding", "Header", "PublicOrigin", "without_hop_by_hop"]

#: One ASGI header: (lower-case name, value), both bytes.
Header = tuple[bytes, bytes]

#: Headers that describe one connection, never passed through (RFC 9110 §7.6.1), plus ``Expect``:
#: the server in front of us has answered ``100-continue`` already.
HOP_BY_HOP: frozenset[bytes] = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"expect",
    }
)
#: Request headers the proxy writes itself (what the visitor sent in them is read, then replaced).
_REWRITTEN: frozenset[bytes] = frozenset(
    {b"host", b"via", b"forwarded", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"}
)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _named_by_connection(headers: Iterable[Header]) -> frozenset[bytes]:
    names: set[bytes] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            names.update(part.strip().lower() for part in value.split(b",") if part.strip())
    return frozenset(names)


def without_hop_by_hop(headers: Sequence[Header]) -> list[Header]:
    """``headers`` (names lower-cased) without the hop-by-hop ones and those ``Connection`` names."""
    named = _named_by_connection(headers)
    out: list[Header] = []
    for name, value in headers:
        name = name.lower()
        if name in HOP_BY_HOP or name.startswith(b"proxy-") or (named and name in named):
            continue
        out.append((name, value))
    return out


@dataclass(frozen=True, slots=True)
class PublicOrigin:
    """The scheme and host the visitor used, as far as the proxy can believe them."""

    scheme: str
    host: str  # with the port if the visitor's Host had one

    @property
    def origin(self) -> str:
        """``scheme://host``."""
        return f"{self.scheme}://{self.host}"

    @property
    def hostname(self) -> str:
        """The host without its port (what a cookie's ``Domain`` names)."""
        host = self.host
        if host.startswith("["):
            return host[1 : host.find("]")] if "]" in host else host
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Forwarding:
    """Writes the request headers sent to the origin; built once from the config.

    ``style`` is the ``proxy.forwarded`` style written; ``trusted`` the networks of
    ``logging.trusted_proxies`` and ``incoming`` the header they write (``logging.proxy_header``).
    ``upstream_host`` is the origin's ``host[:port]``, sent as ``Host`` when ``host_mode`` is
    ``upstream``; ``extra`` the ``proxy.headers`` added to every request.
    """

    __slots__ = ("_extra", "_forwarded", "_incoming", "_networks", "_upstream_host", "_via")

    def __init__(
        self,
        *,
        style: Literal["x-forwarded", "forwarded"],
        host_mode: Literal["preserve", "upstream"],
        upstream_host: str,
        trusted: Iterable[str] = (),
        incoming: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for",
        extra: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._forwarded = style == "forwarded"
        self._networks = tuple(ipaddress.ip_network(p, strict=False) for p in trusted)
        self._incoming = incoming.encode("latin-1")
        self._upstream_host = upstream_host.encode("latin-1") if host_mode == "upstream" else None
        self._extra = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in extra]
        self._via = b"consentgate"

    def _trusts(self, peer: str | None) -> bool:
        if not self._networks or peer is None:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._networks)

    def request_headers(self, scope: Scope) -> tuple[list[Header], PublicOrigin]:
        """The headers to send to the origin for ``scope``, and the public origin the visitor used."""
        raw: Sequence[Header] = scope["headers"]
        client = scope.get("client")
        peer: str | None = str(client[0]) if client else None
        trusted = self._trusts(peer)
        named = _named_by_connection(raw)
        out: list[Header] = []
        host = b""
        via = b""
        chain: list[bytes] = []
        fwd_proto = fwd_host = b""
        for name, value in raw:
            if name in _REWRITTEN:
                if name == b"host":
                    host = value
                elif name == b"via":
                    via = value
                elif trusted:
                    if name == self._incoming:
                        chain.append(value)
                    if name == b"x-forwarded-proto" and not fwd_proto:
                        fwd_proto = value.split(b",")[0].strip()
                    elif name == b"x-forwarded-host" and not fwd_host:
                        fwd_host = value.split(b",")[0].strip()
                continue
            if name in HOP_BY_HOP or name.startswith(b"proxy-") or (named and name in named):
                continue
            out.append((name, value))
        if trusted and self._incoming == b"forwarded" and chain:
            first = _forwarded_pairs(chain[0].split(b",")[0])
            fwd_proto = fwd_proto or first.get("proto", "").encode("latin-1")
            fwd_host = fwd_host or first.get("host", "").encode("latin-1")
        scheme = fwd_proto.decode("latin-1").lower() or scope.get("scheme", "http")
        if scheme not in ("http", "https"):
            scheme = scope.get("scheme", "http")
        public_host = (fwd_host or host).decode("latin-1")
        if not public_host:
            server = scope.get("server")
            public_host = f"{server[0]}:{server[1]}" if server else ""
        hops = _hops(chain, self._incoming == b"forwarded") if trusted else []
        if peer is not None:
            hops.append(peer)
        if self._upstream_host is not None:
            out.append((b"host", self._upstream_host))
        elif host:
            out.append((b"host", host))
        if self._forwarded:
            elements = [f"for={_node(hop)}" for hop in hops[:-1]]
            last = [f"for={_node(hops[-1])}"] if hops else []
            if public_host:
                last.append(f"host={_quoted(public_host)}")
            last.append(f"proto={scheme}")
            elements.append(";".join(last))
            out.append((b"forwarded", ", ".join(elements).encode("latin-1")))
        else:
            if hops:
                out.append((b"x-forwarded-for", ", ".join(hops).encode("latin-1")))
            out.append((b"x-forwarded-proto", scheme.encode("latin-1")))
            if public_host:
                out.append((b"x-forwarded-host", public_host.encode("latin-1")))
        version = str(scope.get("http_version", "1.1")).encode("latin-1")
        mine = version + b" " + self._via
        out.append((b"via", via + b", " + mine if via else mine))
        out.extend(self._extra)
        return out, PublicOrigin(scheme, public_host)


def _forwarded_pairs(element: bytes) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for pair in element.decode("latin-1").split(";"):
        name, _, value = pair.strip().partition("=")
        pairs[name.lower()] = value.strip().strip('"')
    return pairs


def _hops(values: list[bytes], forwarded: bool) -> list[str]:
    """The addresses of a forwarding chain, left to right (unreadable hops kept as they came)."""
    text = b",".join(values).decode("latin-1")
    hops: list[str] = []
    for element in text.split(","):
        if forwarded:
            value = _forwarded_pairs(element.encode("latin-1")).get("for", "")
            if value.startswith("["):
                value = value[1 : value.find("]")] if "]" in value else ""
            elif value.count(":") == 1:
                value = value.split(":", 1)[0]
        else:
            value = element.strip()
        if value:
            hops.append(value)
    return hops


def _node(address: str) -> str:
    """An address as an RFC 7239 node: IPv6 bracketed and quoted, other non-tokens quoted."""
    if ":" in address:
        return f'"[{address}]"'
    return _quoted(address)


def _quoted(value: str) -> str:
    if _TOKEN.match(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
