"""The rewriter's rules, one at a time, against a tiny catalog (see rewriter_support.TinyCatalog)."""

from __future__ import annotations

import pytest

from consentgate.gate.rewrite import RewritePlan, Rewriter, rewrite
from tests.support.rewriter import ALL_OPTIONAL, TinyCatalog, fake_injection, run, tiny_plan

PLAN = tiny_plan()
GA = b"https://www.google-analytics.com/analytics.js"


def rw(document: bytes, blocked: frozenset[str] = ALL_OPTIONAL, plan: RewritePlan = PLAN) -> bytes:
    return rewrite(plan, blocked, document)


# --- what is made inert ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "inert"),
    [
        (
            b'<script src="' + GA + b'"></script>',
            b'<script type="text/plain" data-cg-category="analytics" data-cg-service="google-analytics"'
            b' data-cg-src="' + GA + b'"></script>',
        ),
        (
            b'<script async defer src="' + GA + b'"></script>',
            b'<script type="text/plain" data-cg-category="analytics" data-cg-service="google-analytics"'
            b' async defer data-cg-src="' + GA + b'"></script>',
        ),
        (
            b'<script type="module" src="' + GA + b'"></script>',
            b'<script type="text/plain" data-cg-category="analytics" data-cg-service="google-analytics"'
            b' data-cg-type="module" data-cg-src="' + GA + b'"></script>',
        ),
        (
            b"<script>gtag('config', 'G-1');</script>",
            b'<script type="text/plain" data-cg-category="analytics" data-cg-service="google-analytics">'
            b"gtag('config', 'G-1');</script>",
        ),
        (
            b'<iframe src="https://www.youtube.com/embed/x" allowfullscreen></iframe>',
            b'<iframe data-cg-category="social" data-cg-service="youtube"'
            b' data-cg-src="https://www.youtube.com/embed/x" allowfullscreen></iframe>',
        ),
        (
            b'<img src="https://www.facebook.com/tr?id=1" srcset="https://www.facebook.com/tr?id=1 2x">',
            b'<img data-cg-category="advertising" data-cg-service="meta-pixel"'
            b' data-cg-src="https://www.facebook.com/tr?id=1" data-cg-srcset="https://www.facebook.com/tr?id=1 2x">',
        ),
        (
            b'<source srcset="/a.webp 1x, //www.facebook.com/tr 2x">',
            b'<source data-cg-category="advertising" data-cg-service="meta-pixel"'
            b' data-cg-srcset="/a.webp 1x, //www.facebook.com/tr 2x">',
        ),
        (
            b'<embed src="https://www.youtube.com/v/x">',
            b'<embed data-cg-category="social" data-cg-service="youtube" data-cg-src="https://www.youtube.com/v/x">',
        ),
        (
            b'<object data="https://www.youtube.com/v/x"></object>',
            b'<object data-cg-category="social" data-cg-service="youtube"'
            b' data-cg-data="https://www.youtube.com/v/x"></object>',
        ),
        (
            b'<link rel="preconnect" href="https://www.google-analytics.com">',
            b'<link data-cg-category="analytics" data-cg-service="google-analytics" rel="preconnect"'
            b' data-cg-href="https://www.google-analytics.com">',
        ),
    ],
)
def test_each_kind_of_tag_is_made_inert(tag: bytes, inert: bytes) -> None:
    assert rw(b"<p>x</p>" + tag + b"<p>y</p>") == b"<p>x</p>" + inert + b"<p>y</p>"


@pytest.mark.parametrize(
    "rel", [b"preload", b"prefetch", b"preconnect", b"dns-prefetch", b"modulepreload", b"X Preload"]
)
def test_every_preloading_rel_counts(rel: bytes) -> None:
    assert b"data-cg-href" in rw(b'<link rel="' + rel + b'" href="//www.facebook.com/x.js">')


@pytest.mark.parametrize(
    "tag",
    [
        b'<link rel="canonical" href="https://www.facebook.com/x.css">',
        b'<a href="https://www.facebook.com/acme">Facebook</a>',
        b'<script type="application/ld+json">{"sameAs": ["https://www.facebook.com/acme"]}</script>',
        b'<script type="text/plain" src="https://www.facebook.com/x.js"></script>',
        b'<script type="text/template"><img src="https://www.facebook.com/tr"></script>',
        b"<style>.a{background:url(/tr)} /* <script src=//www.facebook.com> */</style>",
        b'<textarea><iframe src="https://www.youtube.com/embed/x"></iframe></textarea>',
        b'<title><img src="https://www.facebook.com/tr"></title>',
        b'<!-- <script src="https://www.google-analytics.com/ga.js"></script> -->',
        b'<div title="<script src=https://www.google-analytics.com/ga.js></script>">x</div>',
        b'<script src="/static/app.js"></script><img src="/logo.png" srcset="/logo@2x.png 2x">',
        b'<script src="https://cdn.example.com/app.js"></script><script>var x = 1;</script>',
        b'<script src="https://www.recaptcha.net/recaptcha/api.js"></script>',
    ],
)
def test_leaves_alone(tag: bytes) -> None:
    page = b"<!doctype html><p>a</p>" + tag + b"<p>b</p>"
    assert rw(page) == page


def test_only_the_refused_categories_are_blocked() -> None:
    page = b'<script src="' + GA + b'"></script><img src="https://www.facebook.com/tr">'
    out = rw(page, frozenset({"advertising"}))
    assert b'<script src="' + GA + b'">' in out
    assert b'data-cg-src="https://www.facebook.com/tr"' in out
    assert rw(page, frozenset()) == page


def test_every_duplicate_loading_attribute_is_renamed() -> None:
    out = rw(b'<img src="https://www.facebook.com/tr" src="/ok.png">')
    assert out == (
        b'<img data-cg-category="advertising" data-cg-service="meta-pixel"'
        b' data-cg-src="https://www.facebook.com/tr" data-cg-src="/ok.png">'
    )


@pytest.mark.parametrize(
    "tag",
    [
        b"<SCRIPT SRC='HTTPS://WWW.GOOGLE-ANALYTICS.COM/GA.JS'></SCRIPT>",
        b"<script src=//www.google-analytics.com/ga.js></script>",
        b'<script\n\tsrc\n=\n"https://www.google-analytics.com/ga.js"\n></script>',
        b'<script data-x="a>b" src="https://www.google-analytics.com/ga.js"></script>',
        b"<script data-x='<script>' src=\"https://www.google-analytics.com/ga.js\"></script>",
        b'<script/src="https://www.google-analytics.com/ga.js"></script>',
        b'<script src="https:&#47;&#47;www.google-analytics.com/ga.js"></script>',
        b'<script src="https:\\\\www.google-analytics.com\\ga.js"></script>',
    ],
)
def test_any_case_quoting_and_spelling(tag: bytes) -> None:
    out = rw(tag)
    assert b'type="text/plain"' in out
    assert b" src=" not in out.lower().replace(b"data-cg-src=", b"")


@pytest.mark.parametrize(
    "kind",
    [
        b"text/javascript; charset=utf-8",
        b"application/x-javascript",
        b"text/javascript;charset=UTF-8",
        b" TEXT/JavaScript ",
        b"text/jscript",
        b"text/javascript1.5",
    ],
)
def test_every_javascript_type_is_gated(kind: bytes) -> None:
    added = b'<script type="text/plain" data-cg-category="analytics" data-cg-service="google-analytics"'
    assert rw(b'<script type="' + kind + b'" src="' + GA + b'"></script>') == (
        added + b' data-cg-type="' + kind + b'" data-cg-src="' + GA + b'"></script>'
    )
    assert rw(b'<script type="' + kind + b'">gtag(1)</script>') == (
        added + b' data-cg-type="' + kind + b'">gtag(1)</script>'
    )


@pytest.mark.parametrize(
    ("attributes", "runs"),
    [
        (b'language="javascript"', True),
        (b'language=""', True),
        (b'language="vbscript"', False),
        (b'type="" language="vbscript"', True),
        (b'type="text/plain" language="javascript"', False),
    ],
)
def test_without_a_type_the_language_decides(attributes: bytes, runs: bool) -> None:
    page = b"<script " + attributes + b">gtag(1)</script>"
    assert (rw(page) != page) is runs


def test_script_data_states() -> None:
    # <!--<script> inside a script opens the "double escaped" state: the first </script> does not end it.
    page = b'<script>gtag(1)<!--<script></script>--></script><img src="https://www.facebook.com/tr">'
    out = rw(page)
    assert out.startswith(b'<script type="text/plain"')
    assert out.endswith(
        b'<img data-cg-category="advertising" data-cg-service="meta-pixel" data-cg-src="https://www.facebook.com/tr">'
    )
    # Tags inside script text are text (the script itself names a refused URL, so it is inert).
    page = b"<script>var s = '<img src=\"https://www.facebook.com/tr\">';</script >"
    out = rw(page)
    assert out.startswith(b'<script type="text/plain"')
    assert out.endswith(b">var s = '<img src=\"https://www.facebook.com/tr\">';</script >")


# --- explicit assignment, first party, idempotency ---------------------------------------------


def test_explicit_categories() -> None:
    assert rw(b'<script data-cg-category="necessary" src="' + GA + b'"></script>') == (
        b'<script data-cg-category="necessary" src="' + GA + b'"></script>'
    )
    out = rw(b'<script data-cg-category="Analytics " src="/own.js"></script>')
    assert out == b'<script type="text/plain" data-cg-category="Analytics " data-cg-src="/own.js"></script>'
    out = rw(
        b'<iframe data-cg-category="social" data-cg-service="maps" src="https://maps.example.com/x"></iframe>'
    )
    assert (
        out
        == b'<iframe data-cg-category="social" data-cg-service="maps" data-cg-src="https://maps.example.com/x"></iframe>'
    )
    # A granted explicit category passes; an unknown one is treated as refused (a typo must not run).
    assert rw(b'<script data-cg-category="social">x()</script>', frozenset({"analytics"})).startswith(
        b"<script data"
    )
    assert rw(b'<script data-cg-category="analitycs">x()</script>', frozenset()).startswith(
        b'<script type="text/plain"'
    )


def test_an_inert_tag_passes_unchanged_and_rewriting_is_idempotent() -> None:
    page = (
        b'<!doctype html><head><script src="' + GA + b'"></script><script>fbq("init")</script></head>'
        b'<body><iframe src="https://www.youtube.com/embed/x"></iframe><img srcset="//www.facebook.com/tr 1x"></body>'
    )
    plan = tiny_plan(injection=fake_injection)
    once = rw(page, plan=plan)
    assert rw(once, plan=plan) == once
    assert once.count(b"cg-bootstrap") == 1


def test_the_catalog_is_asked_once_per_url() -> None:
    catalog = TinyCatalog()
    plan = RewritePlan(catalog)
    page = b'<img src="https://cdn.example.com/a.png">' * 50
    assert rewrite(plan, ALL_OPTIONAL, page) == page
    assert rewrite(plan, ALL_OPTIONAL, page) == page
    assert catalog.url_calls == 1
    rewrite(plan, ALL_OPTIONAL, b'<img src="/relative.png"><img src="/x.png" srcset="/y.png 2x">')
    assert catalog.url_calls == 1  # a relative URL is first-party without asking


# --- the injection --------------------------------------------------------------------------------

INJ = fake_injection(None)


def test_injection_goes_before_the_first_script() -> None:
    page = b'<!doctype html><html><head><meta charset="utf-8"><script src="/a.js"></script></head><body></body></html>'
    out = rw(page, plan=tiny_plan(injection=fake_injection))
    assert out == page.replace(b'<script src="/a.js">', INJ + b'<script src="/a.js">')


def test_data_scripts_are_not_the_first_script() -> None:
    page = b'<html><head><script type="application/ld+json">{}</script><script nonce="n1">x()</script></head>'
    out = rw(page, plan=tiny_plan(injection=fake_injection))
    assert out == page.replace(b'<script nonce="n1">', fake_injection("n1") + b'<script nonce="n1">')


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            b"<html><head><title>t</title></head><body>x</body></html>",
            b"<html><head><title>t</title>{I}</head>",
        ),
        (b"<!DOCTYPE html><p>x</p></body></html>", b"<!DOCTYPE html><p>x</p>{I}</body></html>"),
        (b"<!doctype html><p>x</p>", b"<!doctype html><p>x</p>{I}"),
        (
            b"<!doctype html><noscript><script>x</script></noscript><script>y</script>",
            b"</noscript>{I}<script>y",
        ),
    ],
)
def test_injection_falls_back_to_head_body_and_end(page: bytes, expected: bytes) -> None:
    out = rw(page, plan=tiny_plan(injection=fake_injection))
    assert expected.replace(b"{I}", INJ) in out
    assert out.count(b"cg-bootstrap") == 1


def test_fragments_get_no_injection() -> None:
    page = b'<div class="card"><script>x()</script><img src="/a.png"></div>'
    assert rw(page, plan=tiny_plan(injection=fake_injection)) == page


def test_the_nonce_comes_from_the_page_or_the_header() -> None:
    plan = tiny_plan(injection=fake_injection)
    page = b"<!doctype html><head><script nonce='abc&amp;1'>x()</script></head>"
    assert fake_injection("abc&1") in rewrite(plan, ALL_OPTIONAL, page, nonce="hdr")
    assert fake_injection("hdr") in rewrite(plan, ALL_OPTIONAL, page, nonce="hdr", nonce_from_page=False)
    page = b"<!doctype html><head><title>t</title></head>"
    assert fake_injection("hdr") in rewrite(plan, ALL_OPTIONAL, page, nonce="hdr")


# --- robustness -----------------------------------------------------------------------------------


def test_a_tag_over_the_cap_is_judged_like_any_other() -> None:
    # (it once passed unchanged: tests/gate/rewrite/test_big_tags.py has the cases)
    plan = tiny_plan(tag_cap=64)
    big = b'<img alt="' + b"x" * 100 + b'" src="https://www.facebook.com/tr">'
    small = b'<img src="https://www.facebook.com/tr">'
    page = big + small
    for chunks in (None, [10] * 20, [70, 70]):
        out = run(plan, page, chunks=chunks)
        assert out.startswith(b'<img data-cg-category="advertising" data-cg-service="meta-pixel" alt="x')
        assert out.count(b'data-cg-src="https://www.facebook.com/tr">') == 2


def test_only_the_first_script_cap_bytes_of_an_inline_script_are_inspected() -> None:
    plan = tiny_plan(script_cap=32)
    late = b"<script>" + b"/" * 40 + b"fbq('init');</script>"
    early = b"<script>fbq('init');" + b"/" * 40 + b"</script>"
    for chunks in (None, [5] * 20):
        assert run(plan, late, chunks=chunks) == late
        assert run(plan, early, chunks=chunks).startswith(b'<script type="text/plain"')


def test_a_held_inline_script_waits_for_its_end() -> None:
    rewriter = Rewriter(PLAN, ALL_OPTIONAL)
    assert rewriter.feed(b"<p>a</p><script>fb") == b"<p>a</p>"
    assert rewriter.feed(b"q('init')</scr") == b""
    assert rewriter.feed(b"ipt><p>b</p>").startswith(b'<script type="text/plain"')
    assert rewriter.finish() == b""


def test_streaming_releases_everything_but_an_incomplete_tag() -> None:
    rewriter = Rewriter(PLAN, ALL_OPTIONAL)
    assert rewriter.feed(b"<p>one</p><div class=") == b"<p>one</p>"
    assert rewriter.feed(b'"x">two <img src="https://www.fa') == b'<div class="x">two '
    out = rewriter.feed(b'cebook.com/tr"> three')
    assert out.startswith(b"<img data-cg-category") and out.endswith(b" three")
    assert rewriter.finish() == b""


@pytest.mark.parametrize(
    "page",
    [
        b"",
        b"<",
        b"<scr",
        b"<script",
        b'<img src="https://www.facebook.com/tr',
        b"<!--",
        b"<!-- never closed <script src=//www.google-analytics.com/ga.js>",
        b"<script>never closed",
        b"\xff\xfe\x00<\x80\xc3(",
        b"<plaintext><script src=//www.google-analytics.com/ga.js></script>",
    ],
)
def test_truncated_and_odd_input_never_raises_or_loses_a_byte(page: bytes) -> None:
    out = rw(page)
    assert len(out) >= len(page)
    assert run(PLAN, page, frozenset(), chunks=[1] * len(page)) == page


def test_non_utf8_bytes_pass_through() -> None:
    page = "<p>Caf\u00e9 \u2013</p>".encode("cp1252") + b'<img alt="\xe9" src="https://www.facebook.com/tr">'
    out = rw(page)
    assert out.startswith("<p>Caf\u00e9 \u2013</p>".encode("cp1252"))
    assert b'alt="\xe9" data-cg-src=' in out


def test_feed_after_finish_is_a_programming_error() -> None:
    rewriter = Rewriter(PLAN, ALL_OPTIONAL)
    rewriter.finish()
    with pytest.raises(RuntimeError):
        rewriter.feed(b"x")
