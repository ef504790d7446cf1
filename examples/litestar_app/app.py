"""A Litestar app behind the consent gate.

Litestar runs its own middleware only for paths one of its route handlers owns, so the gate, which
answers ``/consentgate/...`` itself, wraps the whole Litestar app as an ASGI app instead of being
listed in ``middleware=[...]``.

Run it with ``uvicorn examples.litestar_app.app:app`` from the repository root. The signing key comes
from ``CONSENTGATE_SECRET_KEY`` (a new one per start otherwise) and the ledger from
``CONSENTGATE_DATABASE`` (default ``sqlite:///./consentgate-litestar.db``).
"""

from __future__ import annotations

import os
import secrets
from typing import Any, cast

from litestar import Litestar, MediaType, Request, get
from starlette.types import ASGIApp

from consentgate import ConsentMiddleware

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Litestar behind consentgate</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-LITESTAR1"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-LITESTAR1');
</script>
</head><body>
<h1>Litestar behind consentgate</h1>
<p>The analytics tag above stays inert until you accept analytics.</p>
<noscript><img height="1" width="1" alt="" src="https://www.facebook.com/tr?id=1234567890&ev=PageView&noscript=1"></noscript>
</body></html>
"""


@get("/", media_type=MediaType.HTML)
async def home() -> str:
    """A marketing page with an analytics tag and an ad pixel, as the vendors ship them."""
    return PAGE


@get("/whoami")
async def whoami(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What the app sees of the visitor's consent (``request.scope["consent"]``)."""
    consent = request.scope["consent"]  # type: ignore[typeddict-item]
    return {"allows": {name: consent.allows(name) for name in consent.categories}, **consent.to_json()}


site = Litestar(route_handlers=[home, whoami])

# Litestar types its ASGI interface with its own TypedDicts; at runtime it is a plain ASGI app.
app = ConsentMiddleware(
    cast(ASGIApp, site),
    secret_key=os.environ.get("CONSENTGATE_SECRET_KEY") or secrets.token_urlsafe(32),
    database=os.environ.get("CONSENTGATE_DATABASE", "sqlite:///./consentgate-litestar.db"),
)
