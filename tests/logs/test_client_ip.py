"""The client address: truncation (IPv4/IPv6, profiles) and trusted proxies' forwarding headers."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from consentgate.logs.client_ip import PREFIXES, ClientIP, truncate

PROXY = "192.168.1.1"


def _scope(peer: str | None = PROXY, **headers: str | list[str]) -> dict[str, Any]:
    raw: list[tuple[bytes, bytes]] = []
    for name, value in headers.items():
        for one in [value] if isinstance(value, str) else value:
            raw.append((name.replace("_", "-").encode(), one.encode("latin-1")))
    scope: dict[str, Any] = {"type": "http", "headers": raw}
    if peer is not None:
        scope["client"] = (peer, 51234)
    return scope


# --- truncation -----------------------------------------------------------------------------------


def test_profiles_keep_these_prefixes() -> None:
    assert PREFIXES == {"default": (24, 48), "strict": (16, 32)}


@pytest.mark.parametrize(
    ("address", "default", "strict"),
    [
        ("203.0.113.7", "203.0.113.0", "203.0.0.0"),
        ("255.255.255.255", "255.255.255.0", "255.255.0.0"),
        ("0.0.0.0", "0.0.0.0", "0.0.0.0"),
        (" 198.51.100.200\t", "198.51.100.0", "198.51.0.0"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::", "2001:db8::"),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:ffff::", "2001:db8::"),
        ("::ffff:203.0.113.7", "203.0.113.0", "203.0.0.0"),  # IPv4-mapped counts as IPv4
        ("fe80::1:2:3:4%eth0", "fe80::", "fe80::"),  # the zone is dropped
        ("::1", "::", "::"),
    ],
)
def test_truncate(address: str, default: str, strict: str) -> None:
    assert truncate(address) == default
    assert truncate(address, "default") == default
    assert truncate(address, "strict") == strict


@pytest.mark.parametrize(
    "text", ["", "   ", "unknown", "203.0.113", "203.0.113.7:80", "example.com", "[::1]"]
)
def test_truncate_refuses_what_is_not_an_address(text: str) -> None:
    assert truncate(text) is None
    assert truncate(text, "strict") is None


# --- the socket peer ------------------------------------------------------------------------------


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    ip = ClientIP()
    scope = _scope("203.0.113.7", x_forwarded_for="6.6.6.6", forwarded="for=6.6.6.6")
    assert ip.full(scope) == "203.0.113.7"
    assert ip.truncated(scope) == "203.0.113.0"
    assert ip.profile == "default"


def test_without_a_peer_the_client_is_unknown() -> None:
    for ip in (ClientIP(), ClientIP([PROXY])):
        assert ip.full(_scope(None, x_forwarded_for="203.0.113.7")) is None
        assert ip.truncated(_scope(None)) is None


def test_an_untrusted_peer_cannot_forge_its_address() -> None:
    ip = ClientIP([PROXY, "10.0.0.0/8"])
    assert ip.full(_scope("6.6.6.6", x_forwarded_for="203.0.113.7")) == "6.6.6.6"
    assert ip.full(_scope("192.168.1.2", x_forwarded_for="203.0.113.7")) == "192.168.1.2"


def test_is_trusted() -> None:
    ip = ClientIP(["10.0.0.0/8", "2001:db8::/32", PROXY])
    assert ip.is_trusted(None) is False
    assert ClientIP().is_trusted(_address("10.0.0.1")) is False
    for text in ("10.0.0.1", "10.255.255.255", "2001:db8::1", PROXY):
        assert ip.is_trusted(_address(text)) is True
    for text in ("11.0.0.1", "2001:db9::1", "192.168.1.2"):
        assert ip.is_trusted(_address(text)) is False


def test_a_cidr_with_host_bits_is_taken_as_its_network() -> None:
    # "10.1.2.3/8" is how people write "our proxies are in 10/8": accepted, as the config accepts it.
    ip = ClientIP(["10.1.2.3/8", "2001:db8::1/32"])
    assert ip.is_trusted(_address("10.200.0.1")) is True
    assert ip.is_trusted(_address("2001:db8:ffff::1")) is True
    assert ip.full(_scope("10.9.9.9", x_forwarded_for="203.0.113.7")) == "203.0.113.7"


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def test_a_trusted_peer_without_a_forwarding_header_is_the_client() -> None:
    ip = ClientIP([PROXY])
    assert ip.full(_scope(PROXY)) == PROXY
    assert ip.full(_scope(PROXY, forwarded="for=203.0.113.7")) == PROXY  # not the configured header


# --- X-Forwarded-For --------------------------------------------------------------------------------


def test_the_chain_is_walked_from_the_right_past_trusted_proxies() -> None:
    ip = ClientIP(["10.0.0.0/8", PROXY])
    scope = _scope(PROXY, x_forwarded_for="6.6.6.6, 203.0.113.7, 10.1.2.3")
    assert ip.full(scope) == "203.0.113.7"
    assert ip.truncated(scope) == "203.0.113.0"
    # A visitor's own X-Forwarded-For (at the left) is never believed.
    assert ip.full(_scope(PROXY, x_forwarded_for="6.6.6.6,203.0.113.7")) == "203.0.113.7"


def test_the_peer_counts_when_it_is_an_ipv4_mapped_address() -> None:
    ip = ClientIP(["10.0.0.0/8"])
    assert ip.full(_scope("::ffff:10.0.0.1", x_forwarded_for="203.0.113.7")) == "203.0.113.7"


def test_ipv6_clients_and_proxies() -> None:
    ip = ClientIP(["2001:db8:ffff::/48"], profile="strict")
    scope = _scope("2001:db8:ffff::1", x_forwarded_for="2001:db8:1:2::3, 2001:db8:ffff::2")
    assert ip.full(scope) == "2001:db8:1:2::3"
    assert ip.truncated(scope) == "2001:db8::"
    assert ip.profile == "strict"


def test_several_header_lines_form_one_list() -> None:
    ip = ClientIP([PROXY])
    assert ip.full(_scope(PROXY, x_forwarded_for=["6.6.6.6", "203.0.113.7"])) == "203.0.113.7"


def test_only_proxies_in_the_chain_gives_the_leftmost() -> None:
    ip = ClientIP(["10.0.0.0/8"])
    assert ip.full(_scope("10.0.0.1", x_forwarded_for="10.0.0.5, 10.0.0.6")) == "10.0.0.5"


def test_an_unreadable_hop_stops_the_walk() -> None:
    ip = ClientIP(["10.0.0.0/8"])
    # The hop a trusted proxy appended is the last address we can believe.
    assert ip.full(_scope("10.0.0.1", x_forwarded_for="203.0.113.7, unknown, 10.0.0.5")) == "10.0.0.5"
    # Nothing readable at all: unknown, never the proxy's own address.
    assert ip.full(_scope("10.0.0.1", x_forwarded_for="203.0.113.7, garbage")) is None
    assert ip.full(_scope("10.0.0.1", x_forwarded_for="")) is None
    assert ip.truncated(_scope("10.0.0.1", x_forwarded_for="nope")) is None


def test_spaces_and_mapped_addresses_in_hops() -> None:
    ip = ClientIP([PROXY])
    assert ip.full(_scope(PROXY, x_forwarded_for="  ::ffff:203.0.113.7  ")) == "203.0.113.7"
    assert ip.full(_scope(PROXY, x_forwarded_for="fe80::1%eth0")) == "fe80::1"


def test_only_the_right_end_of_an_oversize_header_is_believed() -> None:
    ip = ClientIP(["10.0.0.0/8"])
    chain = "6.6.6.6, " + ", ".join(["10.0.0.7"] * 400)
    assert len(chain) > 4000
    assert ip.full(_scope("10.0.0.1", x_forwarded_for=chain)) == "10.0.0.7"
    short = "6.6.6.6, " + ", ".join(["10.0.0.7"] * 100)
    assert ip.full(_scope("10.0.0.1", x_forwarded_for=short)) == "6.6.6.6"


def test_headers_passed_in_win_over_the_scope() -> None:
    ip = ClientIP([PROXY])
    scope = _scope(PROXY, x_forwarded_for="6.6.6.6")
    headers = [(b"x-forwarded-for", b"203.0.113.7")]
    assert ip.full(scope, headers) == "203.0.113.7"
    assert ip.truncated(scope, headers) == "203.0.113.0"
    assert ip.full(scope, []) == PROXY


# --- Forwarded (RFC 7239) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("for=203.0.113.7", "203.0.113.7"),
        ("for=6.6.6.6, for=203.0.113.7", "203.0.113.7"),
        ("for=203.0.113.7;proto=https;by=10.0.0.1", "203.0.113.7"),
        ("proto=https; For=203.0.113.7", "203.0.113.7"),
        ('for="203.0.113.7:4711"', "203.0.113.7"),
        ("for=203.0.113.7:4711", "203.0.113.7"),
        ('for="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
        ('for="[2001:db8:cafe::17]"', "2001:db8:cafe::17"),
        ("for=2001:db8:cafe::17", "2001:db8:cafe::17"),
        ('for="[2001:db8:cafe::17"', None),  # unclosed bracket: unreadable
        ("for=unknown", None),
        ("for=_hidden", None),
        ("proto=https", None),
        ("for=203.0.113.7, for=10.0.0.9", "203.0.113.7"),
        ("for=203.0.113.7, for=_proxy, for=10.0.0.9", "10.0.0.9"),
    ],
)
def test_forwarded(header: str, client: str | None) -> None:
    ip = ClientIP(["10.0.0.0/8"], header="forwarded")
    assert ip.full(_scope("10.0.0.1", forwarded=header, x_forwarded_for="6.6.6.6")) == client


def test_forwarded_ignores_x_forwarded_for() -> None:
    ip = ClientIP(["10.0.0.0/8"], header="forwarded")
    assert ip.full(_scope("10.0.0.1", x_forwarded_for="6.6.6.6")) == "10.0.0.1"
