"""The plain-URL fast path reads a URL exactly as the WHATWG parser does, or leaves it to it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consentgate.catalog.urls import plain_split, split_url

#: Pieces that make URLs the parser reads in surprising ways, and plain ones.
_PIECES = [
    "https:", "http:", "HTTPS:", "ftp:", "javascript:", "//", "/", "\\", "///", "www", "facebook", "com",
    ".", "..", "-", "xn--", "xn--nxasmq6b", "0x7f", "127", "1", "08", "a", "Z", "@", ":", ":80", "?", "#",
    "&", "%2e", "%41", "'", '"', " ", "\t", "\n", "\x00", "\u3002", "\uff0e", "é", "ß", "[::1]", "tr", "q=1",
    "id=G-1", "~", "!", "$", "(", ")", "*", "+", ",", ";", "=", "<", ">", "`", "{", "}", "^", "|", "_",
]  # fmt: skip


_LABELS = ["a", "www", "x1", "1", "0", "0x", "09", "-", "a-", "xn--", "ab" * 40, "Z", "é", "", "ß"]
_URLS = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=12).map("".join),
    # Shaped like a URL, so that many take the fast path.
    st.tuples(
        st.sampled_from(["https://", "//", "http://", "Https://", "https:/", "https:///"]),
        st.lists(st.sampled_from(_LABELS), min_size=1, max_size=4).map(".".join),
        st.sampled_from(["", ".", ".."]),
        st.lists(st.sampled_from(_PIECES), max_size=8).map("".join),
    ).map("".join),
)


@settings(max_examples=3000, deadline=None)
@given(_URLS)
def test_plain_split_agrees_with_the_parser(url: str) -> None:
    full = split_url(url)
    fast = plain_split(url)
    if fast is not None and fast[0] != "first-party.invalid":
        assert fast == full, url
    host_only = plain_split(url, False)
    if host_only is not None and host_only[0] != "first-party.invalid":
        assert full is not None and host_only[0] == full[0], url


@pytest.mark.parametrize(
    "url",
    [
        "https://www.googletagmanager.com/gtm.js?id=GTM-ABC123",
        "//connect.facebook.net/en_US/fbevents.js",
        "HTTP://CDN.Example.COM./a/b?c=d&e=f#frag",
        "https://cdn.acme.example",
        "https://cdn.acme.example?x=1",
        "https://x.example/p?",
        "https://x.example/a-b_c~d!e$f(g)h*i+j,k;l=m:n@o",
    ],
)
def test_plain_urls_take_the_fast_path(url: str) -> None:
    assert plain_split(url) is not None
    assert plain_split(url) == split_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",  # an IPv4 address: the parser normalises it
        "https://0x7f.1/x",
        "https://xn--nxasmq6b.example/",  # punycode: the parser validates it
        "https://user@host.example/",
        "https://host.example:8080/",
        "https:host.example/x",  # no slashes: special authority
        "https://host.example/a/../b",  # dot segments
        "https://host.example/a/%2e%2e/b",
        "https://host.example/a b",  # percent-encoded by the parser
        "https://host.example/?a='b'",
        " https://host.example/",
        "/\n/host.example/",
        "https://host\t.example/",
    ],
)
def test_surprising_urls_are_left_to_the_parser(url: str) -> None:
    assert plain_split(url) is None
