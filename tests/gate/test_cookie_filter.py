"""Cookie filtering: the app's Set-Cookie headers against the visitor's consent, through real HTTP."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from consentgate.catalog.catalog import Catalog
from consentgate.config import load_config
from consentgate.gate.cookie_filter import CookieFilter, Header
from tests.support.site import ORIGIN, GateFactory, client_for

APP_COOKIES = ["_ga", "_fbp", "ajs_anonymous_id", "session", "csrftoken", "acme_track_1"]


async def _set(request: Request) -> Response:
    """Sets the cookies a marketing site's stack typically sets on one response."""
    response = PlainTextResponse("ok")
    response.set_cookie("_ga", "GA1.1.123.456", max_age=63072000)
    response.set_cookie("_fbp", "fb.1.123.456", max_age=7776000)
    response.set_cookie("ajs_anonymous_id", "abc", max_age=31536000)
    response.set_cookie("session", "s3cr3t", httponly=True)
    response.set_cookie("csrftoken", "tok", samesite="strict")
    response.set_cookie("acme_track_1", "x")
    response.headers["x-after"] = "kept"
    return response


async def _forget(request: Request) -> Response:
    """Deletes tracking cookies (a logout, or the site honouring a withdrawal)."""
    response = PlainTextResponse("bye")
    response.delete_cookie("_fbp")
    response.set_cookie("_ga", "", expires="Thu, 01 Jan 1970 00:00:00 GMT")
    return response


async def _own(request: Request) -> Response:
    response = PlainTextResponse("own")
    response.set_cookie("consentgate_state", "1.0.necessary")
    response.set_cookie("__Secure-ajs_user_id", "u1", secure=True)
    return response


def _app() -> Starlette:
    return Starlette(routes=[Route("/set", _set), Route("/forget", _forget), Route("/own", _own)])


def _names(response: httpx.Response) -> list[str]:
    return [value.partition("=")[0] for value in response.headers.get_list("set-cookie")]


async def _choose(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/consentgate/consent", json=body, headers={"origin": ORIGIN})
    assert response.status_code == 200, response.text


async def _get(
    make_gate: GateFactory, path: str, choice: dict[str, Any] | None = None, **config: Any
) -> httpx.Response:
    gate = make_gate(_app(), **config)
    try:
        async with client_for(gate) as client:
            if choice is not None:
                await _choose(client, choice)
            return await client.get(path)
    finally:
        await gate.aclose()


# --- through the middleware ---------------------------------------------------------------------


async def test_undecided_visitor_gets_only_necessary_and_unknown_cookies(make_gate: GateFactory) -> None:
    response = await _get(make_gate, "/set")
    assert response.status_code == 200
    assert _names(response) == ["session", "csrftoken", "acme_track_1"]
    assert response.headers["x-after"] == "kept"
    assert response.text == "ok"


async def test_granted_categories_get_their_cookies(make_gate: GateFactory) -> None:
    choice = {"categories": {"analytics": True, "advertising": False, "social": False}}
    response = await _get(make_gate, "/set", choice)
    assert _names(response) == ["_ga", "ajs_anonymous_id", "session", "csrftoken", "acme_track_1"]


async def test_accept_all_gets_every_cookie(make_gate: GateFactory) -> None:
    response = await _get(make_gate, "/set", {"action": "accept_all"})
    assert _names(response) == APP_COOKIES


async def test_reject_all_gets_only_necessary_and_unknown(make_gate: GateFactory) -> None:
    response = await _get(make_gate, "/set", {"action": "reject_all"})
    assert _names(response) == ["session", "csrftoken", "acme_track_1"]


async def test_gpc_signal_refuses_advertising_cookies(make_gate: GateFactory) -> None:
    gate = make_gate(_app())
    try:
        async with client_for(gate) as client:
            response = await client.get("/set", headers={"sec-gpc": "1"})
    finally:
        await gate.aclose()
    # Under opt-in nothing optional is granted anyway; under opt-out GPC still refuses advertising.
    assert _names(response) == ["session", "csrftoken", "acme_track_1"]
    gate = make_gate(_app(), region={"default_regime": "opt-out"})
    try:
        async with client_for(gate) as client:
            assert _names(await client.get("/set")) == APP_COOKIES
            signalled = await client.get("/set", headers={"sec-gpc": "1"})
    finally:
        await gate.aclose()
    assert _names(signalled) == ["_ga", "ajs_anonymous_id", "session", "csrftoken", "acme_track_1"]


async def test_unknown_cookies_dropped_when_configured(make_gate: GateFactory) -> None:
    response = await _get(make_gate, "/set", cookie_filter={"keep_unknown": False})
    # csrftoken is necessary (a correction of the Open Cookie Database), session is unknown.
    assert _names(response) == ["csrftoken"]


async def test_keep_list_and_site_services(make_gate: GateFactory) -> None:
    response = await _get(
        make_gate,
        "/set",
        cookie_filter={"keep": ["_ga"]},
        services={
            "acme": {"category": "advertising", "hosts": ["acme.example"], "cookies": ["acme_track_*"]}
        },
    )
    assert _names(response) == ["_ga", "session", "csrftoken"]


async def test_filter_can_be_switched_off(make_gate: GateFactory) -> None:
    response = await _get(make_gate, "/set", cookie_filter={"enabled": False})
    assert _names(response) == APP_COOKIES


async def test_deleting_a_tracking_cookie_always_passes(make_gate: GateFactory) -> None:
    response = await _get(make_gate, "/forget")
    assert _names(response) == ["_fbp", "_ga"]


async def test_gate_cookies_are_never_dropped(make_gate: GateFactory) -> None:
    response = await _get(make_gate, "/own", cookie_filter={"keep_unknown": False})
    # The gate's own state cookie stays; a Segment cookie behind a __Secure- prefix does not.
    assert _names(response) == ["consentgate_state"]


# --- the function itself ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cookie_filter() -> CookieFilter:
    return CookieFilter(Catalog.builtin(), load_config())


def test_no_set_cookie_returns_the_same_list(cookie_filter: CookieFilter) -> None:
    headers: list[Header] = [(b"content-type", b"text/html"), (b"content-length", b"12")]
    assert cookie_filter.filter(headers, frozenset()) is headers
    assert cookie_filter.filter([], frozenset()) == []


def test_nothing_dropped_returns_the_same_list(cookie_filter: CookieFilter) -> None:
    headers: list[Header] = [(b"set-cookie", b"session=1; Path=/"), (b"set-cookie", b"_ga=GA1; Path=/")]
    assert cookie_filter.filter(headers, frozenset({"necessary", "analytics"})) is headers


def test_header_name_case_and_order(cookie_filter: CookieFilter) -> None:
    headers: list[Header] = [
        (b"Set-Cookie", b"_fbp=fb.1; Path=/"),
        (b"content-type", b"text/plain"),
        (b"SET-COOKIE", b"session=1"),
        (b"set-cookie", b"_ga=GA1"),
        (b"x-set-cookie", b"_ga=GA1"),
    ]
    assert cookie_filter.filter(headers, frozenset({"necessary"})) == [
        (b"content-type", b"text/plain"),
        (b"SET-COOKIE", b"session=1"),
        (b"x-set-cookie", b"_ga=GA1"),
    ]


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (b"_ga=1", False),
        (b" _ga = 1 ; Path=/", False),
        (b"_ga=1; Max-Age=0", True),
        (b"_ga=1; max-age=-1", True),
        (b"_ga=1; Max-Age=10", False),
        (b"_ga=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", True),
        (b"_ga=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT", False),
        (b"_ga=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100", False),  # Max-Age wins
        (b"_ga=1; Expires=not a date", False),
        (b"__Host-_ga=1", False),
        (b"novalue", True),  # no name: the browser stores it under an empty name, unknown
        (b"=1", True),
        (b"", True),
        (b"\xff\xfe=\x00", True),
        (b"session=\xe9t\xe9", True),
    ],
)
def test_set_cookie_values(cookie_filter: CookieFilter, value: bytes, kept: bool) -> None:
    assert cookie_filter.allows(value, frozenset({"necessary"})) is kept


header_names = st.sampled_from([b"set-cookie", b"Set-Cookie", b"content-type", b"x-a", b"set-cookiex"])
cookie_values = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(APP_COOKIES).map(lambda n: n.encode() + b"=v; Path=/"),
)


@given(
    st.lists(st.tuples(header_names, cookie_values), max_size=12),
    st.sets(st.sampled_from(["analytics", "advertising", "social"])),
)
def test_any_headers_keep_their_order_and_every_other_header(
    headers: list[Header], granted: set[str]
) -> None:
    cookie_filter = CookieFilter(Catalog.builtin(), load_config())
    kept = list(cookie_filter.filter(headers, frozenset(granted)))
    it = iter(headers)
    assert all(any(h is k for h in it) for k in kept)  # a subsequence, same objects, same order
    others = [h for h in headers if h[0].lower() != b"set-cookie"]
    assert [h for h in kept if h[0].lower() != b"set-cookie"] == others
    if {"analytics", "advertising", "social"} <= granted:
        assert kept == headers


# --- headers and names the filter must read exactly --------------------------------------------


def test_a_capitalised_set_cookie_alone_is_filtered(cookie_filter: CookieFilter) -> None:
    # Frameworks that keep the header's case (and send no lower-case one) must be filtered too.
    for name in (b"Set-Cookie", b"SET-COOKIE", b"set-Cookie"):
        headers: list[Header] = [(name, b"_ga=GA1; Path=/")]
        assert cookie_filter.filter(headers, frozenset({"necessary"})) == []
        headers = [(b"content-type", b"text/plain"), (name, b"_fbp=1"), (name, b"session=1")]
        assert cookie_filter.filter(headers, frozenset({"necessary"})) == [
            (b"content-type", b"text/plain"),
            (name, b"session=1"),
        ]


def test_other_headers_that_look_like_cookies_are_never_dropped(cookie_filter: CookieFilter) -> None:
    headers: list[Header] = [
        (b"set-cookie", b"_ga=GA1"),
        (b"x-tracking", b"_fbp=fb.1"),  # ten characters, like set-cookie
        (b"set-cookie2", b"_ga=GA1"),
        (b"cookie", b"_ga=GA1"),
    ]
    assert cookie_filter.filter(headers, frozenset({"necessary"})) == headers[1:]


def test_a_value_with_equals_signs_is_judged_by_its_name(cookie_filter: CookieFilter) -> None:
    assert cookie_filter.allows(b"_ga=R0ExLjEu==; Path=/", frozenset({"necessary"})) is False
    assert cookie_filter.allows(b"_ga=a=b=c", frozenset({"necessary", "analytics"})) is True


def test_a_pair_without_equals_sign_is_a_value_under_an_empty_name(cookie_filter: CookieFilter) -> None:
    # Browsers store "Set-Cookie: _ga" as a cookie with an empty name and the value "_ga".
    assert cookie_filter.allows(b"_ga", frozenset({"necessary"})) is True
    assert cookie_filter.allows(b"_ga; Path=/", frozenset({"necessary"})) is True


def test_necessary_cookies_pass_whatever_was_granted(cookie_filter: CookieFilter) -> None:
    assert cookie_filter.category("csrftoken") == "necessary"
    assert cookie_filter.allows(b"csrftoken=tok", frozenset()) is True
    assert cookie_filter.allows(b"_ga=1", frozenset()) is False
    assert cookie_filter.allows(b"_ga=1", frozenset({"analytics"})) is True


def test_prefixed_names() -> None:
    strict = CookieFilter(Catalog.builtin(), load_config(cookie_filter={"keep_unknown": False}))
    # Looked up behind the prefix...
    assert strict.category("__Secure-_ga") == "analytics"
    assert strict.category("__Host-_ga") == "analytics"
    assert strict.allows(b"__Secure-_ga=1; Secure", frozenset({"necessary"})) is False
    # ...only the prefix is taken off, names with dashes keep the rest...
    assert strict.category("__Secure-next-auth.session-token") == "necessary"
    assert strict.allows(b"__Secure-next-auth.session-token=x; Secure", frozenset({"necessary"})) is True
    # ...and a prefixed name the catalog knows as such keeps its own category.
    assert strict.category("__Secure-3PSID") == "advertising"
    assert strict.allows(b"__Secure-3PSID=x; Secure", frozenset({"necessary"})) is False
    # Prefixes are case-sensitive (browsers only honour them spelled exactly so).
    assert strict.category("__secure-_ga") is None


@pytest.mark.parametrize(
    ("value", "deletion"),
    [
        (b"_ga=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", True),
        (b"_ga=; Path=/; Domain=example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure", True),
        (b"_ga=; Path=/; Max-Age=00", True),
        (b"_ga=1; Max-Age=", False),
        (b"_ga=1; Max-Age=0x0", False),
        (b"_ga=1; Path=/max-age/expires", False),
        (b"_ga=1; Comment=expires soon", False),
        (b"_ga=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT", False),
        (b"_ga=1; Path=/; Max-Age=-5; Expires=Fri, 01 Jan 2100 00:00:00 GMT", True),
    ],
)
def test_deletions(cookie_filter: CookieFilter, value: bytes, deletion: bool) -> None:
    assert cookie_filter.allows(value, frozenset({"necessary"})) is deletion


def test_an_expiry_of_exactly_now_is_not_yet_a_deletion(
    cookie_filter: CookieFilter, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1_800_000_000.0  # Fri, 15 Jan 2027 08:00:00 GMT
    monkeypatch.setattr(time, "time", lambda: now)
    at = b"_ga=1; Expires=Fri, 15 Jan 2027 08:00:00 GMT"
    assert cookie_filter.allows(at, frozenset({"necessary"})) is False
    before = b"_ga=1; Expires=Fri, 15 Jan 2027 07:59:59 GMT"
    assert cookie_filter.allows(before, frozenset({"necessary"})) is True


def test_each_dropped_cookie_is_logged_with_its_category(caplog: pytest.LogCaptureFixture) -> None:
    strict = CookieFilter(Catalog.builtin(), load_config(cookie_filter={"keep_unknown": False}))
    with caplog.at_level(logging.DEBUG, logger="consentgate.cookies"):
        strict.filter([(b"set-cookie", b"_ga=1"), (b"set-cookie", b"mystery=1")], frozenset({"necessary"}))
    assert [r.getMessage() for r in caplog.records] == [
        "dropped Set-Cookie '_ga' (category analytics)",
        "dropped Set-Cookie 'mystery' (category unknown)",
    ]
