"""The dashboard's HTML shell: one inline stylesheet (allowed by its hash), the navigation, forms.

No page of the dashboard has a script: its ``Content-Security-Policy`` allows this stylesheet and
nothing else. Every text that comes from a request or the store is escaped with :func:`esc`.
"""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Any

__all__ = [
    "CSP",
    "CSS_HASH",
    "HEADERS",
    "esc",
    "pct",
    "shell",
    "signin_page",
]

_CSS = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}"
    "header{background:#1f3a5f;color:#fff;padding:.6em 1em;display:flex;flex-wrap:wrap;gap:1em;"
    "align-items:center}header a{color:#fff}header a[aria-current]{font-weight:700;text-decoration:none}"
    "header form{margin:0 0 0 auto}main{max-width:1100px;margin:0 auto;padding:1em}"
    "h1{font-size:1.45em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.5em 0}caption{text-align:left;font-weight:600}"
    "td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd}td.n,th.n{text-align:right}"
    ".pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1.5em;align-items:start}"
    ".scroll{max-height:22em;overflow:auto}.scroll td,.scroll th{white-space:nowrap}@media (max-width:800px){.pair{grid-template-columns:1fr}}"
    "svg{display:block;max-width:100%;height:auto;margin:.5em 0}.lbl{font-size:12px;fill:#1b1b1b}"
    ".bar{fill:#3a6ea5}.alt{fill:#c0623b}.k-accept_all{fill:#2e7d32}.k-reject_all{fill:#b23c17}"
    ".k-customised{fill:#3a6ea5}.k-withdrawn{fill:#7b4fa8}.k-other{fill:#767676}.ci{stroke:#1b1b1b;"
    "stroke-width:1.5}.sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em}"
    ".s-accept_all{background:#2e7d32}.s-reject_all{background:#b23c17}.s-customised{background:#3a6ea5}"
    ".s-withdrawn{background:#7b4fa8}.s-other{background:#767676}"
    "form.filters{display:flex;flex-wrap:wrap;gap:.8em;align-items:end;margin:1em 0}"
    "label{display:inline-flex;flex-direction:column;font-size:.9em}input,select,button{font:inherit;"
    "padding:.25em .4em}button{cursor:pointer}.muted{color:#595959}.ok{color:#1e6b22}.bad{color:#a3261b}"
    ".notice{background:#eef4fb;border-left:4px solid #1f3a5f;padding:.5em 1em}"
    "form.inline{display:inline;margin:0}"
)

#: The stylesheet's hash, the one thing the pages' ``Content-Security-Policy`` allows.
CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()

CSP = (
    f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; img-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

_NAV = (("", "Consent"), ("operations", "Operations"), ("requests", "Requests"))


def esc(value: Any) -> str:
    """``value`` as HTML text (quotes escaped too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage, or ``n/a``."""
    return "n/a" if value is None else f"{value * 100:.{digits}f} %"


def shell(title: str, body: str, *, base: str, current: str | None, csrf: str | None) -> str:
    """A whole page: the navigation (when signed in), ``body`` in ``<main>``."""
    nav = ""
    if current is not None:
        links = " ".join(
            f'<a href="{esc(base + path)}"{" aria-current=page" if path == current else ""}>{esc(label)}</a>'
            for path, label in _NAV
        )
        signout = (
            f'<form class="inline" method="post" action="{esc(base)}signout">'
            f'<input type="hidden" name="csrf" value="{esc(csrf)}"><button type="submit">Sign out</button></form>'
            if csrf
            else ""
        )
        nav = (
            f'<header><strong>consentgate</strong><nav aria-label="Dashboard">{links}</nav>{signout}</header>'
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · consentgate</title><style>{_CSS}</style></head><body>"
        f"{nav}<main>{body}</main></body></html>"
    )


def signin_page(*, base: str, csrf: str, message: str = "") -> str:
    """The sign-in form (an ``admin``-scope API key)."""
    notice = f'<p class="bad" role="alert">{esc(message)}</p>' if message else ""
    body = (
        "<h1>Sign in to the consent dashboard</h1>"
        f"{notice}"
        f'<form method="post" action="{esc(base)}signin">'
        '<p><label for="key">Admin API key<input id="key" name="key" type="password" '
        'autocomplete="current-password" required size="60"></label></p>'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        '<p><button type="submit">Sign in</button></p></form>'
        '<p class="muted">Make a key with <code>consentgate keys create --name you --scope admin</code>; '
        "keys with the read or write scope cannot sign in.</p>"
    )
    return shell("Sign in", body, base=base, current=None, csrf=None)
