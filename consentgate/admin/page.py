"""The dashboard under ``/consentgate/admin/``: sign-in, consent analytics, operations, requests.

A browser signs in once with an ``admin``-scope key (``consentgate keys create --scope admin``) and
then holds a signed session cookie (``session.py``); every form carries a CSRF token and must come
from the dashboard's own origin. Scripts keep sending ``Authorization: Bearer <key>``: a ``read`` key
reads every page, CSV and JSON; an ``admin`` key may also post the actions. Pages are server-rendered
HTML with inline SVG, no script, one stylesheet allowed by its hash (``layout.py``).

Routes: ``GET /`` the consent figures (or the sign-in form), ``GET consent.csv`` / ``consent.json``
the same figures, ``GET operations`` webhooks, verify and today's requests, ``GET requests`` the
request log of a period (``?hours=N`` or ``?since=&until=``), ``GET stats.json`` its JSON;
``POST signin``, ``signout``, ``webhooks/replay``, ``verify``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from types import MappingProxyType
from urllib.parse import parse_qs, quote

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..api.keys import scope_includes
from ..config import Config
from ..config.admin_section import AdminConfig
from ..errors import HTTPError
from ..ledger.verify import verify
from ..logs.client_ip import ClientIP
from ..logs.stats import collect_stats
from ..store.analytics_base import VerifyRun
from ..store.lazy import StoreOpener
from ..web import Route, send_json
from ..web.paths import ADMIN_PATH, STATS_PATH
from .access import Viewer, html_response, read_form, redirect, require
from .analytics import ConsentReport, build_report, report_csv, report_json
from .charts import requests_body
from .dashboard import consent_body
from .layout import esc, shell, signin_page
from .operations import operations_body
from .period import consent_period, request_period
from .session import Sessions, check_same_origin, nonce_hash
from .signin import FailedSignins, KeyVerifier, key_scope, presented_key

__all__ = ["ADMIN_PATH", "STATS_PATH", "AdminPage"]


class AdminPage:
    """The dashboard, from narrow collaborators: the config, the ``store``, the gate's secret key.

    ``verifier`` checks a presented key (default: the keys ``consentgate keys create`` made, looked
    up in the store). ``clock`` is the wall clock (tests move it).
    """

    def __init__(
        self,
        config: Config,
        store: StoreOpener,
        secret_key: str | Sequence[str],
        *,
        verifier: KeyVerifier | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._admin: AdminConfig = config.admin
        self._store = store
        self._clock = clock
        self.verifier = verifier or self._stored_key
        self.sessions = Sessions(secret_key, self._admin.session_minutes, clock)
        self.failed = FailedSignins(self._admin.failed_signins, self._admin.failed_window_minutes * 60)
        # Behind the site's own proxies (``[logging] trusted_proxies``), the address they forwarded.
        self._client_ip = ClientIP(config.logging.trusted_proxies, header=config.logging.proxy_header)

    def routes(self) -> list[Route]:
        """The routes this capability serves (none when ``[admin] enabled = false``)."""
        if not self._admin.enabled:
            return []
        base = ADMIN_PATH
        gets = {
            base: self.consent_page,
            base + "consent.csv": self.consent_csv,
            base + "consent.json": self.consent_json,
            base + "operations": self.operations_page,
            base + "requests": self.requests_page,
            STATS_PATH: self.stats_json,
        }
        posts = {
            base + "signin": self.sign_in,
            base + "signout": self.sign_out,
            base + "webhooks/replay": self.replay,
            base + "verify": self.run_verify,
        }
        routes = [Route.get(path, handler) for path, handler in gets.items()]
        routes += [Route(path, MappingProxyType({"POST": handler})) for path, handler in posts.items()]
        return routes

    # --- who is asking --------------------------------------------------------------------------------

    async def _stored_key(self, key: str) -> tuple[str, str] | None:
        return await key_scope(await self._store(), key)

    async def _viewer(self, scope: Scope) -> Viewer | None:
        headers = dict(scope["headers"])
        key = presented_key(headers)
        if key is not None:
            found = await self.verifier(key)
            if found is None:
                raise HTTPError(
                    401,
                    "unauthorized",
                    "The API key is not valid or has been revoked.",
                    {"WWW-Authenticate": 'Basic realm="consentgate admin", charset="UTF-8"'},
                )
            bearer = headers.get(b"authorization", b"").lower().startswith(b"bearer ")
            return Viewer(found[1], None, bearer)
        session = self.sessions.read(headers)
        if session is None or session.key_id is None:
            return None
        store = await self._store()
        if await store.signed_out(nonce_hash(session), now=self._clock()):
            return None
        stored = await store.api_key(session.key_id)
        if stored is None or stored[0].revoked_at is not None or not scope_includes(stored[0].scope, "admin"):
            return None
        return Viewer(stored[0].scope, session)

    async def _form_viewer(self, scope: Scope, receive: Receive) -> tuple[Viewer, dict[str, str]]:
        """The viewer of a dashboard form post: admin, same origin, CSRF token checked (not for Bearer)."""
        viewer = require(await self._viewer(scope), "admin")
        if not viewer.bearer:
            check_same_origin(dict(scope["headers"]), scope.get("scheme", "http"))
        form = await read_form(scope, receive)
        if not viewer.bearer:
            self.sessions.check_csrf(viewer.session, form.get("csrf", ""))
        return viewer, form

    def _csrf(self, viewer: Viewer) -> str | None:
        return self.sessions.csrf_token(viewer.session) if viewer.session is not None else None

    # --- pages ------------------------------------------------------------------------------------------

    async def consent_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        viewer = await self._viewer(scope)
        if viewer is None:
            await self._signin_form(scope, receive, send)
            return
        require(viewer, "read")
        report = await self._report(scope)
        body = consent_body(report, base=ADMIN_PATH, logging_enabled=self._config.logging.enabled)
        page = shell("Consent", body, base=ADMIN_PATH, current="", csrf=self._csrf(viewer))
        await html_response(scope, receive, send, page)

    async def consent_csv(self, scope: Scope, receive: Receive, send: Send) -> None:
        require(await self._viewer(scope), "read")
        report = await self._report(scope)
        name = f"consent-{report.daily[0][0]}-{report.daily[-1][0]}{'-' + report.region if report.region else ''}.csv"
        headers = {
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{quote(name)}"',
            "X-Content-Type-Options": "nosniff",
        }
        await Response(report_csv(report), media_type="text/csv; charset=utf-8", headers=headers)(
            scope, receive, send
        )

    async def consent_json(self, scope: Scope, receive: Receive, send: Send) -> None:
        require(await self._viewer(scope), "read")
        report = await self._report(scope)
        await send_json(send, 200, report_json(report))

    async def operations_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        viewer = require(await self._viewer(scope), "read")
        store = await self._store()
        now = self._clock()
        start = now - now % 86400
        stats = await collect_stats(self._config.logging, store, since=start, until=now + 1)
        requests = requests_body(stats, self._config.logging.enabled, heading="Requests today (UTC)")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), max_num_fields=5)
        body = operations_body(
            await store.webhook_health(),
            tuple(self._config.webhooks.subscriptions),
            await store.last_verify_run(),
            requests.replace("<h1>", "<h2>").replace("</h1>", "</h2>"),
            base=ADMIN_PATH,
            csrf=self._csrf(viewer) if scope_includes(viewer.scope, "admin") else None,
            notice=query.get("done", [""])[-1][:200],
        )
        page = shell("Operations", body, base=ADMIN_PATH, current="operations", csrf=self._csrf(viewer))
        await html_response(scope, receive, send, page)

    async def requests_page(self, scope: Scope, receive: Receive, send: Send) -> None:
        viewer = require(await self._viewer(scope), "read")
        since, until = request_period(scope.get("query_string", b""), self._clock())
        stats = await collect_stats(self._config.logging, await self._store(), since=since, until=until)
        form = (
            f'<form class="filters" method="get" action="{esc(ADMIN_PATH)}requests"><label for="hours">Period'
            '<select id="hours" name="hours">'
            + "".join(f'<option value="{h}">{h} h</option>' for h in (1, 6, 24, 72, 168, 720))
            + '</select></label><button type="submit">Show</button></form>'
        )
        body = requests_body(stats, self._config.logging.enabled, heading="Requests", form=form)
        page = shell("Requests", body, base=ADMIN_PATH, current="requests", csrf=self._csrf(viewer))
        await html_response(scope, receive, send, page)

    async def stats_json(self, scope: Scope, receive: Receive, send: Send) -> None:
        require(await self._viewer(scope), "read")
        since, until = request_period(scope.get("query_string", b""), self._clock())
        stats = await collect_stats(self._config.logging, await self._store(), since=since, until=until)
        await send_json(send, 200, stats.to_json())

    async def _signin_form(
        self, scope: Scope, receive: Receive, send: Send, message: str = "", status: int = 200
    ) -> None:
        https = scope.get("scheme") == "https"
        session = self.sessions.read(dict(scope["headers"]))
        cookie = None
        if session is None:
            session = self.sessions.new()
            cookie = self.sessions.cookie(session, https=https)
        page = signin_page(base=ADMIN_PATH, csrf=self.sessions.csrf_token(session), message=message)
        await html_response(scope, receive, send, page, status=status, cookie=cookie)

    async def _report(self, scope: Scope) -> ConsentReport:
        first_day, last_day, region = consent_period(scope.get("query_string", b""), self._clock())
        store = await self._store()
        counts = await store.consent_counts(
            first_day=first_day, last_day=last_day, region=region, now=self._clock()
        )
        report = build_report(
            counts,
            first_day=first_day,
            last_day=last_day,
            region=region,
            categories=self._config.category_names,
        )
        report.first_seen = await store.shown_first_seen([shown for _, shown in report.revisions])
        if self._config.logging.enabled:
            stats = await collect_stats(
                self._config.logging, store, since=first_day * 86400.0, until=(last_day + 1) * 86400.0
            )
            rates = stats.consent_rates()
            figures = rates["all"] if region is None else rates["regions"].get(region)
            if figures and figures["views"]:
                report.views = int(figures["views"])
                decided = figures["decided"]
                report.undecided = None if decided is None else round(1 - decided, 4)
        return report

    # --- form posts ---------------------------------------------------------------------------------------

    async def sign_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        check_same_origin(headers, scope.get("scheme", "http"))
        form = await read_form(scope, receive)
        self.sessions.check_csrf(self.sessions.read(headers), form.get("csrf", ""))
        address = self._client_ip.full(scope) or "unknown"
        self.failed.check(address)
        found = await self.verifier(form.get("key", "").strip())
        if found is None or not scope_includes(found[1], "admin"):
            self.failed.failed(address)
            message = (
                "This key is not valid or has been revoked."
                if found is None
                else f"This key has the {found[1]!r} scope; only a key with the 'admin' scope signs in."
            )
            await self._signin_form(scope, receive, send, message, 401 if found is None else 403)
            return
        session = self.sessions.new(found[0])
        cookie = self.sessions.cookie(session, https=scope.get("scheme") == "https")
        await redirect(scope, receive, send, ADMIN_PATH, cookie=cookie)

    async def sign_out(self, scope: Scope, receive: Receive, send: Send) -> None:
        viewer, _ = await self._form_viewer(scope, receive)
        if viewer.session is not None:
            store = await self._store()
            await store.add_sign_out(
                nonce_hash(viewer.session), until=self.sessions.expiry(), now=self._clock()
            )
        cookie = self.sessions.clear_cookie(https=scope.get("scheme") == "https")
        await redirect(scope, receive, send, ADMIN_PATH, cookie=cookie)

    async def replay(self, scope: Scope, receive: Receive, send: Send) -> None:
        _, form = await self._form_viewer(scope, receive)
        endpoint = form.get("endpoint", "")
        if not endpoint:
            raise HTTPError(400, "bad_endpoint", "Name the subscription whose dead deliveries to replay.")
        count = await (await self._store()).replay_endpoint(endpoint, now=self._clock())
        done = f"{count} dead deliveries of {endpoint} are pending again."
        await redirect(scope, receive, send, f"{ADMIN_PATH}operations?done={quote(done)}")

    async def run_verify(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._form_viewer(scope, receive)
        store = await self._store()
        started = self._clock()
        report = await verify(store)
        detail = "\n".join(str(problem) for problem in report.problems[:20])
        run = VerifyRun(
            started, self._clock(), report.records, report.chains, len(report.problems), detail, "dashboard"
        )
        await store.add_verify_run(run)
        verdict = "verified" if report.ok else f"{len(report.problems)} problem(s) found"
        await redirect(
            scope, receive, send, f"{ADMIN_PATH}operations?done={quote('Ledger ' + verdict + '.')}"
        )
