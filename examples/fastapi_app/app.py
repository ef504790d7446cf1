"""A FastAPI app behind the consent gate: ``app.add_middleware(ConsentMiddleware, ...)``.

Run it with ``uvicorn examples.fastapi_app.app:app`` from the repository root. The signing key comes
from ``CONSENTGATE_SECRET_KEY`` (a new one per start otherwise, so choices do not survive a
restart) and the ledger from ``CONSENTGATE_DATABASE`` (default ``sqlite:///./consentgate-fastapi.db``).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from consentgate import ConsentMiddleware

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>FastAPI behind consentgate</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-FASTAPI1"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-FASTAPI1');
</script>
</head><body>
<h1>FastAPI behind consentgate</h1>
<p>The analytics tag above stays inert until you accept analytics.</p>
<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ" title="Video"></iframe>
</body></html>
"""

app = FastAPI(title="consentgate FastAPI example")


@app.get("/", response_class=HTMLResponse)
async def home() -> str:
    """A marketing page with an analytics tag and a video embed, as the vendors ship them."""
    return PAGE


@app.get("/whoami")
async def whoami(request: Request) -> dict[str, Any]:
    """What the app sees of the visitor's consent (``request.scope["consent"]``)."""
    consent = request.scope["consent"]
    return {"allows": {name: consent.allows(name) for name in consent.categories}, **consent.to_json()}


# mypy cannot match Starlette's middleware-factory ParamSpec to a class that also takes
# ``**overrides``; the call itself is exactly what Starlette expects.
app.add_middleware(
    ConsentMiddleware,  # type: ignore[arg-type]
    secret_key=os.environ.get("CONSENTGATE_SECRET_KEY") or secrets.token_urlsafe(32),
    database=os.environ.get("CONSENTGATE_DATABASE", "sqlite:///./consentgate-fastapi.db"),
)
