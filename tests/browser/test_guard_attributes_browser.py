"""The guard against page code that points an element at a tracker by an attribute or a property
rather than by inserting a tag that already names it, in real Chromium (marker ``browser``).

An image fetches on ``src``/``srcset`` even while detached, whatever sets it (``setAttribute``,
``setAttributeNS``, the property); an iframe, script, stylesheet link, embed or object that is in
the document fetches when it is given its URL after insertion. Each case runs twice on the page:
before the guard's table (rules.js) is there (held pending), and after it. Without the gate every
case requests its tracker URL (so each is a real load in this Chromium); through the gate none does.
"""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.browser.conftest import ContextFactory, Recorder, with_and_without_gate

pytestmark = pytest.mark.browser

_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")

#: Each case: JavaScript given ``u`` (its tracker URL) and ``add(el)`` (appends to the body).
CASES = {
    "img-setattribute": "new Image().setAttribute('src', u)",
    "created-img-setattribute": "document.createElement('img').setAttribute('SRC', u)",
    "img-setattributens": "new Image().setAttributeNS(null, 'src', u)",
    "img-srcset": "new Image().srcset = u + ' 1x'",
    "img-setattribute-srcset": "new Image().setAttribute('srcset', u + ' 1x, /own.gif 2x')",
    "iframe-src-after": "add(document.createElement('iframe')).src = u",
    "iframe-setattribute-after": "add(document.createElement('iframe')).setAttribute('src', u)",
    "script-src-after": "add(document.createElement('script')).src = u",
    "script-setattribute-after": "add(document.createElement('script')).setAttribute('src', u)",
    "link-href-after": "{ const l = document.createElement('link'); l.rel = 'stylesheet';"
    " l.href = '/own.css'; add(l).href = u; }",
    "link-setattribute-after": "{ const l = document.createElement('link'); l.rel = 'stylesheet';"
    " add(l).setAttribute('href', u); }",
    "embed-src-after": "add(document.createElement('embed')).src = u",
    "object-data-after": "add(document.createElement('object')).data = u",
    "preload-href-after": "{ const l = document.createElement('link'); l.rel = 'preload'; l.as = 'image';"
    " add(l).href = u; }",
    "picture-source-srcset-after": "{ const p = document.createElement('picture');"
    " const s = p.appendChild(document.createElement('source')); p.append(new Image(1, 1)); add(p); s.srcset = u; }",
}

PAGE = """<!doctype html><html lang="en"><head><title>attributes</title></head><body><main><h1>Attributes</h1></main>
<script>
const add = (el) => document.body.appendChild(el);
const run = (round) => {
  for (const [name, code] of Object.entries(CASES)) {
    const u = 'https://www.' + 'facebook.com/tr?case=' + name + '-' + round;
    try { new Function('u', 'add', code)(u, add); } catch (e) { console.error(name, e); }
  }
  // A first-party image set the same ways still loads.
  new Image().setAttribute('src', '/own.gif?by=setattribute-' + round);
  new Image().srcset = '/own.gif?by=srcset-' + round + ' 1x';
};
window.addEventListener('load', async () => {
  run('early');
  // The table of hosts is fetched because of the first held tag; the second round meets it.
  const until = Date.now() + 3000;
  while (window.__cg && !window.__cg.k && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  window.tableMet = !!(window.__cg && window.__cg.k);
  run('late');
  window.ran = true;
});
</script></body></html>"""


async def _page(request: Request) -> HTMLResponse:
    import json

    return HTMLResponse(PAGE.replace("CASES", json.dumps(CASES)))


async def _own(request: Request) -> Response:
    if request.url.path.endswith(".css"):
        return Response("main{}", media_type="text/css")
    return Response(_GIF, media_type="image/gif")


def _app() -> Starlette:
    return Starlette(routes=[Route("/attributes", _page), Route("/own.gif", _own), Route("/own.css", _own)])


gated_site, bare_site, gated_context, bare_context = with_and_without_gate(_app, "attributes")


def _visit(factory: ContextFactory) -> tuple[Recorder, bool]:
    """The requests of one visit, and whether the second round met the guard's table."""
    context, recorder = factory()
    page = context.new_page()
    page.goto("/attributes")
    page.wait_for_function("() => window.ran === true")
    page.wait_for_timeout(800)
    return recorder, bool(page.evaluate("() => window.tableMet"))


def _cases(recorder: Recorder) -> set[str]:
    return {url.split("case=")[1] for url in recorder.third_party if "case=" in url}


def test_every_case_requests_its_tracker_without_the_gate(bare_context: ContextFactory) -> None:
    loaded = _cases(_visit(bare_context)[0])
    expected = {f"{name}-{round_}" for name in CASES for round_ in ("early", "late")}
    assert expected - loaded == set()


def test_no_case_requests_its_tracker_through_the_gate(gated_context: ContextFactory) -> None:
    recorder, table_met = _visit(gated_context)
    assert sorted(_cases(recorder)) == []
    assert table_met
    assert recorder.errors == []
    own = {url.split("by=")[1] for url in recorder.urls if "by=" in url}
    assert own == {"setattribute-early", "srcset-early", "setattribute-late", "srcset-late"}
