"""The API against its own OpenAPI document: requests generated from it (schemathesis) over real HTTP.

The document is fetched from the running gate, every operation gets generated requests (schema-valid
ones, then schema-breaking ones) sent with a real write key through httpx ``ASGITransport``, and each
response must be no 5xx, a documented status, a documented content type, and match the documented
schema and headers. Before that the gate gets banner choices, links and opt-outs, and about half of
the generated requests are aimed at them, so lookups, the feed, links and opt-outs reach their
success paths too (the tests check that they did).

Hypothesis runs in a worker thread and hands each request to the test's event loop, so the gate and
its store live on one loop and the test can look at every status once the run is over.
"""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from consentgate import ConsentMiddleware
from tests.support.api import API, SAME_ORIGIN, bearer, make_key, sha
from tests.support.site import ORIGIN, GateFactory, client_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: Every operation of the document, with the status that shows a request got through.
SUCCESS = {
    "GET /subjects/{subject}": 200,
    "POST /subjects": 200,
    "GET /changes": 200,
    "POST /opt-outs": 201,
    "POST /links": 200,
    "GET /openapi.json": 200,
}
#: Enough examples to reach the success paths of every operation, few enough for a short run.
EXAMPLES = 150
_SUBJECT_FIELDS = ("subject", "email", "phone", "user_id")
_EMAIL, _PHONE, _OPTED_OUT_EMAIL = "erin@example.com", "+1 415 555 0132", "frank@example.com"
#: Well-formed subjects the gate never saw (the 404 paths).
_STRANGERS = ["unknown-consent-id-000", f"email:{sha('nobody@example.com')}"]


@dataclass(frozen=True, slots=True)
class World:
    """A seeded gate, its document as schemathesis reads it, a client and a write key."""

    schema: schemathesis.BaseSchema
    web: httpx.AsyncClient
    key: str
    consent_ids: list[str]
    identifiers: list[str]
    cursors: list[str]

    @property
    def subjects(self) -> list[str]:
        """Every subject the gate knows, and two it does not."""
        return self.consent_ids + self.identifiers + _STRANGERS


@pytest.fixture
async def world(make_gate: GateFactory) -> AsyncIterator[World]:
    gate = make_gate(
        identity={"phone_region": "US"},
        # Far above what the run sends, so a 429 hides no route (429 is documented all the same).
        api={"rate_limit": 1_000_000.0, "rate_burst": 1_000_000},
    )
    try:
        async with client_for(gate) as web:
            yield await _seed(gate, web)
    finally:
        await gate.aclose()


async def _seed(gate: ConsentMiddleware, web: httpx.AsyncClient) -> World:
    """Two visitors' choices, links of one, opt-outs by e-mail and by consent id; the feed's cursors."""
    key = await make_key(gate, "write")
    consent_ids = []
    for choice in ({"action": "accept_all"}, {"categories": {"analytics": True}}):
        web.cookies.clear()
        response = await web.post("/consentgate/consent", json=choice, headers=SAME_ORIGIN)
        assert response.status_code == 200
        consent_ids.append(response.json()["id"])
    web.cookies.clear()
    writes = [
        (
            "links",
            {"consent_id": consent_ids[0], "email": _EMAIL, "phone": _PHONE, "identifiers": ["user:42"]},
        ),
        ("opt-outs", {"email": _OPTED_OUT_EMAIL, "channel": "sms", "opt_outs": ["contact"]}),
        ("opt-outs", {"subject": consent_ids[1], "channel": "phone"}),
    ]
    for path, body in writes:
        response = await web.post(f"{API}/{path}", json=body, headers=bearer(key))
        assert response.status_code in (200, 201), response.text
    cursors = []
    page = {"next": None, "has_more": True}
    while page["has_more"]:
        params = {"limit": "1"} | ({"after": page["next"]} if page["next"] else {})
        page = (await web.get(f"{API}/changes", params=params, headers=bearer(key))).json()
        cursors += [change["cursor"] for change in page["changes"]]
    assert len(cursors) == 4  # two choices, two opt-outs
    response = await web.get(f"{API}/openapi.json")
    assert response.status_code == 200
    identifiers = [
        f"email:{sha(_EMAIL)}",
        f"phone:{sha('+14155550132')}",
        "user:42",
        f"email:{sha(_OPTED_OUT_EMAIL)}",
    ]
    schema = schemathesis.openapi.from_dict(response.json())
    return World(schema, web, key, consent_ids, identifiers, cursors)


def _aim_at_seeds(case: Case[Any], data: st.DataObject, world: World) -> None:
    """Put subjects, cursors and identifiers the gate knows into ``case``.

    Only on copies: a generated value can be the very object a strategy hands out again (``st.just``
    of a ``const``), and changing it would make hypothesis's replays draw differently.
    """

    def pick(values: list[Any]) -> Any:
        return data.draw(st.sampled_from(values))

    label: str = case.operation.label
    if label == "GET /subjects/{subject}":
        case.path_parameters = {**case.path_parameters, "subject": pick(world.subjects)}
    elif label == "GET /changes":
        case.query = {**case.query, "after": pick(world.cursors)}
    if not isinstance(case.body, dict):
        return
    body: Any = copy.deepcopy(case.body)  # JSON as generated: the document says what it may hold
    if label == "POST /subjects":
        body["subjects"] = data.draw(st.lists(st.sampled_from(world.subjects), min_size=1, max_size=8))
    elif label == "POST /opt-outs":
        for name in _SUBJECT_FIELDS:  # the route takes exactly one way to name the subject
            body.pop(name, None)
        name, value = pick(
            [("subject", s) for s in world.subjects]
            + [("email", _EMAIL), ("phone", _PHONE), ("user_id", "42")]
        )
        body[name] = value
    elif label == "POST /links":
        body["consent_id"] = pick([*world.consent_ids, _STRANGERS[0]])
        for name, value in (("email", _OPTED_OUT_EMAIL), ("phone", _PHONE), ("user_id", "7")):
            if name in body:
                body[name] = value
        body["identifiers"] = data.draw(st.lists(st.sampled_from(world.identifiers), max_size=3))
    case.body = body


async def _explore(world: World, label: str, mode: GenerationMode) -> Counter[int]:
    """Run the generated requests of one operation; every response is checked; the statuses seen."""
    operation = world.schema.find_operation_by_label(label)
    assert operation is not None, label
    loop = asyncio.get_running_loop()
    statuses: Counter[int] = Counter()
    cases = operation.as_strategy(generation_mode=mode)  # one strategy for the run: hypothesis replays it

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(cases, label="case")
        if data.draw(st.booleans(), label="aim at seeded data"):
            _aim_at_seeds(case, data, world)
        kwargs = case.as_transport_kwargs(base_url=f"{ORIGIN}{API}", headers=bearer(world.key))
        assert not kwargs.pop("cookies")  # the document declares none
        if isinstance(kwargs.get("data"), bytes):  # a raw (broken) body: httpx calls that content
            kwargs["content"] = kwargs.pop("data")
        request = world.web.request(**kwargs)
        response = asyncio.run_coroutine_threadsafe(request, loop).result()
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    await asyncio.to_thread(run)
    return statuses


async def test_the_tests_cover_every_operation_of_the_document(world: World) -> None:
    labels = {operation.label for methods in world.schema.values() for operation in methods.values()}
    assert labels == set(SUCCESS)


@pytest.mark.parametrize("label", list(SUCCESS))
async def test_schema_valid_requests_get_documented_answers(world: World, label: str) -> None:
    statuses = await _explore(world, label, GenerationMode.POSITIVE)
    assert SUCCESS[label] in statuses, statuses  # the seeded data let some requests through


# The document route takes no input to break.
@pytest.mark.parametrize("label", [label for label in SUCCESS if label != "GET /openapi.json"])
async def test_schema_breaking_requests_get_documented_answers(world: World, label: str) -> None:
    statuses = await _explore(world, label, GenerationMode.NEGATIVE)
    assert any(400 <= status < 500 for status in statuses), statuses
