"""The shared vocabulary (consentgate.gate.rewrite.vocabulary): which scripts run, for the rewriter
and the scanner alike."""

from __future__ import annotations

import pytest

from consentgate.gate.rewrite import rewrite
from consentgate.gate.rewrite.vocabulary import RUNNABLE_SCRIPT_TYPES, script_runs
from consentgate.scan.tags import find_tags
from tests.support.rewriter import ALL_OPTIONAL, tiny_plan

#: (type attribute or None, language attribute or None, runs)
CASES = [
    (None, None, True),
    ("", None, True),
    ("  ", None, True),
    ("module", None, True),
    ("text/javascript", None, True),
    ("TEXT/JavaScript", None, True),
    ("\ttext/javascript\n", None, True),
    ("text/javascript; charset=utf-8", None, True),
    ("text/javascript ;charset=utf-8", None, True),
    ("application/x-javascript", None, True),
    ("application/ecmascript", None, True),
    ("text/javascript1.5", None, True),
    ("text/plain", None, False),
    ("application/ld+json", None, False),
    ("application/json", None, False),
    ("importmap", None, False),
    ("text/x-template", None, False),
    ("javascript", None, False),
    ("text/javascript2", None, False),
    ("text/javascrİpt", None, False),  # only ASCII letters fold
    (None, "javascript", True),
    (None, "JavaScript1.2", True),
    (None, "", True),
    (None, "vbscript", False),
    ("", "vbscript", True),
    ("text/plain", "javascript", False),
]


@pytest.mark.parametrize(("type_", "language", "runs"), CASES)
def test_which_scripts_run(type_: str | None, language: str | None, runs: bool) -> None:
    assert script_runs(type_, language) is runs


def test_the_runnable_types_are_lower_case_essences() -> None:
    assert all(t == t.strip().lower() and ";" not in t for t in RUNNABLE_SCRIPT_TYPES)


def _script(type_: str | None, language: str | None, body: str) -> str:
    attrs = "".join(
        f' {name}="{value}"' for name, value in (("type", type_), ("language", language)) if value is not None
    )
    return f"<script{attrs}>{body}</script>"


@pytest.mark.parametrize(("type_", "language", "runs"), CASES)
def test_the_rewriter_and_the_scanner_agree(type_: str | None, language: str | None, runs: bool) -> None:
    page = _script(type_, language, "gtag('config', 'G-1');")
    gated = rewrite(tiny_plan(), ALL_OPTIONAL, page.encode()) != page.encode()
    reported = [t.kind for t in find_tags(page)] == ["inline"]
    assert gated is runs
    assert reported is runs
