"""Data-subject requests: access, deletion (tombstones that keep the chain verifiable), portability."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from consentgate.errors import HTTPError
from consentgate.ledger import dsr
from consentgate.ledger.verify import verify
from consentgate.store import SQLiteStore, Store
from tests.support.stores import BACKENDS, backend_store, make_record


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with backend_store(request.param, tmp_path) as opened:
        yield opened


async def test_access_returns_every_record_and_the_text_shown(store: Store) -> None:
    mine = [
        await store.append(make_record("me", when=1.0, shown_hash="v1"), shown=b"<banner v1>"),
        await store.append(make_record("me", when=2.0, action="withdraw", shown_hash="v2"), shown=b"v2"),
    ]
    await store.append(make_record("someone-else"))
    data = await dsr.access(store, "me")
    assert data["consent_ids"] == ["me"]
    assert data["records"] == [r.to_json() for r in mine]
    assert data["shown"] == {"v1": "<banner v1>", "v2": "v2"}
    assert data["format"] == dsr.FORMAT


async def test_access_of_unknown_subject_is_empty(store: Store) -> None:
    data = await dsr.access(store, "nobody")
    assert data["records"] == []


async def test_portability_is_json_of_the_access_data(store: Store) -> None:
    record = await store.append(make_record("me", extra={"note": "café"}))
    document = await dsr.portability(store, "me")
    parsed = json.loads(document)
    assert parsed["records"] == [record.to_json()]
    assert "café" in document.decode()


async def test_delete_tombstones_the_subject_and_the_ledger_still_verifies(store: Store) -> None:
    for i in range(3):
        await store.append(make_record("me", when=float(i), host="shop.example", region="DE"))
    other = await store.append(make_record("other"))
    assert await dsr.delete(store, "me", clock=lambda: 99.0) == 3
    assert (await dsr.access(store, "me"))["records"] == []
    assert await store.records("other") == [other]
    rows = [row async for row in store.iter_chain()]
    tombs = [row for row in rows if row.data is None]
    assert len(tombs) == 3
    assert all(row.consent_id != "me" for row in rows)
    report = await verify(store)
    assert report.ok, report.problems
    assert report.tombstones == 3
    assert await dsr.delete(store, "me") == 0  # nothing left to delete


async def test_unlinked_identifier_has_no_records(store: Store) -> None:
    await store.append(make_record("me"))
    data = await dsr.access(store, "email:" + "0" * 64)
    assert data["consent_ids"] == []
    assert data["records"] == []


@pytest.mark.parametrize("subject", ["", "   ", "x" * 300, "bad\nid"])
async def test_bad_subject_is_a_422(store: Store, subject: str) -> None:
    with pytest.raises(HTTPError) as caught:
        await dsr.access(store, subject)
    assert caught.value.status == 422


class _LinkedStore(SQLiteStore):
    """A SQLite store with a fixed identity link, as issue 6's store will answer them."""

    async def linked_consent_ids(self, identifier: str) -> list[str]:
        return ["phone-1", "web-2"] if identifier == "email:" + "a" * 64 else []


async def test_subject_by_linked_identifier_covers_every_linked_consent_id(tmp_path: Path) -> None:
    store = _LinkedStore(tmp_path / "linked.db")
    await store.open()
    try:
        a = await store.append(make_record("phone-1", source="phone"))
        b = await store.append(make_record("web-2"))
        await store.append(make_record("unrelated"))
        subject = "email:" + "a" * 64
        data = await dsr.access(store, subject)
        assert data["consent_ids"] == ["phone-1", "web-2"]
        assert data["records"] == [a.to_json(), b.to_json()]
        assert await dsr.delete(store, subject) == 2
        assert await store.records("phone-1") == []
        assert len(await store.records("unrelated")) == 1
    finally:
        await store.close()


async def test_delete_by_identifier_erases_its_links_too(store: Store) -> None:
    email = "email:" + "b" * 64
    phone = "phone:" + "c" * 64
    await store.append(make_record("web-1"))
    await store.append(make_record("web-2"))
    await store.add_links("web-1", [email, phone], now=1.0, source="form")
    await store.add_links("web-2", [email], now=1.0, source="form")
    await store.add_links("keep-me", ["email:" + "d" * 64], now=1.0, source="form")
    assert await dsr.delete(store, email) == 2
    # Every link of the erased consent ids is gone (the phone link of web-1 too); others stay.
    assert await store.links_of([email, phone, "web-1", "web-2"]) == []
    assert await store.links_of(["keep-me"]) == [("email:" + "d" * 64, "keep-me")]
    assert (await dsr.access(store, email))["records"] == []
