"""A page asked for in part: a ``206`` of a document the gate rewrites is not passed to a browser
that will render it.

The part holds bytes as the site wrote them, which the gate cannot rewrite alone (a tag may start
before the range), and a browser joins it to a part it kept: Chromium's cache resumes a page it had
cut short with ``Range: bytes=N-``, where ``N`` counts the *rewritten* bytes it kept. So when a
request for a document (``Sec-Fetch-Dest`` a document's, or none given) is answered in part, the
middleware asks the site again for the whole page, without ``Range``/``If-Range`` (a server may
ignore a range: RFC 9110, 14.2), and rewrites that, while the part goes nowhere. It asks from
the part's start message, so a response that is not in part costs nothing more. Only a ``GET``
or ``HEAD`` is asked again (no side effect twice), and a site that answers in part anyway gets
:data:`PARTIAL_START`, a ``502``.
A ``fetch()`` of a part (``Sec-Fetch-Dest: empty``) renders nothing and gets the part as sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Final

from starlette.types import Message, Receive, Scope

from .done import DONE
from .page_headers import refused_answer

__all__ = ["PARTIAL_BODY", "PARTIAL_START", "asked_again", "dropped", "rendered_whole", "whole_receive"]

#: Destinations a browser renders (the Fetch standard's ``Sec-Fetch-Dest`` values).
_RENDERED: Final = frozenset((b"document", b"iframe", b"frame", b"embed", b"object", b"fencedframe"))
_RANGE: Final = frozenset((b"range", b"if-range"))
_AGAIN: Final = "consentgate.asked_again"

PARTIAL_START, PARTIAL_BODY = refused_answer(
    "partial_page",
    "The site answered a page asked for as a whole in part (206), and asked again, in part again.",
)


def rendered_whole(scope: Scope) -> bool:
    """Whether a ``206`` to this request would be rendered: the browser says it fetches a document
    (or says nothing of what it fetches)."""
    for name, value in scope["headers"]:
        if name == b"sec-fetch-dest":
            return value.strip().lower() in _RENDERED
    return True


def asked_again(scope: Scope) -> Scope | None:
    """``scope`` without its range headers, for asking the site for the whole page; None when the
    method may have a side effect (the request is not sent twice) or the site was asked again."""
    if scope.get("method") not in ("GET", "HEAD") or scope.get(_AGAIN):
        return None
    headers = [(n, v) for n, v in scope["headers"] if n.lower() not in _RANGE]
    return {**scope, "headers": headers, _AGAIN: True}


def whole_receive() -> Receive:
    """The request body for the second asking (a GET's, empty: the first asking read it); no
    more after it (the first asking's ``receive`` hears the disconnect)."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # (never set: the app stops listening when it has answered)
        return {"type": "http.disconnect"}

    return again


def dropped(message: Message) -> Awaitable[None]:
    """The ``send`` of a response in part that goes nowhere (the page is asked for again)."""
    return DONE
