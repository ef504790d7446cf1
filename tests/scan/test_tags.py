"""The scanner's tag finder (consentgate.scan.tags): which scripts it counts as ones a browser runs.

The rule is the gate's own (one definition, shared with the rewriter): a ``type`` whose MIME type
essence is a JavaScript one (case-insensitive, parameters after ``;`` ignored, whitespace
trimmed), ``module``, or no type at all (then ``language``, as the HTML standard says).
"""

from __future__ import annotations

import pytest

from consentgate.scan.tags import find_tags

RUNNABLE = [
    "text/javascript; charset=utf-8",
    "application/x-javascript",
    "text/javascript;charset=UTF-8",
    " TEXT/JavaScript ",
    "application/ecmascript",
    "text/jscript",
    "text/javascript1.5",
    "module",
    "",
]
GA = "https://www.google-analytics.com/analytics.js"
DATA = ["text/plain", "application/ld+json", "application/json", "text/x-template", "importmap", "javascript"]


@pytest.mark.parametrize("kind", RUNNABLE)
def test_an_inline_script_of_every_javascript_type_is_reported(kind: str) -> None:
    [tag] = find_tags(f'<script type="{kind}">gtag("config", "G-1");</script>')
    assert (tag.kind, tag.text, tag.inert) == ("inline", 'gtag("config", "G-1");', False)


@pytest.mark.parametrize("kind", RUNNABLE)
def test_a_script_with_src_of_every_javascript_type_is_reported(kind: str) -> None:
    [tag] = find_tags(f'<script type="{kind}" src="{GA}"></script>')
    assert (tag.kind, tag.url, tag.inert) == ("script", GA, False)


@pytest.mark.parametrize("kind", DATA)
def test_an_inline_data_script_is_not_reported(kind: str) -> None:
    assert find_tags(f'<script type="{kind}">{{"url": "https://www.google-analytics.com/"}}</script>') == []


@pytest.mark.parametrize(
    ("attributes", "runs"),
    [
        ("", True),
        ('language="javascript"', True),
        ('language="JavaScript1.2"', True),
        ('language=""', True),
        ('language="vbscript"', False),
        ('type="" language="vbscript"', True),  # an empty type wins over the language
        ('type="text/plain" language="javascript"', False),
    ],
)
def test_without_a_type_the_language_decides(attributes: str, runs: bool) -> None:
    tags = find_tags(f"<script {attributes}>x()</script>")
    assert [t.kind for t in tags] == (["inline"] if runs else [])


def test_an_inline_script_in_its_inert_form_is_reported_as_inert() -> None:
    [tag] = find_tags(
        '<script type="text/plain" data-cg-category="analytics" data-cg-type="application/x-javascript">'
        "gtag(1)</script>"
    )
    assert (tag.kind, tag.inert, tag.category) == ("inline", True, "analytics")
