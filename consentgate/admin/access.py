"""Who is asking, and the dashboard's answers: sessions or Bearer keys, forms, HTML and redirects.

A request is either signed in (the session cookie of an ``admin`` key that is still valid: the key is
looked up on every request, so a revocation takes effect at once), or carries a key in
``Authorization`` (scripts: ``Bearer``; Basic for a browser's own dialog), or neither.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..api.keys import scope_includes
from ..errors import HTTPError
from ..web.json import BODY_TIMEOUT
from .layout import HEADERS
from .session import Session

__all__ = ["Viewer", "html_response", "read_form", "redirect", "require"]

#: Largest form body read (the sign-in key and a CSRF token are far below).
_MAX_FORM = 16 * 1024
_BASIC = {"WWW-Authenticate": 'Basic realm="consentgate admin", charset="UTF-8"'}


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who a request is from: a signed-in session, or a key in ``Authorization`` (``bearer``)."""

    scope: str
    session: Session | None = None
    #: True for ``Authorization: Bearer``: a header no browser adds by itself, so no CSRF check.
    bearer: bool = False


def require(viewer: Viewer | None, needed: str) -> Viewer:
    """``viewer`` if it may do what ``needed`` asks; else 401 or 403."""
    if viewer is None:
        raise HTTPError(
            401,
            "unauthorized",
            "Sign in at /consentgate/admin/ with an admin key, or send 'Authorization: Bearer <key>'.",
            _BASIC,
        )
    if not scope_includes(viewer.scope, needed):
        raise HTTPError(
            403, "forbidden", f"This needs a key with the {needed!r} scope; this one has {viewer.scope!r}."
        )
    return viewer


async def read_form(scope: Scope, receive: Receive) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body's fields (the last value of each); 400/413/415."""
    headers = dict(scope["headers"])
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if kind not in (b"application/x-www-form-urlencoded", b""):
        raise HTTPError(415, "bad_media_type", "Send the form as application/x-www-form-urlencoded.")
    try:
        # One deadline for the whole body, as for JSON: a trickled form holds no worker.
        body = await asyncio.wait_for(_read_body(receive), BODY_TIMEOUT)
    except TimeoutError:
        raise HTTPError(
            408, "body_timeout", f"The form did not arrive within {BODY_TIMEOUT:g} seconds; send it at once."
        ) from None
    if body and not kind:
        raise HTTPError(415, "bad_media_type", "Send the form as application/x-www-form-urlencoded.")
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=20, keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise HTTPError(400, "bad_form", "The form could not be read.") from None
    return {name: values[-1] for name, values in fields.items()}


async def _read_body(receive: Receive) -> bytes:
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPError(400, "disconnected", "The client went away.")
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > _MAX_FORM:
            raise HTTPError(413, "too_large", f"A form of the dashboard is at most {_MAX_FORM} bytes.")
    return body


async def html_response(
    scope: Scope,
    receive: Receive,
    send: Send,
    page: str,
    *,
    status: int = 200,
    cookie: str | None = None,
) -> None:
    """Send ``page`` with the dashboard's headers (and one ``Set-Cookie``)."""
    response = Response(page, status_code=status, media_type="text/html; charset=utf-8", headers=HEADERS)
    if cookie is not None:
        response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))
    await response(scope, receive, send)


async def redirect(
    scope: Scope, receive: Receive, send: Send, location: str, *, cookie: str | None = None
) -> None:
    """A ``303 See Other`` to ``location`` (after a form: the browser then GETs it)."""
    headers: Mapping[str, str] = {**HEADERS, "Location": location}
    response = Response(b"", status_code=303, headers=headers)
    if cookie is not None:
        response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))
    await response(scope, receive, send)
