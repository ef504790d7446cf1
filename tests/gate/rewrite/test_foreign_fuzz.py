"""A seeded fuzzer of foreign content: SVG and MathML around HTML integration points, where the
token-soup fuzzer seldom goes deep enough (it found none of what this one found in 205,000
documents: three pages Chromium 156 loaded a tracker from through the gate, and a regression).

Two shapes, both from ``random.Random(seed)`` alone, so a failing seed replays exactly:

- *steps*: a wrapper (a table, a select, a noscript...), an ``<svg>``/``<math>`` root, one to four
  start tags of integration points, HTML, raw-text and foreign elements, one to three end tags,
  then a tracker (an ``<image href>``, an ``<img>``, a style's ``@import``, a snippet...);
- *raw text*: an SVG/MathML ``<style>`` or ``<script>`` whose text holds an integration point with
  HTML in it and something that may or may not end the element, then a tracker.

Each document is judged as the other rewriter properties are: no refused load or snippet per
html5lib (scripting on and off), idempotent at the plan's caps and at tiny ones, the same when fed
three bytes at a time. 1,000 documents per CI run (a few seconds); ``CG_FOREIGN_DOCUMENTS=N`` and
``CG_FOREIGN_SEED=S`` for a long run, or ``python -m tests.gate.rewrite.test_foreign_fuzz S N``,
which goes on past failures and prints one line per failing seed.
"""

from __future__ import annotations

import os
import random

from tests.support.fuzzing import check_range, long_run
from tests.support.rewriter import SMALL_CAPS, fake_injection, leaks, run, tiny_plan

DOCUMENTS = int(os.environ.get("CG_FOREIGN_DOCUMENTS", "1000"))
SEED = int(os.environ.get("CG_FOREIGN_SEED", "0"))
HOSTS = ("google-analytics.com", "googletagmanager.com", "facebook.com", "facebook.net", "youtube.com")
SNIPPETS = ("fbq(",)
PLAN = tiny_plan(injection=fake_injection)
PIXEL = "https://www.facebook.com/tr"

WRAPPERS = ["", "<table>", "<select>", "<noscript>", "<template>", "<p>", "<table><td>", "<frameset>",
            "<math><mi>", "<svg><desc>"]  # fmt: skip
ROOTS = ["svg", "math", "svg><g", "math><mrow", "svg><a", "math><semantics"]
STEPS = [
    "<desc>", "<title>", "<foreignObject>", "<mi>", "<mtext>", "<annotation-xml encoding=text/html>",
    "<annotation-xml>", "<b>", "<p>", "<span>", "<svg>", "<math>", "<g>", "<mglyph>", "<table>", "<select>",
    "<font color=1>", "<style>", "<script>", "<noscript>", "<textarea>", "<a>", "<font>", "<br>", "<td>",
    "<option>", "<optgroup>", "<input>", "<keygen>", "<caption>", "<tr>", "<colgroup>", "<malignmark>",
    "<iframe>", "<noembed>", "<xmp>",
]  # fmt: skip
ENDS = [
    "</g>", "</svg>", "</math>", "</mrow>", "</a>", "</desc>", "</title>", "</mi>", "</p>", "</b>", "</br>",
    "</semantics>", "</foreignObject>", "</style>", "</script>", "</select>", "</table>", "</noscript>",
    "</span>", "</font>", "</td>", "", "</option>", "</tr>", "</caption>", "</iframe>", "</textarea>",
]  # fmt: skip
TRACKERS = ["<image href={p}>", "<img src={p}>", "<style>@import url({p});</style>", "<script>fbq('init')</script>",
            "<use href={p}#x>", "<a href=javascript:fetch('{p}')>x</a>", "<iframe src={p}></iframe>"]  # fmt: skip
# The raw-text shape: the element, the integration point in its text, what follows in it.
OUTERS = ["style", "script", "style type=text/css", "script><title"]
POINTS = ["foreignObject", "desc", "title", "mi", "mtext", 'annotation-xml encoding="text/html"', "mglyph",
          "svg><desc"]  # fmt: skip
INNERS = ["", "<p>", "<b>", "<table>", "<noembed>", "<noscript>", "<select>", "<svg>", "<math>", "<textarea>",
          "<iframe>", "<script>", "<style>", "<!--", "<font color=1>", "<mglyph>"]  # fmt: skip
MIDDLES = [
    "</{o}>",
    "</{o} >",
    "</{o}/>",
    "<!--</{o}>-->",
    "<a title='</{o}>'>",
    "</{i}></{o}>",
    "</p></{o}>",
    "</{r}>",
]
CLOSERS = ["", "</{i}>", "</p></{i}>", "</{ip}>", "</p></{ip}>", "</{i}></{ip}>", "</{r}>", "--></{ip}>"]
TEXT_TRACKERS = [
    "@import url({p});",
    "new Image().src='{p}';",
    "<img src={p}>",
    "<image href={p}>",
    "fbq('init')",
]


def _name(tag: str) -> str:
    """The element name a start tag (or ``a><b`` pair's last) opens."""
    return tag.strip("<>").split(">")[-1].lstrip("<").split()[0] if tag.strip("<>!-") else "x"


def document(seed: int) -> bytes:
    """Document ``seed``: one of the two shapes (see the module's docstring)."""
    rng = random.Random(seed)
    if rng.random() < 0.5:
        body = rng.choice(WRAPPERS) + "<" + rng.choice(ROOTS) + ">"
        body += "".join(rng.choice(STEPS) for _ in range(rng.randint(1, 4)))
        body += "".join(rng.choice(ENDS) for _ in range(rng.randint(1, 3)))
        body += rng.choice(TRACKERS).format(p=PIXEL)
    else:
        root, outer, point, inner = (
            rng.choice(ROOTS),
            rng.choice(OUTERS),
            rng.choice(POINTS),
            rng.choice(INNERS),
        )
        names = {"o": _name(outer.split(">")[0]), "r": _name(root.split(">")[0]), "ip": _name(point),
                 "i": _name(inner)}  # fmt: skip
        body = f"<{root}><{outer}><{point}>{inner}" + rng.choice(MIDDLES).format(**names)
        body += rng.choice(CLOSERS).format(**names) + rng.choice(TEXT_TRACKERS).format(p=PIXEL)
    return ("<!doctype html><body>" + body).encode()


def check(seed: int) -> str | None:
    """None if document ``seed`` keeps every property, else what it breaks and the document."""
    page = document(seed)
    once = run(PLAN, page)
    found = leaks(once, HOSTS, SNIPPETS)
    if found:
        problem = "leak: " + found[0]
    elif run(PLAN, once) != once:
        problem = "not idempotent"
    elif run(PLAN, page, chunks=[3] * (len(page) // 3)) != once:
        problem = "depends on the chunks"
    elif run(SMALL_CAPS, small := run(SMALL_CAPS, page)) != small:
        problem = "not idempotent at tiny caps"
    else:
        return None
    return f"seed {seed}: {problem}\n  document: {page!r}"


def test_foreign_content_around_integration_points() -> None:
    check_range(check, SEED, DOCUMENTS, "CG_FOREIGN_SEED={seed} CG_FOREIGN_DOCUMENTS=1")


if __name__ == "__main__":  # a long run that goes on past failures
    long_run(check)
