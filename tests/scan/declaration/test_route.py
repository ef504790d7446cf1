"""`GET /consentgate/declaration`: the fragment in the visitor's language, and how that is chosen."""

from __future__ import annotations

from pathlib import Path

from consentgate import load_config
from consentgate.scan.declaration import build_declaration, negotiate_language
from tests.support.declaration import assert_valid_fragment
from tests.support.site import GateFactory, client_for


def test_languages() -> None:
    config = load_config(None)
    german = build_declaration(config, language="de").to_html()
    assert "Anbieter" in german and "Statistik" in german and "182 Tage" in german
    assert negotiate_language(None, "fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert negotiate_language(None, "ja, es;q=0.5, de;q=0.7") == "de"
    assert negotiate_language(None, "ja") == "en"
    assert negotiate_language("es-MX", "de") == "es"
    assert negotiate_language("ja", "de") == "de"


async def test_the_gate_serves_the_fragment(make_gate: GateFactory, site_config_path: Path) -> None:
    gate = make_gate(config=site_config_path)
    try:
        async with client_for(gate) as client:
            response = await client.get("/consentgate/declaration")
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            assert response.headers["content-language"] == "en"
            assert response.headers["cache-control"] == "no-store"
            assert response.text == build_declaration(load_config(site_config_path)).to_html()
            assert_valid_fragment(response.text)

            german = await client.get(
                "/consentgate/declaration", headers={"accept-language": "de-AT,de;q=0.9"}
            )
            assert german.headers["content-language"] == "de" and "Anbieter" in german.text
            spanish = await client.get("/consentgate/declaration?lang=es", headers={"accept-language": "de"})
            assert spanish.headers["content-language"] == "es" and "Proveedor" in spanish.text

            italian = await client.get("/consentgate/declaration", headers={"accept-language": "it-IT"})
            assert italian.headers["content-language"] == "it"
            assert "<h3>Statistiche</h3>" in italian.text and "Provider" in italian.text
            german = await client.get("/consentgate/declaration?lang=de")
            assert "<h3>Support-Chat</h3>" in german.text and "<h3>Statistik</h3>" in german.text

            bad = await client.get("/consentgate/declaration?lang=%3Cscript%3E")
            assert bad.status_code == 400 and bad.json()["error"] == "bad_language"
            head = await client.head("/consentgate/declaration")
            assert head.status_code == 200 and head.content == b""
            post = await client.post("/consentgate/declaration")
            assert post.status_code == 405
    finally:
        await gate.aclose()
