"""The built-in catalog, shared by the catalog's tests."""

from __future__ import annotations

import pytest

from consentgate.catalog import Catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.builtin()
