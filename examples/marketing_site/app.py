"""Callwise, the demo marketing site of a (fictional) call-tracking company, behind the consent gate.

The pages are plain HTML files in ``templates/`` carrying the vendor tags a site like this really has,
pasted the way each vendor's install docs give them; the gate, not the site, decides which of them run.
``build_site()`` is the bare site, ``build_app()`` the site wrapped in :class:`ConsentMiddleware`.

Run it with ``consentgate demo``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from consentgate import ConsentMiddleware

__all__ = ["PAGES", "STATIC_DIR", "TEMPLATE_DIR", "build_app", "build_site", "render", "render_page"]

HERE = Path(__file__).resolve().parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

#: The contact form is a few fields of text; anything bigger is not a person typing.
MAX_FORM_BYTES = 16 * 1024

#: path -> (template, <title>, meta description, nav item marked current)
PAGES: dict[str, tuple[str, str, str, str]] = {
    "/": (
        "home.html",
        "Callwise: call tracking and conversation intelligence",
        "Know which campaigns, keywords and pages make your phone ring.",
        "home",
    ),
    "/pricing": (
        "pricing.html",
        "Pricing | Callwise",
        "Call tracking plans from $45 a month, with numbers, recording and unlimited users.",
        "pricing",
    ),
    "/blog": ("blog.html", "Blog | Callwise", "Guides on call tracking, attribution and privacy.", "blog"),
    "/blog/how-call-tracking-works": (
        "post.html",
        "How call tracking works | Callwise",
        "Tracking numbers, dynamic number insertion and offline conversions, explained.",
        "blog",
    ),
    "/privacy": ("privacy.html", "Privacy policy | Callwise", "How Callwise handles your data.", ""),
}

_NAV_ITEMS = ("home", "pricing", "blog", "contact")
_PLANS = {"starter": "Starter", "pro": "Pro", "enterprise": "Enterprise", "unsure": "Not sure yet"}
_SLOT_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def _template(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def render(template: str, /, **slots: str) -> str:
    """Fill the ``{{ name }}`` slots of ``template`` with ``slots`` (already-escaped HTML).

    Every slot the template names must be given, so a typo fails loudly instead of leaving a hole.
    """

    def fill(match: re.Match[str]) -> str:
        return slots[match.group(1)]

    return _SLOT_RE.sub(fill, template)


def _layout(main: str, *, title: str, description: str, nav: str, head_extra: str = "") -> str:
    current = {f"nav_{item}": ' aria-current="page"' if item == nav else "" for item in _NAV_ITEMS}
    return render(
        _template("layout.html"),
        title=html.escape(title),
        description=html.escape(description),
        body_class=f"page-{nav or 'plain'}",
        head_extra=head_extra,
        main=main,
        **current,
    )


def render_page(path: str) -> str:
    """The full HTML of one of the static :data:`PAGES`."""
    template, title, description, nav = PAGES[path]
    return _layout(_template(template), title=title, description=description, nav=nav)


def _contact_page(values: Mapping[str, str], errors: list[str]) -> str:
    chosen = values.get("plan", "")
    options = "\n".join(
        f'<option value="{key}"{" selected" if key == chosen else ""}>{label}</option>'
        for key, label in _PLANS.items()
    )
    error_html = ""
    if errors:
        items = "".join(f"<li>{html.escape(e)}</li>" for e in errors)
        error_html = (
            f'<div class="form-errors" role="alert"><b>Please check the form:</b><ul>{items}</ul></div>'
        )
    main = render(
        _template("contact.html"),
        form_errors=error_html,
        plan_options=options,
        **{f"value_{k}": html.escape(values.get(k, "")) for k in ("name", "email", "company", "message")},
    )
    return _layout(
        main,
        title="Contact | Callwise",
        description="Book a demo of Callwise or ask our team a question.",
        nav="contact",
    )


def _validate(form: Mapping[str, str]) -> list[str]:
    errors = []
    name, email, message = form.get("name", ""), form.get("email", ""), form.get("message", "")
    if not name or len(name) > 120:
        errors.append("Enter your name (up to 120 characters).")
    if not _EMAIL_RE.match(email) or len(email) > 254:
        errors.append("Enter an email address such as jane@company.com.")
    if len(form.get("company", "")) > 120:
        errors.append("Keep the company name under 120 characters.")
    if form.get("plan", "unsure") not in _PLANS:
        errors.append("Choose one of the plans in the list.")
    if not message or len(message) > 4000:
        errors.append("Tell us how we can help (up to 4,000 characters).")
    return errors


def _json_error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


async def _read_form(request: Request) -> dict[str, str] | JSONResponse:
    """The urlencoded form body, first value per field, or the 4xx answer that refuses it.

    Parsed by hand so the demo needs nothing beyond Starlette (its form parser wants python-multipart).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return _json_error(
            415, "unsupported_media_type", "Send the form as application/x-www-form-urlencoded."
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        return _json_error(413, "too_large", f"The form is limited to {MAX_FORM_BYTES // 1024} KB.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return _json_error(413, "too_large", f"The form is limited to {MAX_FORM_BYTES // 1024} KB.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return _json_error(400, "bad_form", "The form body is not valid UTF-8 urlencoded data.")
    return {key: values[0].strip() for key, values in fields.items()}


async def _contact(request: Request) -> Response:
    if request.method in ("GET", "HEAD"):
        plan = request.query_params.get("plan", "")
        return HTMLResponse(_contact_page({"plan": plan if plan in _PLANS else "unsure"}, []))
    form = await _read_form(request)
    if isinstance(form, Response):
        return form
    errors = _validate(form)
    if errors:
        return HTMLResponse(_contact_page(form, errors), status_code=422)
    # Nothing is stored: a real site would hand the message to its CRM here. Post/redirect/get keeps
    # a reload of the thank-you page from sending the form (and the ad conversion) twice.
    return RedirectResponse("/contact/thanks", status_code=303)


async def _thanks(request: Request) -> Response:
    page = _layout(
        _template("thanks.html"),
        title="Thank you | Callwise",
        description="Your message has been sent.",
        nav="contact",
        head_extra=_template("thanks_head.html"),
    )
    return HTMLResponse(page)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    page = _layout(_template("not_found.html"), title="Page not found | Callwise", description="", nav="")
    return HTMLResponse(page, status_code=status)


def build_site() -> Starlette:
    """The Callwise site on its own, without the gate (what the benchmark calls "bare")."""
    routes: list[Route | Mount] = [
        Route(path, _static_endpoint(render_page(path)), methods=["GET", "HEAD"]) for path in PAGES
    ]
    routes += [
        Route("/contact", _contact, methods=["GET", "HEAD", "POST"]),
        Route("/contact/thanks", _thanks, methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={404: _not_found})


def _static_endpoint(body: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return HTMLResponse(body)

    return endpoint


def build_app(secret_key: str | list[str], database: str) -> ASGIApp:
    """The site behind :class:`ConsentMiddleware`, recording choices in ``database`` (a store URL)."""
    return ConsentMiddleware(build_site(), secret_key=secret_key, database=database)
