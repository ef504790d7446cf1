"""Webhook delivery under faults, against the real receiver of :mod:`tests.test_webhooks_receiver`.

The receiver down for a while, answering 500s, answering too late; a ``consentgate worker`` process
killed with SIGKILL mid-delivery and another started; two worker processes at once. Whatever the fault:
every event is delivered, none is lost, each ``webhook-id`` is sent again (the same id, the same body)
until it is acknowledged, and the events of one subject are first acknowledged in ledger order.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from consentgate import ConsentMiddleware
from consentgate.store import Store
from consentgate.webhooks.outbox import Delivery
from tests.support.api import API, bearer, make_key
from tests.support.receiver import Receiver
from tests.support.site import ORIGIN, GateFactory, client_for
from tests.support.stores import BACKENDS, postgres_schema, postgres_url, raw_execute

ROOT = Path(__file__).resolve().parents[2]
SAME_ORIGIN = {"origin": ORIGIN, "sec-fetch-site": "same-origin"}

#: What a visitor does, in turn: one record (and one event) per step.
STEPS: tuple[tuple[str, dict[str, Any] | None, str], ...] = (
    ("POST", {"action": "accept_all"}, "accept_all"),
    ("POST", {"action": "reject_all"}, "reject_all"),
    ("POST", {"categories": {"analytics": True}}, "save_choices"),
    ("DELETE", None, "withdraw"),
    ("POST", {"categories": {"advertising": True, "social": True}}, "save_choices"),
)
CHANNELS = ("sms", "email", "phone", "form", "api")

#: Small timings, so that a retry comes within moments; ``max_retry_hours`` keeps its default.
FAST = {"poll_seconds": 0.05, "backoff_base_seconds": 0.05, "timeout_seconds": 0.5, "lease_seconds": 1.0}


# --- the receiver, which also keeps what every try carried ---------------------------------------


class _Tries(Webhook):
    """The receiver's verifier (the ``standardwebhooks`` one), also keeping each verified payload by
    ``webhook-id``, failed tries too.

    The receiver keeps only the acknowledged payload; this shows that a retry carries the same body.
    ``truncated`` counts the requests whose body ended before its ``content-length`` (a sender killed
    between writing the headers and the body): the receiver counts them in ``bad`` as well.
    """

    def __init__(self, receiver: Receiver) -> None:
        super().__init__(receiver.secret)
        self._lock = threading.Lock()
        self.payloads: defaultdict[str, list[Any]] = defaultdict(list)
        self.truncated = 0
        receiver._webhook = self

    def verify(self, data: bytes | str, headers: dict[str, str], *, json_parse: bool = True) -> Any:
        try:
            payload = super().verify(data, headers, json_parse=json_parse)  # raises as before
        except WebhookVerificationError:
            if len(data) < int(headers.get("content-length", "0")):
                with self._lock:
                    self.truncated += 1
            raise
        with self._lock:
            self.payloads[headers["webhook-id"]].append(payload)
        return payload


@pytest.fixture
def tries(receiver: Receiver) -> _Tries:
    return _Tries(receiver)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in ``tmp_path``, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hooks.db'}"
        return
    with postgres_schema() as schema:
        yield postgres_url(schema)


def _webhooks(receiver: Receiver, **settings: Any) -> dict[str, Any]:
    sub = {"url": receiver.url, "secret": receiver.secret}
    return {**FAST, **settings, "subscriptions": {"crm": sub}}


@pytest.fixture
async def in_app_gate(
    make_gate: GateFactory, database: str, receiver: Receiver
) -> AsyncIterator[ConsentMiddleware]:
    """A gate that delivers in-app (a task on the test's loop) to ``receiver``."""
    gate = make_gate(database=database, webhooks=_webhooks(receiver))
    yield gate
    await gate.aclose()


# --- making events and looking at them -----------------------------------------------------------


async def produce(gate: ConsentMiddleware, *, visitors: int, steps: int, opt_outs: int = 0) -> list[str]:
    """Record ``steps`` choices for each of ``visitors`` (real HTTP) and ``opt_outs`` opt-outs for each
    of ``steps`` users (the write API); returns the subjects.

    The subjects act side by side, so their events interleave in the outbox; each one acts in turn.
    """
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(client_for(gate)) for _ in range(visitors)]
        key = await make_key(gate, "write") if opt_outs else ""
        users = [f"u{n}" for n in range(opt_outs)]
        subjects: list[str] = []
        for step in range(steps):
            method, body, _ = STEPS[step % len(STEPS)]
            sends = [
                web.request(method, "/consentgate/consent", json=body, headers=SAME_ORIGIN) for web in clients
            ]
            sends += [
                clients[0].post(
                    f"{API}/opt-outs",
                    json={"user_id": user, "channel": CHANNELS[step % len(CHANNELS)]},
                    headers=bearer(key),
                )
                for user in users
            ]
            answers = await asyncio.gather(*sends)
            assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
            if step == 0:
                subjects = [a.json()["id"] for a in answers[:visitors]]
                subjects += [a.json()["subject"] for a in answers[visitors:]]
    return subjects


async def outbox(store: Store) -> list[Delivery]:
    """Every outbox row, oldest first."""
    return sorted(await store.deliveries(limit=100_000), key=lambda d: d.id)


def heads(rows: Sequence[Delivery]) -> list[Delivery]:
    """The oldest row of each subject: the only one a worker may send while it is pending."""
    first: dict[str, Delivery] = {}
    for d in rows:
        first.setdefault(d.subject, d)
    return list(first.values())


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 30.0) -> None:
    """Wait (without blocking the loop an in-app worker runs on) until ``await check()`` holds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.02)


def all_delivered(store: Store, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        rows = await outbox(store)
        return len(rows) == count and all(d.state == "delivered" for d in rows)

    return check


async def assert_delivered_in_order(
    store: Store, receiver: Receiver, subjects: Sequence[str], *, truncated: int = 0
) -> None:
    """Every outbox event was acknowledged, and each subject's first in the order of its ledger; every
    request but ``truncated`` ones (cut off by a kill) verified."""
    rows = await outbox(store)
    assert {d.state for d in rows} == {"delivered"}
    assert set(receiver.delivered) == {d.msg_id for d in rows}
    assert receiver.bad == truncated
    acked = [receiver.delivered[msg_id]["data"] for msg_id in receiver.order]
    assert len(acked) == len(rows)
    for subject in subjects:
        ledger = [r.record_id for r in await store.records(subject)]
        assert [data["record_id"] for data in acked if data["subject"] == subject] == ledger, subject


def assert_same_body_every_try(tries: _Tries, rows: Sequence[Delivery]) -> None:
    """Every try of a ``webhook-id`` carried the body the outbox holds for it."""
    for d in rows:
        assert tries.payloads[d.msg_id], d.msg_id
        assert all(p == json.loads(d.payload) for p in tries.payloads[d.msg_id]), d.msg_id


# --- the in-app worker and a receiver in trouble ------------------------------------------------


async def test_receiver_down_then_back_gets_every_event_once_in_subject_order(
    in_app_gate: ConsentMiddleware, receiver: Receiver, tries: _Tries
) -> None:
    receiver.stop()
    subjects = await produce(in_app_gate, visitors=3, steps=5, opt_outs=1)
    assert len(subjects) == 4
    store = await in_app_gate.store()
    assert len(await outbox(store)) == 20
    ledger_actions = [r.action for r in await store.records(subjects[0])]
    assert ledger_actions == [action for _, _, action in STEPS]

    async def refused_a_while() -> bool:
        return all(d.attempts >= 3 and "ConnectError" in d.last_error for d in heads(await outbox(store)))

    await until(refused_a_while, "every subject's first event was refused three times")
    assert not receiver.attempts and not receiver.delivered
    rows = await outbox(store)
    first_ids = {d.id for d in heads(rows)}
    assert all(d.attempts == 0 for d in rows if d.id not in first_ids)  # the rest wait their turn

    receiver.start()
    await until(all_delivered(store, 20), "all 20 events are delivered")
    await assert_delivered_in_order(store, receiver, subjects)
    assert all(receiver.attempts[msg_id] == 1 for msg_id in receiver.delivered)  # sent once it was up
    assert_same_body_every_try(tries, await outbox(store))


async def test_a_receiver_answering_500_gets_the_same_ids_again_until_it_acknowledges(
    in_app_gate: ConsentMiddleware, receiver: Receiver, tries: _Tries
) -> None:
    receiver.mode = "fail"
    # One event per subject: each is the head of its subject, so each is tried while the receiver fails.
    subjects = await produce(in_app_gate, visitors=7, steps=1, opt_outs=3)
    store = await in_app_gate.store()
    rows = await outbox(store)
    assert len(rows) == 10

    async def failed_often() -> bool:
        with receiver.lock:
            counts = dict(receiver.attempts)
        now = await outbox(store)
        return all(counts.get(d.msg_id, 0) >= 3 for d in rows) and {d.last_status for d in now} == {500}

    await until(failed_often, "every event was answered 500 three times, and the store knows")
    assert not receiver.delivered

    receiver.mode = "ok"
    await until(all_delivered(store, 10), "all 10 events are delivered")
    await assert_delivered_in_order(store, receiver, subjects)
    rows = await outbox(store)
    for d in rows:
        assert receiver.attempts[d.msg_id] >= 4  # three 500s, then the acknowledged try
        # The store counted every try that reached the receiver (and any lost on the way: a connection
        # the receiver's small accept queue dropped times out, and is tried again).
        assert d.attempts >= receiver.attempts[d.msg_id]
        assert d.last_status == 204 and d.last_error == ""
    assert_same_body_every_try(tries, rows)


async def test_timed_out_deliveries_are_sent_again_with_the_same_id(
    in_app_gate: ConsentMiddleware, receiver: Receiver, tries: _Tries
) -> None:
    receiver.slow_seconds = 1.0  # the worker gives up after timeout_seconds (0.5)
    receiver.mode = "slow"
    subjects = await produce(in_app_gate, visitors=6, steps=2)
    store = await in_app_gate.store()
    assert len(await outbox(store)) == 12

    async def timed_out_twice() -> bool:
        return all(d.attempts >= 2 and "ReadTimeout" in d.last_error for d in heads(await outbox(store)))

    await until(timed_out_twice, "every subject's first event timed out and was sent again")
    receiver.mode = "ok"
    await until(all_delivered(store, 12), "all 12 events are delivered")
    rows = await outbox(store)
    # At least once: a receiver may see a webhook-id again after a timeout, never a different one.
    assert all(receiver.attempts[d.msg_id] >= 2 for d in heads(rows))
    await assert_delivered_in_order(store, receiver, subjects)
    assert_same_body_every_try(tries, rows)


# --- `consentgate worker` processes ---------------------------------------------------------------


def _write_config(tmp_path: Path, database: str, receiver: Receiver, **settings: float) -> Path:
    """A ``consentgate.toml`` for worker processes: external delivery to ``receiver``."""
    lines = [f"database = {json.dumps(database)}", "", "[webhooks]", 'worker = "external"']
    lines += [f"{name} = {value}" for name, value in {**FAST, **settings}.items()]
    lines += [
        "",
        "[webhooks.subscriptions.crm]",
        f"url = {json.dumps(receiver.url)}",
        f"secret = {json.dumps(receiver.secret)}",
    ]
    path = tmp_path / "consentgate.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class _WorkerProcess:
    """``python -m consentgate.cli worker --config PATH``, its stderr in a file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log = log
        self._err = log.open("wb")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "consentgate.cli", "worker", "--config", str(config)],
            cwd=config.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._err,
        )

    def owner(self) -> str | None:
        """The worker's lease owner name, once it has said it is delivering."""
        for line in self.log.read_text().splitlines():
            if line.startswith("consentgate worker ") and ": delivering to" in line:
                return line.split()[2].rstrip(":")
        return None

    async def started(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()
        return self.owner() is not None

    def stop(self, signum: signal.Signals) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=15)
        finally:
            self._err.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._err.close()


@contextmanager
def _workers(config: Path, count: int, name: str) -> Iterator[list[_WorkerProcess]]:
    started = [_WorkerProcess(config, config.parent / f"{name}-{n}.log") for n in range(count)]
    try:
        yield started
    finally:
        for worker in started:
            worker.close()


async def _waiting_gate(make_gate: GateFactory, config: Path, database: str) -> ConsentMiddleware:
    """A gate on the workers' config and database: it writes the events, and delivers none itself."""
    gate = make_gate(config=str(config), database=database)
    assert gate.webhooks is None  # worker = "external"
    return gate


async def test_a_worker_killed_mid_delivery_loses_nothing(
    make_gate: GateFactory, database: str, receiver: Receiver, tries: _Tries, tmp_path: Path
) -> None:
    config = _write_config(tmp_path, database, receiver)
    gate = await _waiting_gate(make_gate, config, database)
    try:
        subjects = await produce(gate, visitors=20, steps=10)
        store = await gate.store()
        assert len(await outbox(store)) == 200
        receiver.slow_seconds = 0.3  # below timeout_seconds: each try is acknowledged, late
        receiver.mode = "slow"

        on_the_wire: set[str] = set()

        async def in_flight() -> bool:
            with receiver.lock:
                on_the_wire.update(set(receiver.attempts) - set(receiver.delivered))
                enough = len(receiver.delivered) >= 20
            if not (enough and on_the_wire):
                on_the_wire.clear()
            return enough and bool(on_the_wire)

        with _workers(config, 1, "first") as [first]:
            await until(in_flight, "the first worker has delivered some and has more on the wire")
            # The receiver takes 0.3 s to acknowledge: these are still unanswered when the kill lands.
            assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        assert len(receiver.delivered) < 200
        rows = await outbox(store)
        stranded = [d for d in rows if d.state == "pending" and d.attempts > 0]
        assert stranded  # leased by the dead worker: they wait for the lease to run out

        receiver.mode = "ok"
        with _workers(config, 1, "second") as [second]:
            await until(all_delivered(store, 200), "the second worker has delivered all 200 events")
            assert second.stop(signal.SIGTERM) == 0, second.log.read_text()

        # A request the kill cut between its headers and its body fails verification at the receiver:
        # that is the only kind of bad request allowed here.
        await assert_delivered_in_order(store, receiver, subjects, truncated=tries.truncated)
        assert on_the_wire <= {d.msg_id for d in stranded}
        assert all(receiver.attempts[msg_id] >= 2 for msg_id in on_the_wire)  # sent again, same id
        rows = await outbox(store)
        assert_same_body_every_try(tries, rows)
        owners = {row[0] for row in raw_execute(store, "SELECT DISTINCT lease_owner FROM outbox")}
        assert owners == {first.owner(), second.owner()}
    finally:
        await gate.aclose()


async def test_two_workers_at_once_never_send_one_event_twice(
    make_gate: GateFactory, database: str, receiver: Receiver, tmp_path: Path
) -> None:
    # A lease longer than any try: a second send could then only come from a shared lease. Small
    # batches: a worker never takes all 20 subjects' due events at once, so the other finds some too.
    config = _write_config(
        tmp_path, database, receiver, timeout_seconds=5.0, lease_seconds=30.0, concurrency=4
    )
    gate = await _waiting_gate(make_gate, config, database)
    receiver.slow_seconds = 0.02  # every try is acknowledged, a little late: a wider window for a race
    receiver.mode = "slow"
    try:
        with _workers(config, 2, "pair") as workers:
            for worker in workers:
                await until(worker.started, "both workers are delivering")
            # The events come while both workers poll, so both compete for them.
            subjects = await produce(gate, visitors=20, steps=10)
            store = await gate.store()
            await until(all_delivered(store, 200), "the workers have delivered all 200 events")
            for worker in workers:
                assert worker.stop(signal.SIGTERM) == 0, worker.log.read_text()

        await assert_delivered_in_order(store, receiver, subjects)
        assert sorted(set(receiver.attempts.values())) == [1]
        assert len(receiver.attempts) == 200
        owners = {row[0] for row in raw_execute(store, "SELECT DISTINCT lease_owner FROM outbox")}
        assert owners == {w.owner() for w in workers}  # both took part
    finally:
        await gate.aclose()
