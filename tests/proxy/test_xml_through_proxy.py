"""XML documents through the gated proxy, from nginx serving files: an ``.xhtml`` page and an
``.svg`` image (nginx's own types, ``application/xhtml+xml`` and ``image/svg+xml``) have their
trackers made inert, and stay well-formed."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gate.test_xml_documents import GTM, PAGE, PIXEL, SVG_DOC, live
from tests.proxy.conftest import GatedClient, nginx_server


@pytest.fixture
def site_root() -> Iterator[Path]:
    """The files, in a directory nginx's workers (another user) may enter, not pytest's."""
    with tempfile.TemporaryDirectory() as site:
        root = Path(site)
        root.chmod(0o755)
        (root / "page.xhtml").write_text(PAGE + "<!-- after the root element -->")
        (root / "image.svg").write_text(SVG_DOC)
        for file in root.iterdir():
            file.chmod(0o644)
        yield root


async def test_xhtml_and_svg_files_from_nginx_are_rewritten(
    gated: GatedClient, tmp_path: Path, site_root: Path
) -> None:
    with nginx_server(tmp_path, site_root) as origin:
        async with httpx.AsyncClient() as plain:
            direct = await plain.get(origin + "/page.xhtml")
        assert direct.headers["content-type"] == "application/xhtml+xml" and GTM in direct.text
        async with gated(origin) as client:
            page = await client.get("/page.xhtml")
            image = await client.get("/image.svg")
    assert page.status_code == image.status_code == 200
    assert live(page.content) == [] and live(image.content) == []
    assert f'data-cg-src="{PIXEL}"'.encode() in page.content
    assert image.headers["content-type"] == "image/svg+xml"
    assert int(image.headers["content-length"]) == len(image.content)
