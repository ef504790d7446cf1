"""The client's IP address, truncated before anything writes it.

The address comes from the socket peer, unless the peer is a proxy the config trusts
(``logging.trusted_proxies``); then the forwarding header the config names is walked from the right
(the entries a trusted proxy appended) and the first address that is not itself a trusted proxy is
the client. Walking from the right matters: a visitor can put anything at the left of
``X-Forwarded-For``, only what our own proxies appended is believed.

Truncation keeps the network, never the host: IPv4 to /24 and IPv6 to /48 by default, /16 and /32
with the ``strict`` profile. IPv4-mapped IPv6 addresses (``::ffff:203.0.113.7``) count as IPv4.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from typing import Literal

from starlette.types import Scope

__all__ = ["PREFIXES", "ClientIP", "truncate"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: (IPv4 prefix, IPv6 prefix) kept by each profile.
PREFIXES: dict[str, tuple[int, int]] = {"default": (24, 48), "strict": (16, 32)}

#: A forwarding header longer than this is cut from the left: only its right end is ever believed.
_MAX_HEADER = 2048


def _parse(text: str) -> IPAddress | None:
    text = text.strip()
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:  # fe80::1%eth0: the zone says nothing about the visitor
            return ipaddress.IPv6Address(address.packed)
    return address


@functools.lru_cache(maxsize=8192)
def truncate(address: str, profile: Literal["default", "strict"] = "default") -> str | None:
    """``address`` with its host part zeroed (``203.0.113.7`` → ``203.0.113.0``); None if not an IP.

    Cached, because a site sees the same addresses again and again; the cache is memory only.
    """
    parsed = _parse(address)
    if parsed is None:
        return None
    v4, v6 = PREFIXES[profile]
    bits = v4 if parsed.version == 4 else v6
    host_bits = parsed.max_prefixlen - bits
    return str(type(parsed)(int(parsed) >> host_bits << host_bits))


class ClientIP:
    """Finds the client address of a request; built once from the config.

    ``trusted`` lists proxy addresses or CIDRs; ``header`` is ``"x-forwarded-for"`` or
    ``"forwarded"`` (RFC 7239) — only the one the site's proxy writes, since the other passes
    through untouched from the visitor.
    """

    def __init__(
        self,
        trusted: Iterable[str] = (),
        *,
        header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for",
        profile: Literal["default", "strict"] = "default",
    ) -> None:
        self._networks = tuple(ipaddress.ip_network(p, strict=False) for p in trusted)
        self._header = header.encode("latin-1")
        self._forwarded = header == "forwarded"
        self.profile: Literal["default", "strict"] = profile

    def is_trusted(self, address: IPAddress | None) -> bool:
        """Whether ``address`` is one of the configured proxies."""
        return address is not None and any(address in network for network in self._networks)

    def full(self, scope: Scope, headers: Sequence[tuple[bytes, bytes]] | None = None) -> str | None:
        """The client's full address as text (memory only: never write it), or None if unknown."""
        client = scope.get("client")
        peer: str | None = str(client[0]) if client else None
        if not self._networks or peer is None:
            return peer
        peer_address = _parse(peer)
        if not self.is_trusted(peer_address):
            return peer
        values = [v for n, v in (headers if headers is not None else scope["headers"]) if n == self._header]
        if not values:
            return peer
        raw = b",".join(values).decode("latin-1")[-_MAX_HEADER:]
        hops = _forwarded_for(raw) if self._forwarded else raw.split(",")
        candidate: str | None = None
        for hop in reversed(hops):
            address = _parse(hop)
            if address is None:
                # A hop we cannot read (garbage, "unknown", an obfuscated identifier): stop at the
                # last address we could believe rather than guess past it.
                return candidate
            candidate = str(address)
            if not self.is_trusted(address):
                return candidate
        return candidate

    def truncated(self, scope: Scope, headers: Sequence[tuple[bytes, bytes]] | None = None) -> str | None:
        """The client's address truncated by the profile, or None if unknown."""
        full = self.full(scope, headers)
        return None if full is None else truncate(full, self.profile)


def _forwarded_for(header: str) -> list[str]:
    """The ``for=`` values of an RFC 7239 ``Forwarded`` header, in order, ports and brackets removed."""
    hops: list[str] = []
    for element in header.split(","):
        value = ""
        for pair in element.split(";"):
            name, _, raw = pair.strip().partition("=")
            if name.lower() == "for":
                value = raw.strip().strip('"')
                break
        if value.startswith("["):  # "[2001:db8::1]:4711"
            value = value[1 : value.find("]")] if "]" in value else ""
        elif value.count(":") == 1:  # "192.0.2.60:4711"
            value = value.split(":", 1)[0]
        hops.append(value)
    return hops
