"""The scanner's test site (tests/support/scan_site.py), started once per test module that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.scan_site import ScanSite


@pytest.fixture(scope="module")
def site() -> Iterator[ScanSite]:
    with ScanSite() as running:
        yield running
