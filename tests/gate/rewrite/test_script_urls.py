"""URLs that code names the way the engine reads its strings: JavaScript's and JSON's escapes, tabs
and newlines inside a string (which a URL parser drops). A script, a handler or speculation rules
that name a refused tracker that way are made inert; code that names none is left byte for byte."""

from __future__ import annotations

import pytest

from consentgate.gate.rewrite.css import script_urls
from tests.support.rewriter import fake_injection, run, tiny_plan

PLAN = tiny_plan()
INERT = b'type="text/plain"'


@pytest.mark.parametrize(
    "code",
    [
        r'new Image().src = "https:\/\/www.f\u0061cebook.com\/tr?id=1";',
        r'new Image().src = "https://www.fac\x65book.com/tr?id=1";',
        r'new Image().src = "https://www.\u{66}acebook.com/tr?id=1";',
        r'new Image().src = "\x68ttps://www.facebook.com/tr?id=1";',
        r'new Image().src = "https://www.face\tbook.com/tr?id=1";',  # the escape of a tab
        r'new Image().src = "https://www.face\
book.com/tr?id=1";',  # a line continuation
        'new Image().src = "https://www.face\tbook.com/tr?id=1";',  # a tab in the string itself
        "new Image().src = `https://www.face\nbook.com/tr?id=1`;",  # a template literal's newline
        r'import("https://connect.f\141cebook.net/en_US/fbevents.js");',  # legacy octal
    ],
)
def test_a_script_naming_a_tracker_in_escaped_form_is_made_inert(code: str) -> None:
    out = run(PLAN, f"<!doctype html><script>{code}</script>".encode())
    assert out.startswith(b"<!doctype html><script " + INERT), out


def test_speculation_rules_with_a_json_escape_are_made_inert() -> None:
    rules = r'{"prefetch": [{"source": "list", "urls": ["https://www.f\u0061cebook.com/tr?id=1"]}]}'
    out = run(PLAN, f'<script type="speculationrules">{rules}</script>'.encode())
    assert INERT in out and b'data-cg-type="speculationrules"' in out


def test_a_handler_naming_a_tracker_in_escaped_form_is_renamed() -> None:
    page = r"""<button onclick="fetch('https://www.f\x61cebook.com/tr?id=1')">go</button>"""
    assert b"data-cg-onclick=" in run(PLAN, page.encode())


@pytest.mark.parametrize(
    "code",
    [
        r'var s = "line one\nline two", u = "https:\/\/cdn.example.com\/app.js";',
        'var t = "a\tb"; fetch("/api/x");',
        "var m = `multi\nline https://cdn.example.com/x.js`;",
        r'var re = /\d+\/\w+/, q = "\u00e9t\u00e9";',
    ],
)
def test_code_that_names_no_tracker_is_left_byte_for_byte(code: str) -> None:
    page = f"<!doctype html><script>{code}</script>".encode()
    assert run(PLAN, page) == page


def test_escapes_decode_as_the_engine_decodes_them() -> None:
    assert "https://a.example/x" in script_urls(r'"https:\/\/a.example\/x"')
    assert "https://www.facebook.com/tr" in script_urls('"https://www.face\tbook.com/tr"')
    # \0 is NUL, \8 is "8", an escaped quote ends no string, a lone backslash at the end is kept.
    assert "//b.example/8" in script_urls(r'"\/\/b.example\/\8"')
    assert script_urls("\\") == []


def test_a_second_rewrite_reads_a_script_as_the_first_did() -> None:
    # The first rewrite neutralises the '</script' in the comment ('<\/script'); that backslash must
    # not make the second read the text without its newlines, where 'https:conn\ne\nct.facebo...'
    # (raw newlines, in no string) would become a tracker's URL (the soup fuzzer's seed 6170).
    page = b"<svg><script>new Image().src='./x';---!><!--</script https:conn&#10;e&NewLine;c&#00116;.&#102;acebo&#10;o\rk.net"
    plan = tiny_plan(injection=fake_injection)
    once = run(plan, page)
    assert run(plan, once) == once
