"""A trivial site behind the real gate, served by uvicorn in its own process (durability, two-server
tests and ``bench/bench_choices.py``).

    CG_DATABASE=sqlite:////tmp/x.db uvicorn --factory tests.support.ledger_gate_app:create_app

``GET /ledger/{consent_id}`` answers the records the gate's own store holds for a consent id, so a
test can ask one server what another one recorded.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from consentgate import ConsentMiddleware
from consentgate.store import open_store

SECRET = "ledger-test-secret-0123456789"


def create_app() -> ConsentMiddleware:
    """The gate around a two-route app, on the database named by ``CG_DATABASE``."""
    database = os.environ["CG_DATABASE"]
    store = open_store(database)

    async def ledger(request: Request) -> Response:
        records = await gate.store()
        found = await records.records(request.path_params["consent_id"])
        return JSONResponse([record.to_json() for record in found])

    async def home(request: Request) -> Response:
        return PlainTextResponse("ok")

    site = Starlette(routes=[Route("/ledger/{consent_id}", ledger), Route("/", home)])
    gate = ConsentMiddleware(site, secret_key=SECRET, database=database, store=store)
    return gate
