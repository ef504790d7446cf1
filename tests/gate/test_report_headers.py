"""Response headers that send the browser's own requests to a URL they name, through real HTTP:
``Speculation-Rules`` (the rules' JSON is fetched at once), the CSP's ``report-uri`` (a report on
each violation), ``Reporting-Endpoints`` and ``Report-To`` (where CSP, NEL, COOP, deprecation
reports go). A URL of a refused category goes; the rest of each header is kept as it was, and a
header naming nothing refused passes byte for byte."""

from __future__ import annotations

import json
from typing import Any

import httpx

from consentgate.gate.header_loads import gated_header_loads
from consentgate.gate.rewrite import RewritePlan
from tests.support.asgi import body_app
from tests.support.rewriter import TinyCatalog
from tests.support.site import ORIGIN, GateFactory, client_for

PAGE = b"<!doctype html><html><head><title>t</title></head><body><p>hello</p></body></html>"
PIXEL = "https://www.facebook.com/tr?id=1"
GA = "https://www.google-analytics.com/collect"
OWN = "/reports"


def _app(headers: list[tuple[bytes, bytes]], kind: bytes = b"text/html; charset=utf-8") -> Any:
    return body_app(PAGE, [(b"content-type", kind), *headers])


async def _get(
    make_gate: GateFactory,
    headers: list[tuple[bytes, bytes]],
    kind: bytes = b"text/html; charset=utf-8",
    **config: Any,
) -> httpx.Response:
    gate = make_gate(_app(headers, kind), **config)
    try:
        async with client_for(gate) as client:
            if config.get("mode") == "per_visitor":
                chosen = await client.post(
                    "/consentgate/consent", json={"action": "accept_all"}, headers={"origin": ORIGIN}
                )
                assert chosen.status_code == 200, chosen.text
            return await client.get("/")
    finally:
        await gate.aclose()


async def test_speculation_rules_to_a_tracker_are_dropped_and_the_own_kept(make_gate: GateFactory) -> None:
    value = f'"{PIXEL}", "/rules.json"'.encode()
    response = await _get(make_gate, [(b"Speculation-Rules", value)])
    assert response.headers.get_list("speculation-rules") == ['"/rules.json"']
    alone = await _get(make_gate, [(b"speculation-rules", f'"{PIXEL}"'.encode())])
    assert "speculation-rules" not in alone.headers


async def test_a_csp_report_uri_to_a_tracker_goes_and_the_policy_stays(make_gate: GateFactory) -> None:
    policy = f"default-src 'self'; report-uri {PIXEL} /csp-reports; img-src 'self'"
    response = await _get(
        make_gate,
        [
            (b"content-security-policy", policy.encode()),
            (b"Content-Security-Policy-Report-Only", f"script-src 'none'; REPORT-URI {GA}".encode()),
        ],
    )
    assert response.headers["content-security-policy"] == (
        "default-src 'self'; report-uri /csp-reports; img-src 'self'"
    )
    assert response.headers["content-security-policy-report-only"] == "script-src 'none'"


async def test_a_csp_is_filtered_on_any_response_when_it_has_a_report_uri(make_gate: GateFactory) -> None:
    # The middleware's header pass sends a response through the filter for a CSP only when its value
    # holds a report-uri (most pages send a CSP): one that does, on JSON too, still loses the tracker.
    policy = f"default-src 'none'; Report-Uri {PIXEL}"
    response = await _get(make_gate, [(b"Content-Security-Policy", policy.encode())], b"application/json")
    assert response.headers["content-security-policy"] == "default-src 'none'"
    plain = "default-src 'none'; img-src https://www.facebook.com"
    kept = await _get(make_gate, [(b"content-security-policy", plain.encode())], b"application/json")
    assert kept.headers["content-security-policy"] == plain


async def test_reporting_endpoints_and_report_to_lose_the_trackers(make_gate: GateFactory) -> None:
    report_to = json.dumps({"group": "g", "max_age": 100, "endpoints": [{"url": PIXEL}]})
    own_group = json.dumps({"group": "h", "max_age": 100, "endpoints": [{"url": OWN}, {"url": GA}]})
    response = await _get(
        make_gate,
        [
            (b"reporting-endpoints", f'g="{PIXEL}", default="{OWN}"'.encode()),
            (b"report-to", f"{report_to}, {own_group}".encode()),
            (b"nel", b'{"report_to":"g","max_age":100}'),
        ],
    )
    assert response.headers["reporting-endpoints"] == f'default="{OWN}"'
    assert json.loads(f"[{response.headers['report-to']}]") == [
        {"group": "h", "max_age": 100, "endpoints": [{"url": OWN}]}
    ]
    assert response.headers["nel"] == '{"report_to":"g","max_age":100}'


async def test_a_visitor_who_granted_everything_gets_every_header_as_sent(make_gate: GateFactory) -> None:
    headers = [
        (b"speculation-rules", f'"{PIXEL}"'.encode()),
        (b"content-security-policy", f"img-src 'self'; report-uri {PIXEL}".encode()),
        (b"reporting-endpoints", f'g="{PIXEL}"'.encode()),
    ]
    response = await _get(make_gate, headers, mode="per_visitor")
    assert [
        (k.encode(), v.encode()) for k, v in response.headers.items() if k.encode() in dict(headers)
    ] == headers


def test_headers_that_name_nothing_refused_are_the_same_objects() -> None:
    plan = RewritePlan(TinyCatalog())
    blocked = frozenset({"analytics", "advertising"})
    headers = [
        (b"content-security-policy", b"default-src 'self'; report-uri /r https://reports.example.com/x"),
        (b"speculation-rules", b'"/rules.json"'),
        (b"reporting-endpoints", b'default="https://reports.example.com/x"'),
        (b"report-to", b'{"group":"g","endpoints":[{"url":"/r"}]}'),
    ]
    assert gated_header_loads(headers, plan, blocked) == headers


def test_values_that_do_not_parse_but_name_a_tracker_are_dropped_whole() -> None:
    plan = RewritePlan(TinyCatalog())
    blocked = frozenset({"advertising"})
    for name, value in (
        (b"report-to", b'{"group":"g","endpoints":[{"url":"https://www.facebook.com/tr"}]'),
        (b"reporting-endpoints", b'g="https://www.facebook.com/tr'),
        (b"speculation-rules", b'"https://www.facebook.com/tr'),
    ):
        assert gated_header_loads([(name, value)], plan, blocked) == [], name
