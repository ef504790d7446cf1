"""The public contracts the layout must not move: importable names, HTTP routes, CLI commands, config keys."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import httpx
import pytest

import consentgate
from consentgate import ConsentMiddleware
from consentgate.config import Config
from tests.support.site import ORIGIN, GateFactory, client_for

PUBLIC_NAMES = [
    "Config",
    "ConfigError",
    "Consent",
    "ConsentGateError",
    "ConsentMiddleware",
    "HTTPError",
    "IdentityError",
    "ProxyApp",
    "SQLiteStore",
    "Store",
    "StoreError",
    "__version__",
    "link",
    "load_config",
    "open_store",
]

CONFIG_KEYS = [
    "database",
    "revision",
    "mode",
    "privacy_policy_url",
    "gpc_last_update",
    "cookie",
    "region",
    "signals",
    "logging",
    "categories",
    "services",
    "cookie_filter",
    "blocking",
    "site",
    "ledger",
    "texts",
    "identity",
    "api",
    "webhooks",
    "proxy",
    "admin",
    "gate",
    "banner",
]

CLI_COMMANDS = [
    "demo",
    "check",
    "scan",
    "declaration",
    "catalog",
    "migrate",
    "verify",
    "export",
    "prune",
    "dsr",
    "logs",
    "keys",
    "worker",
    "webhooks",
    "proxy",
]

#: Every route of the HTTP contract with a method it answers (none may answer 404 or 405).
ROUTES = [
    ("GET", "/consentgate/consent"),
    ("POST", "/consentgate/consent"),
    ("DELETE", "/consentgate/consent"),
    ("GET", "/.well-known/gpc.json"),
    ("GET", "/consentgate/banner.js"),
    ("GET", "/consentgate/declaration"),
    ("GET", "/consentgate/admin/"),
    ("GET", "/consentgate/admin/stats.json"),
    ("GET", "/consentgate/admin/consent.csv"),
    ("GET", "/consentgate/admin/consent.json"),
    ("GET", "/consentgate/admin/operations"),
    ("GET", "/consentgate/admin/requests"),
    ("POST", "/consentgate/admin/signin"),
    ("POST", "/consentgate/admin/signout"),
    ("POST", "/consentgate/admin/webhooks/replay"),
    ("POST", "/consentgate/admin/verify"),
    ("GET", "/consentgate/api/v1/openapi.json"),
    ("GET", "/consentgate/api/v1/subjects/abcdefghijklmnop"),
    ("POST", "/consentgate/api/v1/subjects"),
    ("GET", "/consentgate/api/v1/changes"),
    ("POST", "/consentgate/api/v1/opt-outs"),
    ("POST", "/consentgate/api/v1/links"),
]


def test_the_public_names_are_exported() -> None:
    assert sorted(consentgate.__all__) == sorted(PUBLIC_NAMES)
    for name in PUBLIC_NAMES:
        assert getattr(consentgate, name) is not None, name


def test_the_exception_tree_is_one() -> None:
    for name in ("ConfigError", "HTTPError", "IdentityError", "StoreError"):
        assert issubclass(getattr(consentgate, name), consentgate.ConsentGateError), name


def test_the_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    assert consentgate.__version__ == version("consentgate")


def test_the_config_keys_stay() -> None:
    assert [field.name for field in dataclasses.fields(Config)] == CONFIG_KEYS


def test_the_cli_commands_stay() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "consentgate.cli", "--help"], capture_output=True, text=True, check=True
    )
    # A command's line is indented by four spaces; its help text, when it wraps, by more.
    listed = [line.split()[0] for line in done.stdout.splitlines() if re.match(r"    \S", line)]
    assert sorted(listed) == sorted(CLI_COMMANDS)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_of_the_contract_is_answered(
    make_gate: GateFactory, method: str, path: str
) -> None:
    gate: ConsentMiddleware = make_gate()
    try:
        async with client_for(gate) as client:
            response = await client.request(method, path, headers={"origin": ORIGIN}, json={})
            assert response.status_code not in (404, 405), response.text
            if method == "GET":
                head = await client.head(path)
                assert head.status_code == response.status_code
                assert head.content == b""
    finally:
        await gate.aclose()


async def test_unknown_own_paths_answer_404_in_the_error_shape(make_gate: GateFactory) -> None:
    gate = make_gate()
    try:
        async with client_for(gate) as client:
            response: httpx.Response = await client.get("/consentgate/nothing-here")
            assert response.status_code == 404
            assert response.json()["error"] == "not_found"
            assert response.headers["cache-control"] == "no-store"
    finally:
        await gate.aclose()
