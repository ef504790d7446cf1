"""The opt-out status API and the webhook worker: lookups/s, p99 at a fixed rate, deliveries/s.

Lookups. The gate (a trivial site behind ConsentMiddleware) is served by one uvicorn worker on
loopback, on SQLite (a file in a temporary directory) and on the local PostgreSQL (a fresh schema).
Before it starts, the ledger is seeded through the gate's own routes (in process, httpx
ASGITransport): 10,000 visitors' choices on ``POST /consentgate/consent``, e-mail and user-id links
for some of them on ``POST .../api/v1/links`` and phone opt-outs on ``POST .../api/v1/opt-outs``. Then
``GET /consentgate/api/v1/subjects/{subject}`` with a read key, over every consent id and identifier
in random order:

- closed loop: wrk ``-t1 -c16`` (a Lua script picks the subject), the most lookups/s the server gives;
- open loop: a small asyncio client in its own process fires lookups on a fixed schedule (500/s
  for 10 s) over keep-alive connections, opening more when all are busy, and times each lookup
  from its *scheduled* start, so a stall of the server counts for every lookup it delays
  (no coordinated omission). Gives p50/p99/max and the rate achieved.

The per-key rate limit of the API (``api.rate_limit``, 100/s by default) is raised for the bench:
it is a policy, not a cost, and one key drives every lookup here.

Deliveries. 5,000 choices are recorded through a gate with one webhook subscription
(``worker = "external"``), so the outbox holds 5,000 events written by the real path; a receiver
in its own process (uvicorn + Starlette, every signature verified with the ``standardwebhooks``
library) counts them, and ``DeliveryWorker.drain()`` (default concurrency) is timed, with the CPU
time of both sides. Every event must end verified by the receiver and marked delivered; attempts
that failed in the timed drain are counted, and delivered afterwards (untimed) once their backoff
ends. The threaded receiver of the tests (tests/support/receiver.py) is measured too, for
comparison.

Server and load each get a core of their own (SERVER_CPU / LOAD_CPU of _harness): the gate or the
receiver on one, wrk, the open-loop client or the delivery worker on the other. PostgreSQL is not
pinned: on a 2-core machine its backends take turns with both.
Targets: p99 under 10 ms at 500 lookups/s, and at least 500 deliveries/s.

    .venv/bin/python bench/bench_api.py [--subjects 10000] [--duration 5] [--rounds 3] [--rate 500]
        [--rate-seconds 10] [--events 5000] [--backend sqlite|postgres] [--receiver uvicorn|threaded]
        [--only lookups|deliveries] [--strict]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _harness import (
    LOAD_CPU,
    ROOT,
    SERVER_CPU,
    BenchError,
    Server,
    WrkResult,
    fresh_database,
    median,
    pin_to,
    print_table,
    process_cpu_seconds,
    run_wrk,
    uvicorn_server,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from consentgate import ConsentMiddleware
from consentgate.api.keys import ApiKey, hash_key, new_key
from consentgate.store import Store, open_store
from consentgate.webhooks.signing import new_secret
from consentgate.webhooks.worker import DeliveryWorker

TARGET_RATE = 500.0
TARGET_P99_MS = 10.0
TARGET_DELIVERIES = 500.0
SUBJECTS_PATH = "/consentgate/api/v1/subjects/"

_SECRET = "bench-secret-key-not-for-production"
_ORIGIN = "http://bench.local"
_SAME_ORIGIN = {"origin": _ORIGIN, "sec-fetch-site": "same-origin"}
_DATABASE_ENV = "BENCH_API_DATABASE"
_HOOK_SECRET_ENV = "BENCH_API_HOOK_SECRET"
#: One key drives every lookup: its token bucket (a policy, 100/s by default) must not be the bottleneck.
_API = {"rate_limit": 1e9, "rate_burst": 1_000_000_000}
#: Requests in flight while seeding (the SQLite writer groups the appends that arrive together).
_SEED_CONCURRENCY = 64
_CHOICES = (
    {"action": "accept_all"},
    {"action": "reject_all"},
    {"categories": {"analytics": True, "advertising": False, "social": False}},
    {"categories": {"analytics": False, "advertising": True, "social": True}},
)


# --- the apps uvicorn serves (factories) ------------------------------------------------------------


async def _ok(request: Request) -> Response:
    return PlainTextResponse("ok")


def gate_app() -> ASGIApp:
    """A trivial site behind the gate, on the database named by ``BENCH_API_DATABASE`` (uvicorn factory)."""
    site = Starlette(routes=[Route("/", _ok)])
    return ConsentMiddleware(site, secret_key=_SECRET, database=os.environ[_DATABASE_ENV], api=_API)


def receiver_app() -> ASGIApp:
    """A webhook receiver (uvicorn factory): ``POST /hooks`` verifies the Standard Webhooks signature
    with the ``standardwebhooks`` library and counts each message id once; ``GET /count`` answers
    ``{"delivered": n, "requests": n, "bad": n}``."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    webhook = Webhook(os.environ[_HOOK_SECRET_ENV])
    seen: set[str] = set()
    counts = {"requests": 0, "bad": 0}

    async def hook(request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        counts["requests"] += 1
        try:
            webhook.verify(body, headers)
        except WebhookVerificationError:
            counts["bad"] += 1
            return Response(status_code=400)
        seen.add(headers["webhook-id"])
        return Response(status_code=204)

    async def count(request: Request) -> Response:
        return JSONResponse({"delivered": len(seen), **counts})

    return Starlette(routes=[Route("/hooks", hook, methods=["POST"]), Route("/count", count)])


# --- databases and seeding --------------------------------------------------------------------------


async def _make_key(store: Store, scope: str) -> str:
    """A new API key of ``scope``, stored hashed as ``consentgate keys create`` does."""
    key_id, key = new_key()
    await store.add_api_key(ApiKey(key_id, f"bench-{scope}", scope, time.time()), hash_key(key))
    return key


async def _bounded(count: int, make: Callable[[int], Awaitable[Any]]) -> list[Any]:
    """``make(i)`` for every i below ``count``, at most :data:`_SEED_CONCURRENCY` at once, in order."""
    gate = asyncio.Semaphore(_SEED_CONCURRENCY)

    async def one(index: int) -> Any:
        async with gate:
            return await make(index)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def _client(transport: httpx.ASGITransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, base_url=_ORIGIN, timeout=60, trust_env=False)


async def _choices(transport: httpx.ASGITransport, count: int) -> list[str]:
    """Record ``count`` choices of new visitors on the banner route; returns their consent ids."""

    async def choose(index: int) -> str:
        # A client per visitor: a shared one would keep the first visitor's cookie for all of them.
        async with _client(transport) as client:
            response = await client.post(
                "/consentgate/consent", json=_CHOICES[index % len(_CHOICES)], headers=_SAME_ORIGIN
            )
        if response.status_code != 200:
            raise BenchError(f"a seeding choice failed: {response.status_code} {response.text[:200]}")
        consent_id: str = response.json()["id"]
        return consent_id

    return await _bounded(count, choose)


@dataclass(frozen=True, slots=True)
class _Seeded:
    read_key: str
    subjects: list[str]
    consent_ids: int
    links: int
    opt_outs: int


async def _seed_lookups(database: str, count: int) -> _Seeded:
    """``count`` visitors' choices; every 2nd linked to an e-mail, every 10th to a user id too; every
    10th e-mail opted out by phone. All through the gate's routes, in process."""
    gate = ConsentMiddleware(
        Starlette(routes=[Route("/", _ok)]), secret_key=_SECRET, database=database, api=_API
    )
    try:
        store = await gate.store()
        read_key = await _make_key(store, "read")
        write = {"authorization": f"Bearer {await _make_key(store, 'write')}"}
        transport = httpx.ASGITransport(app=gate)
        consent_ids = await _choices(transport, count)
        if len(set(consent_ids)) != count:
            raise BenchError(f"{count} choices made {len(set(consent_ids))} consent ids")
        async with _client(transport) as client:

            async def link(index: int) -> list[str]:
                if index % 2:
                    return []
                body: dict[str, Any] = {"consent_id": consent_ids[index], "email": f"v{index}@bench.example"}
                if index % 10 == 0:
                    body["user_id"] = f"u{index}"
                response = await client.post("/consentgate/api/v1/links", json=body, headers=write)
                if response.status_code != 200:
                    raise BenchError(f"a seeding link failed: {response.status_code} {response.text[:200]}")
                linked: list[str] = response.json()["linked"]
                return linked

            identifiers = [i for found in await _bounded(count, link) for i in found]
            emails = [i for i in identifiers if i.startswith("email:")]

            async def opt_out(index: int) -> None:
                body = {"subject": emails[index * 10], "channel": "phone", "opt_outs": ["contact"]}
                response = await client.post("/consentgate/api/v1/opt-outs", json=body, headers=write)
                if response.status_code != 201:
                    raise BenchError(
                        f"a seeding opt-out failed: {response.status_code} {response.text[:200]}"
                    )

            opt_outs = len(emails[::10])
            await _bounded(opt_outs, opt_out)
    finally:
        await gate.aclose()
    return _Seeded(read_key, consent_ids + identifiers, len(consent_ids), len(identifiers), opt_outs)


def _check_lookups(url: str, seeded: _Seeded) -> None:
    """A consent id, a linked e-mail and an unknown subject answer what the seeding implies."""
    headers = {"authorization": f"Bearer {seeded.read_key}"}
    email = next(s for s in seeded.subjects if s.startswith("email:"))
    with httpx.Client(base_url=url + SUBJECTS_PATH, headers=headers, timeout=10, trust_env=False) as client:
        # "./": a subject such as "email:..." would read as an absolute URL of scheme "email".
        first = client.get("./" + seeded.subjects[0])
        if first.status_code != 200 or first.json()["identifiers"] == []:
            raise BenchError(f"the first consent id does not answer its links: {first.text[:300]}")
        linked = client.get("./" + email).json()
        if (
            linked.get("consent_ids") != [seeded.subjects[0]]
            or not linked["opt_outs"]["contact"]["opted_out"]
        ):
            raise BenchError(f"the first e-mail does not answer its link and opt-out: {linked}")
        if client.get("./unknown-subject-0000").status_code != 404:
            raise BenchError("an unknown subject does not answer 404")


# --- closed loop: wrk ---------------------------------------------------------------------------------


def _lua(subjects: Sequence[str], key: str) -> str:
    """A wrk script: every request asks for a random subject of ``subjects``."""
    paths = ",\n".join(json.dumps(SUBJECTS_PATH + s) for s in subjects)
    return (
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        f"local paths = {{\n{paths}\n}}\n"
        "local n = #paths\n"
        "request = function()\n"
        '  return wrk.format("GET", paths[math.random(n)])\n'
        "end\n"
    )


def run_wrk_lookups(server: Server, script: Path, *, duration: float, connections: int) -> WrkResult:
    """wrk ``-t1 -c<connections>`` with the lookup script, on the load core; with server CPU per request."""
    result = run_wrk(server.url, duration=duration, connections=connections, server=server, script=script)
    if result.errors:
        raise BenchError(f"{result.errors} of {result.requests} lookups failed")
    return result


# --- open loop: a fixed rate, timed from the schedule -----------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenLoopResult:
    """One open-loop run. Latencies are from each lookup's scheduled start to its last byte."""

    rate: float
    seconds: float
    requests: int
    #: What went wrong (an exception, or a status and body) and how often.
    errors: dict[str, int]
    achieved: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    #: p99 of how late the client itself sent (its timer and loop): part of every latency above.
    send_lag_p99_ms: float
    connections: int


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one HTTP/1.1 response with a Content-Length body; returns its status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding":
            raise BenchError("the open-loop client reads Content-Length bodies only")
    return status, await reader.readexactly(length)


_Idle = tuple[asyncio.StreamReader, asyncio.StreamWriter, float]
#: An idle connection older than this is closed rather than reused (as an HTTP client's keep-alive
#: expiry does): uvicorn closes one after 5 s, and a request sent just then would fail.
_KEEPALIVE_SECONDS = 4.0


def _reuse(idle: list[_Idle], now: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """The most recently used idle connection if it is fresh; the stale ones on the way are closed."""
    while idle:
        reader, writer, since = idle.pop()
        if now - since < _KEEPALIVE_SECONDS and not reader.at_eof():
            return reader, writer
        writer.close()
    return None


async def open_loop(
    url: str, key: str, subjects: Sequence[str], *, rate: float, seconds: float, warm_connections: int = 16
) -> OpenLoopResult:
    """Fire ``rate * seconds`` lookups at ``rate``/s over keep-alive connections (a new one whenever
    every open one is busy or has been idle too long), each timed from its scheduled start."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    head = f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\nUser-Agent: bench-api\r\n\r\n"
    order = random.Random(6).sample(list(subjects), len(subjects))
    count = int(rate * seconds)
    requests = [
        f"GET {SUBJECTS_PATH}{order[i % len(order)]} HTTP/1.1\r\n{head}".encode() for i in range(count)
    ]
    loop = asyncio.get_running_loop()
    # Idle connections, the most recently used last, with the time each went idle.
    idle = [(*await asyncio.open_connection(host, int(port)), loop.time()) for _ in range(warm_connections)]
    opened = len(idle)
    latencies: list[float] = []
    lags: list[float] = []
    errors: dict[str, int] = {}  # what went wrong (an exception or a status and body) -> how often

    def failed(what: str) -> None:
        errors[what] = errors.get(what, 0) + 1

    async def one(index: int, scheduled: float) -> None:
        nonlocal opened
        lags.append(loop.time() - scheduled)
        try:
            async with asyncio.timeout(10):
                connection = _reuse(idle, loop.time())
                if connection is None:
                    connection = await asyncio.open_connection(host, int(port))
                    opened += 1
                reader, writer = connection
                writer.write(requests[index])
                status, body = await _read_response(reader)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            failed(f"{type(exc).__name__}: {exc}")  # the connection, if any, is dropped
            return
        latencies.append(loop.time() - scheduled)
        if status != 200:
            failed(f"HTTP {status} {body[:200].decode(errors='replace')}")
        idle.append((reader, writer, loop.time()))

    start = loop.time() + 0.05
    tasks = []
    for index in range(count):
        scheduled = start + index / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    await asyncio.gather(*tasks)
    finished = loop.time()
    for _, writer, _ in idle:
        writer.close()
    latencies.sort()
    lags.sort()
    return OpenLoopResult(
        rate=rate,
        seconds=seconds,
        requests=count,
        errors=errors,
        achieved=len(latencies) / (finished - start),
        p50_ms=_percentile(latencies, 0.50) * 1e3,
        p90_ms=_percentile(latencies, 0.90) * 1e3,
        p99_ms=_percentile(latencies, 0.99) * 1e3,
        max_ms=latencies[-1] * 1e3 if latencies else math.nan,
        send_lag_p99_ms=_percentile(lags, 0.99) * 1e3,
        connections=opened,
    )


def run_open_loop(server: Server, seeded: _Seeded, *, rate: float, seconds: float) -> OpenLoopResult:
    """:func:`open_loop` in a process of its own on the load core (``--open-loop`` of this file)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump(
            {
                "url": server.url,
                "key": seeded.read_key,
                "subjects": seeded.subjects,
                "rate": rate,
                "seconds": seconds,
            },
            spec,
        )
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--open-loop", spec.name],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
            check=False,
            preexec_fn=pin_to(LOAD_CPU),
        )
    finally:
        os.unlink(spec.name)
    if done.returncode != 0:
        raise BenchError(f"the open-loop client failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    result = OpenLoopResult(**json.loads(done.stdout))
    if result.errors:
        raise BenchError(
            f"{sum(result.errors.values())} of {result.requests} open-loop lookups failed: {result.errors}"
        )
    return result


def _open_loop_main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    result = asyncio.run(
        open_loop(spec["url"], spec["key"], spec["subjects"], rate=spec["rate"], seconds=spec["seconds"])
    )
    print(json.dumps({name: getattr(result, name) for name in OpenLoopResult.__slots__}))
    return 0


# --- deliveries ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """One timed ``DeliveryWorker.drain()``."""

    receiver: str
    events: int
    #: The timed drain: how long, how many attempts, how many ended delivered.
    seconds: float
    attempts: int
    delivered: int
    #: Distinct events the receiver verified in the end (after any untimed retries), and the
    #: requests it answered.
    received: int
    requests: int
    #: CPU time per attempt of the worker's process (HTTP client, signing, store) during the timed
    #: drain, and per request of the receiver.
    worker_cpu_us: float
    receiver_cpu_us: float

    @property
    def per_second(self) -> float:
        """Deliveries per second of the timed drain."""
        return self.delivered / self.seconds

    @property
    def failed(self) -> int:
        """Attempts of the timed drain that did not deliver."""
        return self.attempts - self.delivered


@dataclass(frozen=True, slots=True)
class _Receiver:
    url: str
    pid: int
    counts: Callable[[], dict[str, int]]


def _webhooks(url: str, secret: str) -> dict[str, Any]:
    # "external": the seeding gate only writes the outbox; the timed worker below delivers it.
    return {"worker": "external", "subscriptions": {"crm": {"url": url, "secret": secret}}}


async def _seed_events(database: str, url: str, secret: str, count: int) -> ConsentMiddleware:
    """``count`` choices through a gate with one subscription: ``count`` outbox rows, all pending."""
    gate = ConsentMiddleware(
        Starlette(routes=[Route("/", _ok)]),
        secret_key=_SECRET,
        database=database,
        webhooks=_webhooks(url, secret),
    )
    try:
        await _choices(httpx.ASGITransport(app=gate), count)
        pending = await (await gate.store()).deliveries(state="pending", limit=count + 1)
    finally:
        await gate.aclose()
    if len(pending) != count:
        raise BenchError(f"{count} choices left {len(pending)} pending deliveries, not {count}")
    return gate


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class _Drained:
    seconds: float
    attempts: int
    delivered: int
    cpu_seconds: float


async def _drain(database: str, gate: ConsentMiddleware, count: int) -> _Drained:
    """Time ``drain()`` of a worker of its own (default concurrency), with this process's CPU time.

    A failed attempt is retried within the timed drain only if it comes due before the drain ends;
    the rest are then delivered untimed (they wait out their backoff), so every event must end
    delivered whatever the receiver dropped.
    """
    store = open_store(database)
    await store.open()
    worker = DeliveryWorker(store, gate.config.webhooks)
    try:
        cpu = _own_cpu_seconds()
        started = time.perf_counter()
        attempts = await worker.drain()
        seconds = time.perf_counter() - started
        cpu = _own_cpu_seconds() - cpu
        delivered = len(await store.deliveries(state="delivered", limit=count + 1))
        deadline = time.monotonic() + 120
        while await store.deliveries(state="pending", limit=1) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            await worker.drain()
        finished = await store.deliveries(state="delivered", limit=count + 1)
        left = await store.deliveries(state="pending", limit=10) + await store.deliveries(
            state="dead", limit=10
        )
    finally:
        await worker.aclose()
        await store.close()
    if len(finished) != count or left:
        raise BenchError(
            f"{len(finished)} of {count} deliveries delivered, {len(left)}+ pending or dead "
            f"(e.g. {left[0].last_error if left else ''!r})"
        )
    return _Drained(seconds, attempts, delivered, cpu)


@contextmanager
def _pinned(cpu: int) -> Iterator[None]:
    """This process (and the threads it starts meanwhile: the store's) on ``cpu`` for the block."""
    pin = pin_to(cpu)
    before = os.sched_getaffinity(0) if pin is not None else set()
    if pin is not None:
        pin()
    try:
        yield
    finally:
        if pin is not None:
            os.sched_setaffinity(0, before)


def bench_deliveries(backend: str, receiver: str, *, events: int) -> DeliveryResult:
    """Seed ``events`` outbox rows, then drain them into ``receiver`` (``uvicorn`` or ``threaded``)."""
    secret = new_secret()
    with fresh_database(backend, "deliveries") as database, _receiver(receiver, secret) as peer:
        gate = asyncio.run(_seed_events(database, peer.url, secret, events))
        peer_cpu = process_cpu_seconds(peer.pid)
        with _pinned(LOAD_CPU):
            drained = asyncio.run(_drain(database, gate, events))
        peer_cpu = process_cpu_seconds(peer.pid) - peer_cpu
        received = peer.counts()
    if received["delivered"] != events or received["bad"]:
        raise BenchError(
            f"the receiver verified {received['delivered']} of {events} events ({received['bad']} bad)"
        )
    return DeliveryResult(
        receiver=receiver,
        events=events,
        seconds=drained.seconds,
        attempts=drained.attempts,
        delivered=drained.delivered,
        received=received["delivered"],
        requests=received["requests"],
        worker_cpu_us=drained.cpu_seconds / max(1, drained.attempts) * 1e6,
        receiver_cpu_us=peer_cpu / max(1, received["requests"]) * 1e6,
    )


@contextmanager
def _receiver(kind: str, secret: str) -> Iterator[_Receiver]:
    """A receiver in a process of its own on the server core."""
    if kind == "uvicorn":
        with uvicorn_server(
            "bench_api:receiver_app", env={_HOOK_SECRET_ENV: secret}, ready_path="/count"
        ) as server:

            def counts() -> dict[str, int]:
                answer: dict[str, int] = httpx.get(server.url + "/count", timeout=10, trust_env=False).json()
                return answer

            yield _Receiver(server.url + "/hooks", server.process.pid, counts)
        return
    # The tests' receiver (a ThreadingHTTPServer); it answers its counts on stdin/stdout.
    process = subprocess.Popen(
        [sys.executable, __file__, "--threaded-receiver"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, _HOOK_SECRET_ENV: secret},
        preexec_fn=pin_to(SERVER_CPU),
    )
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    try:
        url = stdout.readline().strip()
        if not url:
            raise BenchError("the threaded receiver did not start")

        def counts() -> dict[str, int]:
            stdin.write("count\n")
            stdin.flush()
            answer: dict[str, int] = json.loads(stdout.readline())
            return answer

        yield _Receiver(url, process.pid, counts)
    finally:
        stdin.close()
        process.wait(timeout=10)


def _threaded_receiver_main() -> int:
    sys.path.insert(0, str(ROOT))  # tests/ is a package of the repository root
    from tests.support.receiver import Receiver

    receiver = Receiver(os.environ[_HOOK_SECRET_ENV]).start()
    print(receiver.url, flush=True)
    for _ in sys.stdin:
        with receiver.lock:
            counts = {
                "delivered": len(receiver.delivered),
                "requests": receiver.attempts.total(),
                "bad": receiver.bad,
            }
        print(json.dumps(counts), flush=True)
    receiver.stop()
    return 0


# --- the run ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The lookups of one backend: wrk rounds (closed loop) and the open-loop run."""

    backend: str
    seeded: _Seeded
    closed: list[WrkResult]
    opened: OpenLoopResult


def bench_lookups(
    backend: str,
    *,
    subjects: int,
    duration: float,
    rounds: int,
    connections: int,
    rate: float,
    rate_seconds: float,
) -> LookupResult:
    """Seed, serve, check, then wrk rounds (closed loop) and one open-loop run at ``rate``."""

    def log(message: str) -> None:
        print(f"  {backend}: {message}", file=sys.stderr, flush=True)

    with (
        fresh_database(backend, "lookups") as database,
        tempfile.TemporaryDirectory(prefix="bench-api-") as tmp,
    ):
        started = time.perf_counter()
        seeded = asyncio.run(_seed_lookups(database, subjects))
        log(
            f"seeded {seeded.consent_ids:,} consent ids, {seeded.links:,} links, {seeded.opt_outs:,} opt-outs "
            f"in {time.perf_counter() - started:.1f} s"
        )
        script = Path(tmp) / "lookups.lua"
        script.write_text(_lua(seeded.subjects, seeded.read_key))
        with uvicorn_server(
            "bench_api:gate_app", env={_DATABASE_ENV: database}, ready_path=SUBJECTS_PATH + "ready-check"
        ) as server:
            _check_lookups(server.url, seeded)
            run_wrk_lookups(server, script, duration=2, connections=connections)  # warm-up
            closed = []
            for index in range(rounds):
                result = run_wrk_lookups(server, script, duration=duration, connections=connections)
                closed.append(result)
                log(f"round {index + 1}/{rounds}: {result.requests_per_sec:,.0f} lookups/s")
            opened = run_open_loop(server, seeded, rate=rate, seconds=rate_seconds)
            log(f"open loop {rate:g}/s: p99 {opened.p99_ms:.2f} ms")
    return LookupResult(backend, seeded, closed, opened)


def _verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subjects", type=int, default=10_000, help="visitors seeded (default 10,000)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk round (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds per backend (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="open-loop lookups/s (default 500)")
    parser.add_argument("--rate-seconds", type=float, default=10.0, help="open-loop seconds (default 10)")
    parser.add_argument("--events", type=int, default=5000, help="webhook events drained (default 5,000)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), action="append", help="default: both")
    parser.add_argument(
        "--receiver", choices=("uvicorn", "threaded"), action="append", help="default: both (uvicorn first)"
    )
    parser.add_argument("--only", choices=("lookups", "deliveries"), help="measure only one half")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    backends = args.backend or ["sqlite", "postgres"]
    receivers = args.receiver or ["uvicorn", "threaded"]
    print(
        f"opt-out API and webhooks: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"uvicorn 1 worker, server on CPU {SERVER_CPU}, load on CPU {LOAD_CPU}\n",
        flush=True,
    )

    lookups = [
        bench_lookups(
            backend,
            subjects=args.subjects,
            duration=args.duration,
            rounds=args.rounds,
            connections=args.connections,
            rate=args.rate,
            rate_seconds=args.rate_seconds,
        )
        for backend in (backends if args.only != "deliveries" else [])
    ]
    deliveries: list[tuple[str, DeliveryResult]] = []
    for backend in backends if args.only != "lookups" else []:
        for receiver in receivers:
            result = bench_deliveries(backend, receiver, events=args.events)
            print(
                f"  {backend}, {receiver} receiver: {result.per_second:,.0f} deliveries/s",
                file=sys.stderr,
                flush=True,
            )
            deliveries.append((backend, result))

    missed: list[str] = []
    if lookups:
        _print_lookups(lookups, args, missed)
    if deliveries:
        _print_deliveries(deliveries, missed)
    print(f"targets: {'all met' if not missed else 'missed: ' + ', '.join(missed)}")
    return 1 if missed and args.strict else 0


def _print_lookups(lookups: list[LookupResult], args: argparse.Namespace, missed: list[str]) -> None:
    print_table(
        f"GET {SUBJECTS_PATH}{{subject}}, closed loop: wrk -t1 -c{args.connections}, "
        f"{args.rounds} x {args.duration:g} s (median)",
        ["backend", "subjects", "lookups/s", "per round", "p50 ms", "p99 ms", "server CPU us/lookup"],
        [
            [
                r.backend,
                f"{len(r.seeded.subjects):,}",
                f"{median(r.closed):,.0f}",
                " ".join(f"{c.requests_per_sec:,.0f}" for c in r.closed),
                f"{median(r.closed, 'latency_p50_ms'):.2f}",
                f"{median(r.closed, 'latency_p99_ms'):.2f}",
                f"{median(r.closed, 'server_cpu_us'):.0f}",
            ]
            for r in lookups
        ],
    )
    rows = []
    for r in lookups:
        o = r.opened
        ok = o.p99_ms < TARGET_P99_MS and o.achieved >= 0.98 * TARGET_RATE and o.rate >= TARGET_RATE
        if not ok:
            missed.append(f"{r.backend} lookups p99")
        rows.append(
            [
                r.backend,
                f"{o.rate:g}",
                f"{o.achieved:,.1f}",
                f"{o.requests:,}",
                f"{o.p50_ms:.2f}",
                f"{o.p90_ms:.2f}",
                f"{o.p99_ms:.2f}",
                f"{o.max_ms:.2f}",
                f"{o.send_lag_p99_ms:.2f}",
                f"{o.connections}",
                _verdict(ok),
            ]
        )
    print_table(
        f"the same, open loop: a fixed rate for {args.rate_seconds:g} s, latency from the scheduled start",
        [
            "backend",
            "rate/s",
            "achieved/s",
            "lookups",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "client lag p99",
            "conns",
            f"p99 < {TARGET_P99_MS:g} ms @ {TARGET_RATE:g}/s",
        ],
        rows,
    )


def _print_deliveries(deliveries: list[tuple[str, DeliveryResult]], missed: list[str]) -> None:
    rows = []
    for backend, d in deliveries:
        ok = d.per_second >= TARGET_DELIVERIES
        # The tests' threaded receiver is measured for comparison; the target is on the fast one.
        compared = d.receiver != "uvicorn"
        if not ok and not compared:
            missed.append(f"{backend} deliveries")
        rows.append(
            [
                backend,
                d.receiver,
                f"{d.events:,}",
                f"{d.seconds:.2f}",
                f"{d.per_second:,.0f}",
                f"{d.failed:,}",
                f"{d.received:,}",
                f"{d.requests:,}",
                f"{d.worker_cpu_us:,.0f}",
                f"{d.receiver_cpu_us:,.0f}",
                "(comparison)" if compared else _verdict(ok),
            ]
        )
    print_table(
        "webhook deliveries: DeliveryWorker.drain() (default concurrency) to a receiver on loopback",
        [
            "backend",
            "receiver",
            "events",
            "seconds",
            "deliveries/s",
            "failed tries",
            "verified",
            "requests",
            "worker CPU us/try",
            "receiver CPU us/req",
            f">= {TARGET_DELIVERIES:g}/s",
        ],
        rows,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--open-loop"]:
        sys.exit(_open_loop_main(sys.argv[2]))
    if sys.argv[1:2] == ["--threaded-receiver"]:
        sys.exit(_threaded_receiver_main())
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench_api: error: {exc}", file=sys.stderr)
        sys.exit(1)
