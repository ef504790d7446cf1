"""The opt-out status API through real HTTP (httpx ASGITransport): every route, status, error and scope."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consentgate import ConsentMiddleware
from consentgate.api.identity import link
from tests.support.api import API, SAME_ORIGIN, bearer, make_key, sha
from tests.support.site import GateFactory, client_for, site_app
from tests.support.stores import postgres_schema, postgres_url, settle


async def _link_route(request: Request) -> Response:
    body = await request.json()
    return JSONResponse({"linked": await link(request, **body)})


def linking_app() -> Starlette:
    app = site_app()
    app.router.routes.append(Route("/signup", _link_route, methods=["POST"]))
    return app


@pytest.fixture
async def api_gate(make_gate: GateFactory) -> AsyncIterator[ConsentMiddleware]:
    gate = make_gate(linking_app(), identity={"phone_region": "US"}, api={"key_cache_seconds": 0.0})
    yield gate
    await gate.aclose()


@pytest.fixture
async def web(api_gate: ConsentMiddleware) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(api_gate) as c:
        yield c


@pytest.fixture
async def read_key(api_gate: ConsentMiddleware) -> str:
    return await make_key(api_gate, "read")


@pytest.fixture
async def write_key(api_gate: ConsentMiddleware) -> str:
    return await make_key(api_gate, "write")


async def choose(web: httpx.AsyncClient, body: dict[str, Any]) -> str:
    """Make a choice on the banner route as a browser would; returns the consent id."""
    response = await web.post("/consentgate/consent", json=body, headers=SAME_ORIGIN)
    assert response.status_code == 200
    consent_id: str = response.json()["id"]
    return consent_id


# --- the document and authentication ---------------------------------------------------------------


async def test_openapi_document_needs_no_key(web: httpx.AsyncClient) -> None:
    response = await web.get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/subjects/{subject}",
        "/subjects",
        "/changes",
        "/opt-outs",
        "/links",
        "/openapi.json",
    }
    assert response.headers["cache-control"] == "no-store"


async def test_no_key_is_401_with_a_challenge(web: httpx.AsyncClient) -> None:
    response = await web.get(f"{API}/changes")
    assert response.status_code == 401
    assert response.json()["error"] == "missing_key"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-key", "Bearer cgk_000000000000_" + "x" * 43],
)
async def test_bad_or_unknown_keys_are_401(web: httpx.AsyncClient, read_key: str, header: str) -> None:
    response = await web.get(f"{API}/changes", headers={"authorization": header})
    assert response.status_code == 401
    assert response.json()["error"] == "bad_key"


async def test_a_known_key_id_with_a_wrong_secret_is_401(web: httpx.AsyncClient, read_key: str) -> None:
    forged = read_key[:-4] + ("AAAA" if not read_key.endswith("AAAA") else "BBBB")
    response = await web.get(f"{API}/changes", headers=bearer(forged))
    assert response.status_code == 401


async def test_revoked_key_is_401(api_gate: ConsentMiddleware, web: httpx.AsyncClient, read_key: str) -> None:
    assert (await web.get(f"{API}/changes", headers=bearer(read_key))).status_code == 200
    store = await api_gate.store()
    assert await store.revoke_api_key(read_key.split("_")[1], now=time.time())
    response = await web.get(f"{API}/changes", headers=bearer(read_key))
    assert response.status_code == 401
    assert response.json()["error"] == "revoked_key"


async def test_read_scope_cannot_write_and_write_scope_can_read(
    web: httpx.AsyncClient, read_key: str, write_key: str
) -> None:
    body = {"email": "a@example.com", "channel": "email"}
    for path, payload in (("opt-outs", body), ("links", {"consent_id": "x" * 22, "email": "a@example.com"})):
        response = await web.post(f"{API}/{path}", json=payload, headers=bearer(read_key))
        assert response.status_code == 403, path
        assert response.json()["error"] == "insufficient_scope"
    assert (await web.get(f"{API}/changes", headers=bearer(write_key))).status_code == 200
    assert (await web.post(f"{API}/opt-outs", json=body, headers=bearer(write_key))).status_code == 201


async def test_rate_limit_answers_429_with_retry_after(make_gate: GateFactory) -> None:
    gate = make_gate(api={"rate_limit": 0.5, "rate_burst": 2})
    try:
        key = await make_key(gate, "read")
        async with client_for(gate) as web:
            statuses = [(await web.get(f"{API}/changes", headers=bearer(key))).status_code for _ in range(2)]
            limited = await web.get(f"{API}/changes", headers=bearer(key))
            other = await make_key(gate, "read")  # the limit is per key
            assert (await web.get(f"{API}/changes", headers=bearer(other))).status_code == 200
    finally:
        await gate.aclose()
    assert statuses == [200, 200]
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1


async def test_unknown_api_path_and_wrong_method(web: httpx.AsyncClient, read_key: str) -> None:
    response = await web.get(f"{API}/nothing", headers=bearer(read_key))
    assert response.status_code == 404
    response = await web.delete(f"{API}/changes", headers=bearer(read_key))
    assert response.status_code == 405
    # HEAD is answered wherever GET is (the router's one HEAD policy), so Allow names it too.
    assert response.headers["allow"] == "GET, HEAD"
    response = await web.put(f"{API}/opt-outs", headers=bearer(read_key))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    head = await web.head(f"{API}/openapi.json")
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == len((await web.get(f"{API}/openapi.json")).content) > 0


async def test_api_can_be_disabled(make_gate: GateFactory) -> None:
    gate = make_gate(api={"enabled": False})
    try:
        async with client_for(gate) as web:
            assert (await web.get(f"{API}/openapi.json")).status_code == 404
    finally:
        await gate.aclose()


# --- status ---------------------------------------------------------------------------------------


async def test_status_of_a_consent_id_after_a_banner_choice(web: httpx.AsyncClient, read_key: str) -> None:
    cid = await choose(web, {"categories": {"analytics": True, "advertising": False}})
    response = await web.get(f"{API}/subjects/{cid}", headers=bearer(read_key))
    assert response.status_code == 200
    status = response.json()
    assert status["kind"] == "consent_id"
    assert status["found"] is True
    assert status["categories"] == {
        "necessary": True,
        "analytics": True,
        "advertising": False,
        "social": False,
    }
    flags = status["opt_outs"]
    assert flags["analytics"]["opted_out"] is False
    assert flags["sale_sharing"]["opted_out"] is True
    assert flags["targeted_advertising"] == {**flags["sale_sharing"]}
    assert flags["sale_sharing"]["source"] == "banner"
    assert flags["sale_sharing"]["via"] == cid
    assert flags["contact"] == {"opted_out": False, "source": None, "time": None, "via": None}
    assert response.headers["cache-control"] == "no-store"


async def test_a_later_choice_wins(web: httpx.AsyncClient, read_key: str) -> None:
    cid = await choose(web, {"action": "accept_all"})
    response = await web.delete("/consentgate/consent", headers=SAME_ORIGIN)
    assert response.status_code == 200
    status = (await web.get(f"{API}/subjects/{cid}", headers=bearer(read_key))).json()
    assert status["opt_outs"]["analytics"]["opted_out"] is True
    assert status["categories"]["analytics"] is False


async def test_unknown_and_malformed_subjects(web: httpx.AsyncClient, read_key: str) -> None:
    response = await web.get(f"{API}/subjects/email:{sha('nobody')}", headers=bearer(read_key))
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_subject"
    bad_subjects = ("email:xyz", "phone:" + "A" * 64, "a b", "short", "user:" + "x" * 200, "user:42%0A")
    for bad in (*bad_subjects, f"email:{sha('x')}%0A", "abcdefghij%0A"):  # %0A: a trailing newline
        response = await web.get(f"{API}/subjects/{bad}", headers=bearer(read_key))
        assert response.status_code == 400, bad
        assert response.json()["error"] == "bad_subject"


async def test_link_from_python_then_query_by_hashed_email(web: httpx.AsyncClient, read_key: str) -> None:
    cid = await choose(web, {"action": "reject_all"})
    response = await web.post("/signup", json={"email": "  Alice@Example.COM ", "user_id": "42"})
    assert response.json() == {"linked": [f"email:{sha('alice@example.com')}", "user:42"]}
    for subject in (f"email:{sha('alice@example.com')}", "user:42"):
        status = (await web.get(f"{API}/subjects/{subject}", headers=bearer(read_key))).json()
        assert status["consent_ids"] == [cid]
        assert status["opt_outs"]["analytics"]["opted_out"] is True
        assert status["opt_outs"]["analytics"]["via"] == cid
    status = (await web.get(f"{API}/subjects/{cid}", headers=bearer(read_key))).json()
    assert status["identifiers"] == sorted([f"email:{sha('alice@example.com')}", "user:42"])


async def test_link_before_any_choice_links_nothing(web: httpx.AsyncClient) -> None:
    response = await web.post("/signup", json={"email": "bob@example.com"})
    assert response.json() == {"linked": []}


async def test_raw_identifiers_are_never_stored(
    api_gate: ConsentMiddleware, web: httpx.AsyncClient, write_key: str, tmp_path: Path
) -> None:
    cid = await choose(web, {"action": "accept_all"})
    await web.post("/signup", json={"email": "secret.person@example.com", "phone": "(415) 555-0132"})
    body = {"consent_id": cid, "email": "other.person@example.org"}
    assert (await web.post(f"{API}/links", json=body, headers=bearer(write_key))).status_code == 200
    await web.post(
        f"{API}/opt-outs", json={"phone": "+1 415 555 0199", "channel": "sms"}, headers=bearer(write_key)
    )
    await api_gate.aclose()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("consentgate.db*"))  # noqa: ASYNC240
    for raw in (b"secret.person", b"other.person", b"4155550132", b"4155550199"):
        assert raw not in data


async def test_link_through_the_write_api_normalises_phone_numbers(
    web: httpx.AsyncClient, write_key: str, read_key: str
) -> None:
    cid = await choose(web, {"action": "accept_all"})
    body = {"consent_id": cid, "phone": "(415) 555-0132", "identifiers": ["user:abc"]}
    response = await web.post(f"{API}/links", json=body, headers=bearer(write_key))
    assert response.status_code == 200
    expected = f"phone:{sha('+14155550132')}"
    assert response.json() == {"consent_id": cid, "linked": [expected, "user:abc"], "added": 2}
    again = await web.post(f"{API}/links", json=body, headers=bearer(write_key))
    assert again.json()["added"] == 0
    for written in ("+1 415-555-0132", "1 (415) 555 0132", "+14155550132"):
        response = await web.post(
            f"{API}/links", json={"consent_id": cid, "phone": written}, headers=bearer(write_key)
        )
        assert response.json()["linked"] == [expected], written
    status = (await web.get(f"{API}/subjects/{expected}", headers=bearer(read_key))).json()
    assert status["consent_ids"] == [cid]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"consent_id": "nobody-here-at-all", "email": "a@example.com"}, 404, "unknown_subject"),
        ({"consent_id": "x", "email": "a@example.com"}, 400, "bad_subject"),
        ({"consent_id": "consent-id-0000000000"}, 400, "bad_request"),
        ({"consent_id": "consent-id-0000000000", "email": "not an email"}, 400, "bad_identifier"),
        ({"consent_id": "consent-id-0000000000", "phone": "12"}, 400, "bad_identifier"),
        ({"consent_id": "consent-id-0000000000", "identifiers": ["email:abc"]}, 400, "bad_identifier"),
        ({"consent_id": "consent-id-0000000000", "what": 1}, 400, "bad_request"),
        ([1, 2], 400, "bad_request"),
    ],
)
async def test_link_errors(
    web: httpx.AsyncClient, write_key: str, body: Any, status: int, error: str
) -> None:
    response = await web.post(f"{API}/links", json=body, headers=bearer(write_key))
    assert (response.status_code, response.json()["error"]) == (status, error)


# --- cross-channel opt-outs -------------------------------------------------------------------------


async def test_sms_stop_reaches_every_linked_consent_id(
    web: httpx.AsyncClient, write_key: str, read_key: str
) -> None:
    cid = await choose(web, {"action": "accept_all"})
    await web.post("/signup", json={"phone": "415-555-0132"})
    phone = f"phone:{sha('+14155550132')}"
    response = await web.post(
        f"{API}/opt-outs",
        json={"phone": "+1 (415) 555-0132", "channel": "sms", "opt_outs": ["contact"]},
        headers=bearer(write_key),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["subject"] == phone
    assert body["status"]["opt_outs"]["contact"]["opted_out"] is True
    assert body["status"]["opt_outs"]["contact"]["source"] == "sms"
    status = (await web.get(f"{API}/subjects/{cid}", headers=bearer(read_key))).json()
    assert status["opt_outs"]["contact"] == {**body["status"]["opt_outs"]["contact"], "via": phone}
    assert status["opt_outs"]["analytics"]["opted_out"] is False  # only contact was named
    assert status["categories"]["analytics"] is True


async def test_opt_out_before_any_link_applies_once_linked(
    web: httpx.AsyncClient, write_key: str, read_key: str
) -> None:
    response = await web.post(
        f"{API}/opt-outs", json={"email": "carol@example.com", "channel": "phone"}, headers=bearer(write_key)
    )
    assert response.status_code == 201
    assert all(flag["opted_out"] for flag in response.json()["status"]["opt_outs"].values())
    cid = await choose(web, {"action": "reject_all"})
    await web.post("/signup", json={"email": "CAROL@example.com"})
    status = (await web.get(f"{API}/subjects/{cid}", headers=bearer(read_key))).json()
    assert status["opt_outs"]["contact"]["source"] == "phone"
    assert status["opt_outs"]["sale_sharing"]["opted_out"] is True


async def test_opt_out_by_hashed_subject_and_by_consent_id(web: httpx.AsyncClient, write_key: str) -> None:
    subject = f"email:{sha('dave@example.com')}"
    response = await web.post(
        f"{API}/opt-outs",
        json={"subject": subject, "channel": "form", "opt_outs": ["sale_sharing"]},
        headers=bearer(write_key),
    )
    assert response.status_code == 201
    flags = response.json()["status"]["opt_outs"]
    assert flags["sale_sharing"]["opted_out"] is True
    assert flags["targeted_advertising"]["opted_out"] is False
    cid = await choose(web, {"action": "accept_all"})
    response = await web.post(
        f"{API}/opt-outs", json={"subject": cid, "channel": "api"}, headers=bearer(write_key)
    )
    assert response.status_code == 201
    assert response.json()["status"]["opt_outs"]["analytics"]["source"] == "api"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"email": "a@example.com"}, 400, "bad_channel"),
        ({"email": "a@example.com", "channel": "fax"}, 400, "bad_channel"),
        ({"email": "a@example.com", "channel": "sms", "opt_outs": []}, 400, "bad_opt_outs"),
        (
            {"email": "a@example.com", "channel": "sms", "opt_outs": ["contact", "contact"]},
            400,
            "bad_opt_outs",
        ),
        ({"email": "a@example.com", "channel": "sms", "opt_outs": ["everything"]}, 400, "bad_opt_outs"),
        ({"email": "a@example.com", "phone": "+14155550132", "channel": "sms"}, 400, "bad_request"),
        ({"channel": "sms"}, 400, "bad_request"),
        ({"email": "nope", "channel": "sms"}, 400, "bad_identifier"),
        ({"phone": "555", "channel": "sms"}, 400, "bad_identifier"),
        ({"subject": "bad subject", "channel": "sms"}, 400, "bad_subject"),
        ({"subject": "unknown-consent-id-000", "channel": "sms"}, 404, "unknown_subject"),
        ({"email": "a@example.com", "channel": "sms", "extra": 1}, 400, "bad_request"),
        ("just a string", 400, "bad_request"),
        ({"user_id": "42\n", "channel": "sms"}, 400, "bad_identifier"),
        ({"subject": "user:42\n", "channel": "sms"}, 400, "bad_subject"),
    ],
)
async def test_opt_out_errors(
    web: httpx.AsyncClient, write_key: str, body: Any, status: int, error: str
) -> None:
    response = await web.post(f"{API}/opt-outs", json=body, headers=bearer(write_key))
    assert (response.status_code, response.json()["error"]) == (status, error)


async def test_bodies_must_be_json_and_small(web: httpx.AsyncClient, write_key: str) -> None:
    headers = bearer(write_key)
    response = await web.post(
        f"{API}/opt-outs", content=b"{}", headers={**headers, "content-type": "text/plain"}
    )
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_media_type")
    response = await web.post(
        f"{API}/opt-outs", content=b"{nope", headers={**headers, "content-type": "application/json"}
    )
    assert (response.status_code, response.json()["error"]) == (400, "bad_json")
    huge = json.dumps({"subjects": ["x" * 1000] * 300}).encode()
    response = await web.post(
        f"{API}/subjects", content=huge, headers={**headers, "content-type": "application/json"}
    )
    assert (response.status_code, response.json()["error"]) == (413, "body_too_large")


# --- bulk -----------------------------------------------------------------------------------------


async def test_bulk_lookup_answers_in_order(web: httpx.AsyncClient, read_key: str) -> None:
    first = await choose(web, {"action": "accept_all"})
    web.cookies.clear()
    second = await choose(web, {"action": "reject_all"})
    unknown = f"email:{sha('nobody@example.com')}"
    response = await web.post(
        f"{API}/subjects", json={"subjects": [second, unknown, first]}, headers=bearer(read_key)
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["subject"] for r in results] == [second, unknown, first]
    assert [r["found"] for r in results] == [True, False, True]
    assert results[0]["opt_outs"]["analytics"]["opted_out"] is True
    assert results[2]["opt_outs"]["analytics"]["opted_out"] is False


async def test_bulk_lookup_of_a_thousand(web: httpx.AsyncClient, read_key: str) -> None:
    cid = await choose(web, {"action": "accept_all"})
    subjects = [cid] + [f"email:{sha(str(i))}" for i in range(999)]
    response = await web.post(f"{API}/subjects", json={"subjects": subjects}, headers=bearer(read_key))
    assert response.status_code == 200
    assert sum(r["found"] for r in response.json()["results"]) == 1
    response = await web.post(
        f"{API}/subjects", json={"subjects": [*subjects, cid]}, headers=bearer(read_key)
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"subjects": []}, "bad_request"),
        ({"subjects": "a"}, "bad_request"),
        ({}, "bad_request"),
        ({"subjects": [1]}, "bad_subject"),
        ({"subjects": ["bad one"]}, "bad_subject"),
    ],
)
async def test_bulk_errors(web: httpx.AsyncClient, read_key: str, body: Any, error: str) -> None:
    response = await web.post(f"{API}/subjects", json=body, headers=bearer(read_key))
    assert (response.status_code, response.json()["error"]) == (400, error)


# --- the changes feed -------------------------------------------------------------------------------


async def test_changes_feed_pages_through_every_change_in_order(
    web: httpx.AsyncClient, read_key: str, write_key: str
) -> None:
    cid = await choose(web, {"action": "accept_all"})
    await web.post("/signup", json={"email": "erin@example.com"})
    await web.delete("/consentgate/consent", headers=SAME_ORIGIN)
    await web.post(
        f"{API}/opt-outs", json={"email": "erin@example.com", "channel": "email"}, headers=bearer(write_key)
    )
    web.cookies.clear()
    other = await choose(web, {"action": "reject_all"})
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    async for page in feed_pages(web, read_key, limit=2):
        seen += page["changes"]
        cursor = page["next"]
        pages += 1
    assert pages == 2
    email = f"email:{sha('erin@example.com')}"
    assert [(c["subject"], c["action"]) for c in seen] == [
        (cid, "accept_all"),
        (cid, "withdraw"),
        (email, "api_opt_out"),
        (other, "reject_all"),
    ]
    assert seen[0]["linked"] == [email]
    assert seen[2]["linked"] == [cid]
    assert seen[2]["source"] == "email"
    assert seen[1]["opt_outs"] == {"analytics": True, "sale_sharing": True, "targeted_advertising": True}
    # Nothing new: the same cursor comes back, and it picks up what comes later.
    empty = (await web.get(f"{API}/changes", params={"after": cursor}, headers=bearer(read_key))).json()
    assert empty == {"changes": [], "next": cursor, "has_more": False}
    await choose(web, {"action": "accept_all"})
    later = (await web.get(f"{API}/changes", params={"after": cursor}, headers=bearer(read_key))).json()
    assert [(c["subject"], c["action"]) for c in later["changes"]] == [(other, "accept_all")]
    # A change's own cursor resumes right after it.
    resumed = (
        await web.get(
            f"{API}/changes", params={"after": seen[1]["cursor"], "limit": "1"}, headers=bearer(read_key)
        )
    ).json()
    assert resumed["changes"][0]["record_id"] == seen[2]["record_id"]


def cursor_of(text: str) -> str:
    """A cursor as the feed writes them: base64url without padding."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def position_of(cursor: str) -> tuple[int, int]:
    """The ``(txid, seq)`` inside a cursor of this version ("c2.<txid>.<seq>")."""
    version, txid, seq = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(".")
    assert version == "c2"
    return int(txid), int(seq)


async def feed_pages(
    web: httpx.AsyncClient, key: str, after: str | None = None, *, limit: int = 1
) -> AsyncIterator[dict[str, Any]]:
    """Each page of the changes feed after ``after``, following 'next' until 'has_more' is false."""
    while True:
        params = {"limit": str(limit)} | ({"after": after} if after else {})
        response = await web.get(f"{API}/changes", params=params, headers=bearer(key))
        assert response.status_code == 200
        page = response.json()
        yield page
        after = page["next"]
        if not page["has_more"]:
            return


async def page_all(web: httpx.AsyncClient, key: str, after: str | None = None) -> list[dict[str, Any]]:
    """Every change after ``after``, one per page."""
    return [change async for page in feed_pages(web, key, after) for change in page["changes"]]


async def test_changes_feed_still_reads_cursors_of_the_first_version(
    web: httpx.AsyncClient, read_key: str
) -> None:
    """A "c1.<seq>" cursor, kept by a client from before cursors held a transaction id, resumes in place."""
    for action in ("accept_all", "reject_all", "accept_all"):
        web.cookies.clear()
        await choose(web, {"action": action})
    seen = await page_all(web, read_key)
    assert len(seen) == 3
    resumed = await page_all(web, read_key, cursor_of(f"c1.{position_of(seen[0]['cursor'])[1]}"))
    assert [c["record_id"] for c in resumed] == [c["record_id"] for c in seen[1:]]


@pytest.mark.postgres
async def test_changes_feed_on_postgres(make_gate: GateFactory) -> None:
    """The same feed over HTTP on PostgreSQL: cursors carry a transaction id, and old cursors still work."""
    with postgres_schema() as schema:
        gate = make_gate(linking_app(), database=postgres_url(schema), api={"key_cache_seconds": 0.0})
        try:
            async with client_for(gate) as web:
                key = await make_key(gate, "read")
                subjects: list[str] = []
                for action in ("accept_all", "reject_all", "accept_all"):
                    web.cookies.clear()
                    subjects.append(await choose(web, {"action": action}))
                await settle(await gate.store())
                seen = await page_all(web, key)
                assert [(c["subject"], c["action"]) for c in seen] == list(
                    zip(subjects, ("accept_all", "reject_all", "accept_all"), strict=True)
                )
                txids = [position_of(c["cursor"])[0] for c in seen]
                assert all(txid > 0 for txid in txids) and txids == sorted(txids)
                resumed = await page_all(web, key, cursor_of(f"c1.{position_of(seen[0]['cursor'])[1]}"))
                assert [c["record_id"] for c in resumed] == [c["record_id"] for c in seen[1:]]
                last = seen[-1]["cursor"]
                empty = (await web.get(f"{API}/changes", params={"after": last}, headers=bearer(key))).json()
                assert empty == {"changes": [], "next": last, "has_more": False}
        finally:
            await gate.aclose()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"after": "garbage!"}, "bad_cursor"),
        ({"after": "YzEueA"}, "bad_cursor"),
        ({"after": cursor_of("c2.1")}, "bad_cursor"),
        ({"after": cursor_of("c2.1.2.3")}, "bad_cursor"),
        ({"after": cursor_of("c2.-1.2")}, "bad_cursor"),
        ({"after": cursor_of("c3.1.2")}, "bad_cursor"),
        ({"limit": "0"}, "bad_limit"),
        ({"limit": "1001"}, "bad_limit"),
        ({"limit": "²"}, "bad_limit"),
        ({"cursor": "x"}, "bad_request"),
    ],
)
async def test_changes_errors(
    web: httpx.AsyncClient, read_key: str, params: dict[str, str], error: str
) -> None:
    response = await web.get(f"{API}/changes", params=params, headers=bearer(read_key))
    assert (response.status_code, response.json()["error"]) == (400, error)
