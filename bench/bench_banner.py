"""The banner's weight and its start-up cost in Chromium.

The figures, each with its target:

* the bundle ``consentgate/static/banner.js`` (JavaScript and CSS together) gzipped at level 9,
  as ``npm run check`` measures it: at most 6,000 bytes;
* the bytes every HTML page grows by (the injection: bootstrap, its parameters and the banner's
  tag, with a CSP nonce), gzipped: at most 2,048;
* the first view in total: the injection plus every asset the banner needs to show itself
  (banner.js and the visitor's texts), gzipped: at most 9 KB (9,216 bytes). Printed beside it, not
  part of that target: the guard's rules (fetched only when page code inserts a third-party tag)
  and the service lists (fetched when the preferences open);
* the wall time from the banner script's first statement to the banner being in the page (the
  performance marks ``consentgate:start`` and ``consentgate:shown``), on the demo site's home page
  with the injection, in headless Chromium, median of N fresh page loads (each in a new context: no
  cookie, so the banner shows). It includes waiting for the texts asset, so it is printed without a
  target: the main-thread time, measured from a Chromium trace and compared with cookieconsent, is
  ``bench/bench_banner_trace.py``'s.

Pages and the banner are served from memory through Playwright's routing (no server, nothing leaves
the machine); third-party requests are answered empty (there are none before a choice).

    .venv/bin/python bench/bench_banner.py [--runs 31] [--strict] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Route, sync_playwright

from consentgate.catalog.catalog import Catalog
from consentgate.config import load_config
from consentgate.gate.banner import BANNER_PATH, banner_response_body
from consentgate.gate.injection import Injection
from consentgate.gate.rewrite import RewritePlan, rewrite
from consentgate.web.paths import ASSETS_PREFIX

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://bench.consentgate.test"
SIZE_TARGET = 6000
PAGE_TARGET = 2048
FIRST_VIEW_TARGET = 9 * 1024
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _page_html() -> bytes:
    """The demo home page as the gate serves it to a visitor without a choice."""
    if str(ROOT) not in sys.path:  # run as a script: the demo site lives in examples/
        sys.path.insert(0, str(ROOT))
    from examples.marketing_site.app import render_page

    config = load_config()
    catalog = Catalog.builtin().with_config(config)
    plan = RewritePlan(catalog, injection=_injection().render, categories=config.category_names)
    return rewrite(plan, config.optional_categories, render_page("/").encode())


def _injection() -> Injection:
    config = load_config()
    return Injection(config, Catalog.builtin().with_config(config))


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def weights() -> dict[str, Any]:
    """The bytes a visitor downloads, gzipped: per page, and on the first view."""
    bundle = banner_response_body()
    injection = _injection()
    page = injection.render("cHJvZHVjdGlvbi1ub25jZS0xMjM0")  # a nonce of a realistic length
    texts = injection.assets.body("texts.en.json")
    return {
        "bundle_bytes": len(bundle),
        "bundle_gzip_bytes": _gz(bundle),
        "injection_bytes": len(page),
        "injection_gzip_bytes": _gz(page),
        "texts_gzip_bytes": _gz(texts),
        "first_view_gzip_bytes": _gz(page) + _gz(bundle) + _gz(texts),
        "rules_gzip_bytes": _gz(injection.assets.body("rules.js")),
        "services_gzip_bytes": _gz(injection.assets.body("services.json")),
    }


def measure(runs: int) -> dict[str, Any]:
    bundle = banner_response_body()
    html = _page_html()
    assets = _injection().assets
    durations: list[float] = []

    def handle(route: Route) -> None:
        url = route.request.url
        if url == ORIGIN + "/":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        elif url.startswith(ORIGIN + BANNER_PATH):
            route.fulfill(status=200, content_type="text/javascript; charset=utf-8", body=bundle)
        elif url.startswith(ORIGIN + ASSETS_PREFIX):
            name = url.rsplit("/", 1)[-1]
            kind = "text/javascript" if name.endswith(".js") else "application/json"
            route.fulfill(status=200, content_type=kind, body=assets.body(name))
        else:
            route.fulfill(status=204, body="")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            for i in range(runs + 1):
                context = browser.new_context()
                context.route("**/*", handle)
                page = context.new_page()
                page.goto(ORIGIN + "/")
                page.wait_for_function("() => performance.getEntriesByName('consentgate:shown').length > 0")
                duration = page.evaluate(
                    "() => performance.measure('cg', 'consentgate:start', 'consentgate:shown').duration"
                )
                context.close()
                if i > 0:  # the first load warms the browser's caches and JIT: not counted
                    durations.append(float(duration))
        finally:
            browser.close()
    durations.sort()
    return {
        **weights(),
        "runs": runs,
        "shown_ms_median": statistics.median(durations),
        "shown_ms_min": durations[0],
        "shown_ms_p90": durations[min(len(durations) - 1, int(len(durations) * 0.9))],
        "shown_ms_max": durations[-1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=31, help="page loads measured (default 31)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    r = measure(args.runs)
    size_ok = r["bundle_gzip_bytes"] <= SIZE_TARGET
    page_ok = r["injection_gzip_bytes"] <= PAGE_TARGET
    first_ok = r["first_view_gzip_bytes"] <= FIRST_VIEW_TARGET
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        print(
            f"banner.js              {r['bundle_bytes']:>7} bytes, {r['bundle_gzip_bytes']:>5} gzipped"
            f"   target <= {SIZE_TARGET}  {'ok' if size_ok else 'MISSED'}"
        )
        print(
            f"added to every page    {r['injection_bytes']:>7} bytes, {r['injection_gzip_bytes']:>5} gzipped"
            f"   target <= {PAGE_TARGET}  {'ok' if page_ok else 'MISSED'}"
        )
        print(
            f"first view             page part + banner.js + texts.en.json = {r['first_view_gzip_bytes']} gzipped"
            f"   target <= {FIRST_VIEW_TARGET}  {'ok' if first_ok else 'MISSED'}"
        )
        print(
            f"  fetched when needed  rules.js {r['rules_gzip_bytes']} gzipped (page code inserts a third-party tag),"
            f" services.json {r['services_gzip_bytes']} (preferences open); each once, then cached"
        )
        print(
            f"script start -> shown  median {r['shown_ms_median']:.1f} ms  (min {r['shown_ms_min']:.1f}, "
            f"p90 {r['shown_ms_p90']:.1f}, max {r['shown_ms_max']:.1f}; {r['runs']} loads; waits for the"
            " texts: the main-thread figure is bench_banner_trace.py's)"
        )
    return 0 if (size_ok and page_ok and first_ok) or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
