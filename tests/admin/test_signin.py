"""Signing in to the dashboard: admin keys only, a signed session cookie, CSRF and Origin checks,
failed sign-ins limited per address, sign-out; Bearer keys still work for scripts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.admin_client import ADMIN, client, create_key, csrf_of, make_gate, sign_in
from tests.support.site import ORIGIN
from tests.support.stores import postgres_schema, postgres_url


async def test_an_admin_key_signs_in_once_and_gets_a_strict_session_cookie(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, admin={"session_minutes": 30})
    key = await create_key(gate, "admin")
    async with client(gate) as c:
        form = await c.get(ADMIN)
        assert form.status_code == 200
        assert '<form method="post" action="/consentgate/admin/signin">' in form.text
        assert "<script" not in form.text.lower()
        signed = await sign_in(c, key)
        assert signed.status_code == 303 and signed.headers["location"] == ADMIN
        cookie = signed.headers["set-cookie"]
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/consentgate/admin/", "Max-Age=1800"):
            assert attribute in cookie
        assert "Secure" not in cookie  # plain http here
        page = await c.get(ADMIN)
        assert page.status_code == 200
        assert "Sign out" in page.text and "Choices per day" in page.text
        # The session is a signed cookie: one flipped character and it is no session.
        value = c.cookies["consentgate_admin"]
        c.cookies.set("consentgate_admin", value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
        assert "Choices per day" not in (await c.get(ADMIN)).text
    await gate.aclose()


async def test_the_cookie_is_secure_on_https(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    async with client(gate) as c:
        form = await c.get("https://testserver" + ADMIN)
        assert "Secure" in form.headers["set-cookie"]
    await gate.aclose()


async def test_read_and_write_keys_cannot_sign_in(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    async with client(gate) as c:
        for scope in ("read", "write"):
            refused = await sign_in(c, await create_key(gate, scope))
            assert refused.status_code == 403
            assert "only a key with the &#x27;admin&#x27; scope signs in" in refused.text
            assert "Choices per day" not in (await c.get(ADMIN)).text
        wrong = await sign_in(c, "cgk_000000000000_" + "x" * 40)
        assert wrong.status_code == 401
    await gate.aclose()


async def test_a_sign_in_without_the_token_or_from_another_origin_is_refused(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    key = await create_key(gate, "admin")
    async with client(gate) as c:
        token = csrf_of((await c.get(ADMIN)).text)
        post = ADMIN + "signin"
        no_token = await c.post(post, data={"key": key}, headers={"origin": ORIGIN})
        assert no_token.status_code == 403 and no_token.json()["error"] == "csrf"
        cross = await c.post(
            post, data={"key": key, "csrf": token}, headers={"origin": "https://evil.example"}
        )
        assert cross.status_code == 403 and cross.json()["error"] == "cross_origin"
        no_origin = await c.post(post, data={"key": key, "csrf": token})
        assert no_origin.status_code == 403
        referer = await c.post(post, data={"key": key, "csrf": token}, headers={"referer": ORIGIN + ADMIN})
        assert referer.status_code == 303
    await gate.aclose()


async def test_failed_sign_ins_are_limited_per_address(tmp_path: Path) -> None:
    gate = make_gate(tmp_path, admin={"failed_signins": 3, "failed_window_minutes": 10})
    key = await create_key(gate, "admin")
    async with client(gate) as c:
        for _ in range(3):
            assert (await sign_in(c, "cgk_000000000000_" + "y" * 40)).status_code == 401
        limited = await sign_in(c, key)  # even the right key, from this address, for now
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
    async with client(gate, address="198.51.100.9") as other:
        assert (await sign_in(other, key)).status_code == 303
    await gate.aclose()


async def test_sign_out_ends_the_session_even_for_a_copied_cookie(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    key = await create_key(gate, "admin")
    async with client(gate) as c:
        await sign_in(c, key)
        copied = c.cookies["consentgate_admin"]
        page = await c.get(ADMIN)
        out = await c.post(ADMIN + "signout", data={"csrf": csrf_of(page.text)}, headers={"origin": ORIGIN})
        assert out.status_code == 303
        assert "Max-Age=0" in out.headers["set-cookie"]
        c.cookies.set("consentgate_admin", copied)
        again = await c.get(ADMIN)
        assert "Sign in to the consent dashboard" in again.text
    await gate.aclose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_signing_out_on_one_server_ends_the_session_on_the_others(tmp_path: Path, backend: str) -> None:
    # Two gates on one database are two app servers of one site (a load balancer may send the
    # copied cookie to either): the sign-out must hold on the server that did not see it.
    with ExitStack() as stack:
        if backend == "postgres":
            database = postgres_url(stack.enter_context(postgres_schema()))
        else:
            database = f"sqlite:///{tmp_path / 'shared.db'}"
        first = make_gate(tmp_path / "a", database=database)
        second = make_gate(tmp_path / "b", database=database)
        key = await create_key(first, "admin")
        async with client(first) as a, client(second) as b:
            await sign_in(a, key)
            copied = a.cookies["consentgate_admin"]
            b.cookies.set("consentgate_admin", copied)
            assert "Choices per day" in (await b.get(ADMIN)).text  # the session works on both
            page = await a.get(ADMIN)
            out = await a.post(
                ADMIN + "signout", data={"csrf": csrf_of(page.text)}, headers={"origin": ORIGIN}
            )
            assert out.status_code == 303
            assert "Sign in to the consent dashboard" in (await b.get(ADMIN)).text
            # A second sign-out of the same session (another tab) is no error.
            b.cookies.set("consentgate_admin", copied)
            again = await b.post(
                ADMIN + "signout", data={"csrf": csrf_of(page.text)}, headers={"origin": ORIGIN}
            )
            assert again.status_code in (303, 401)
            # A new sign-in gets a new session, which works on the other server.
            b.cookies.clear()
            await sign_in(b, key)
            assert "Choices per day" in (await b.get(ADMIN)).text
        await first.aclose()
        await second.aclose()


async def test_a_revoked_key_ends_its_sessions(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    key = await create_key(gate, "admin")
    async with client(gate) as c:
        await sign_in(c, key)
        store = await gate.store()
        [stored] = [k for k in await store.api_keys() if k.scope == "admin"]
        await store.revoke_api_key(stored.key_id, now=1.0)
        assert "Sign in to the consent dashboard" in (await c.get(ADMIN)).text
    await gate.aclose()


async def test_bearer_keys_keep_working_for_scripts(tmp_path: Path) -> None:
    gate = make_gate(tmp_path)
    read, admin = await create_key(gate, "read"), await create_key(gate, "admin")
    async with client(gate) as c:
        for path in ("consent.json", "consent.csv", "operations", "stats.json"):
            ok = await c.get(ADMIN + path, headers={"authorization": f"Bearer {read}"})
            assert ok.status_code == 200, path
        assert (await c.get(ADMIN + "consent.json")).status_code == 401
        # Actions need the admin scope; Bearer needs no CSRF token (no browser sends it by itself).
        denied = await c.post(ADMIN + "verify", headers={"authorization": f"Bearer {read}"}, data={})
        assert denied.status_code == 403
        done = await c.post(ADMIN + "verify", headers={"authorization": f"Bearer {admin}"}, data={})
        assert done.status_code == 303
    await gate.aclose()


async def test_a_key_made_by_the_cli_with_the_admin_scope_signs_in(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cg.db'}"
    made = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "consentgate.cli",
            "keys",
            "create",
            "--name",
            "owner",
            "--scope",
            "admin",
            "--database",
            database,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    key = made.stdout.strip()
    gate = make_gate(tmp_path, database=database)
    async with client(gate) as c:
        assert (await sign_in(c, key)).status_code == 303
        assert "Choices per day" in (await c.get(ADMIN)).text
    await gate.aclose()


async def test_behind_a_trusted_proxy_failed_sign_ins_count_per_forwarded_address(tmp_path: Path) -> None:
    logs = {"enabled": False, "trusted_proxies": ["203.0.113.0/24"]}
    gate = make_gate(tmp_path, logging=logs, admin={"failed_signins": 2})
    key = await create_key(gate, "admin")
    async with client(gate, address="203.0.113.5") as proxy:  # every request comes through the proxy
        proxy.headers["x-forwarded-for"] = "198.51.100.1"
        for _ in range(2):
            assert (await sign_in(proxy, "cgk_000000000000_" + "z" * 40)).status_code == 401
        assert (await sign_in(proxy, key)).status_code == 429
        proxy.headers["x-forwarded-for"] = "198.51.100.2"  # another visitor behind the same proxy
        assert (await sign_in(proxy, key)).status_code == 303
    await gate.aclose()
