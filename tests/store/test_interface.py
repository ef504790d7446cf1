"""The store interface: split by concern, and a backend that lacks a method fails when it is made."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from consentgate.store import (
    AnalyticsStore,
    ApiStore,
    LedgerStore,
    PostgresStore,
    RollupStore,
    SQLiteStore,
    Store,
    open_store,
)
from consentgate.store.sql_store import SqlStore

_CONCERNS = (LedgerStore, ApiStore, RollupStore, AnalyticsStore)


def _public(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_")}


def test_store_is_the_union_of_the_concerns_and_every_method_is_abstract() -> None:
    assert all(issubclass(Store, concern) for concern in _CONCERNS)
    declared = set().union(*(_public(concern) for concern in _CONCERNS)) | _public(Store)
    assert Store.__abstractmethods__ == declared
    for concern in _CONCERNS:
        assert concern.__abstractmethods__ == _public(concern)


def test_the_concerns_do_not_overlap() -> None:
    publics = [_public(concern) for concern in _CONCERNS]
    for i, one in enumerate(publics):
        for other in publics[i + 1 :]:
            assert not one & other


def _without(base: type[Any], missing: str) -> type[Any]:
    """A subclass of ``base`` that implements every abstract method but ``missing``."""

    async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return None

    body = {name: method for name in base.__abstractmethods__ if name != missing}
    return type(f"Lacks_{missing}", (base,), body)


@pytest.mark.parametrize("missing", sorted(Store.__abstractmethods__))
def test_a_store_that_lacks_a_method_fails_when_made(missing: str) -> None:
    incomplete = _without(Store, missing)
    with pytest.raises(TypeError, match=missing):
        incomplete()


@pytest.mark.parametrize("missing", sorted(SqlStore.__abstractmethods__))
def test_a_sql_backend_that_lacks_a_method_or_primitive_fails_when_made(missing: str) -> None:
    incomplete = _without(SqlStore, missing)
    with pytest.raises(TypeError, match=missing):
        incomplete()


def test_a_complete_store_can_be_made() -> None:
    complete = _without(Store, "")
    assert isinstance(complete(), Store)


def test_both_backends_provide_every_method(tmp_path: Path) -> None:
    # Made, not opened: an abstract method left would raise TypeError here.
    assert isinstance(SQLiteStore(tmp_path / "x.db"), Store)
    assert isinstance(PostgresStore("postgresql://nobody@127.0.0.1:1/none"), Store)
    assert not inspect.isabstract(SQLiteStore) and not inspect.isabstract(PostgresStore)
    assert isinstance(open_store(f"sqlite:///{tmp_path / 'y.db'}"), SQLiteStore)
