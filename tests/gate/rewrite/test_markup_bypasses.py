"""Markup that used to end rewriting early or load a tracker past it (each example of the audit),
judged by html5lib with scripting on and off: nothing of a refused category may load or run."""

from __future__ import annotations

import re

import pytest

from consentgate.gate.rewrite import RewritePlan
from tests.support.rewriter import TinyCatalog, fake_injection, leaks, run, tiny_plan

GTM = "https://www.googletagmanager.com/gtm.js?id=GTM-1"
PIXEL = "https://www.facebook.com/tr?id=1"
HOSTS = ("googletagmanager.com", "google-analytics.com", "facebook.com", "facebook.net", "youtube.com")
PLAN = tiny_plan(injection=fake_injection)


def _check(page: str) -> bytes:
    prefix = (
        ""
        if page.startswith("<!doctype")
        else '<!doctype html><html><head><meta charset="utf-8"></head><body>'
    )
    document = (prefix + page).encode("utf-8")
    assert leaks(document, HOSTS, ()), "the page must load a tracker to begin with"
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ()) == []
    for size in (1, 7, 64):  # and whatever the chunks
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == out
    assert run(PLAN, out) == out
    return out


RAW_IN_HTML = ("title", "style", "textarea", "xmp", "iframe", "noembed", "noframes", "script", "plaintext")


@pytest.mark.parametrize("root", ["svg", "math"])
@pytest.mark.parametrize("name", RAW_IN_HTML)
def test_raw_text_names_are_ordinary_elements_in_foreign_content(root: str, name: str) -> None:
    _check(f'<{root}><{name}/></{root}><script src="{GTM}"></script>')
    _check(f'<{root}><{name}><img src="{PIXEL}"></{name}></{root}>')


def test_the_audit_examples() -> None:
    _check(f'<svg><title/></svg><script src="{GTM}"></script>')
    _check(f'<svg><plaintext/></svg><p>rest of the page</p><img src="{PIXEL}">')
    _check(f'<select><style></select><script src="{GTM}"></script>')
    _check(f'<noscript><!--</noscript><img src="{PIXEL}">')
    _check(f'<image src="{PIXEL}">')
    _check('<img srcset="https://www.facebook.com/tr,">')
    _check('<img srcset="/a.png 1x,https://www.facebook.com/tr,">')


def test_a_select_in_a_select_ends_it() -> None:
    # (And opens none: what follows is outside any select.)
    _check(f'<select><select><svg href="{PIXEL}"></svg>')
    _check(f'<select><svg href="{PIXEL}"><select><svg href="{PIXEL}">')
    _check(f'<select><b><select><svg><image href="{PIXEL}"></svg>')


@pytest.mark.parametrize("root", ["svg", "math"])
def test_foreign_content_in_a_select_is_read_as_current_parsers_read_it(root: str) -> None:
    # html5lib (an older parser) ignores <svg> in a <select>; Chromium reads it as SVG, whose
    # <image href> and <script href> load (seen in Chromium 156: tests/browser/test_rewriter_markup.py).
    for loader in (f'<image href="{PIXEL}">', f'<script href="{GTM}"></script>'):
        document = f"<!doctype html><body><select><option><{root}>{loader}</{root}></select>".encode()
        out = run(PLAN, document)
        assert b"data-cg-href=" in out and b" href=" not in out


@pytest.mark.parametrize(
    "page",
    [
        '<noscript><style></noscript><!--</style><img src="{PIXEL}">--></noscript>',
        '<noscript><img alt="</noscript>" src="{PIXEL}"></noscript>',
        '<select><xmp></select><img src="{PIXEL}"></xmp>',
        '<svg><foreignObject><style><!--</style><img src="{PIXEL}">--></style></foreignObject></svg>',
        '<svg><desc><div></desc><style></style><img src="{PIXEL}"></div></desc></svg>',
        '<math><mi><style></style><img src="{PIXEL}"></mi></math>',
        '<svg><![CDATA[ > <!-- ]]><img src="{PIXEL}"> -->',
        '<svg><g><p><style><!--</style><img src="{PIXEL}">-->',
    ],
)
def test_tree_construction_corners(page: str) -> None:
    _check(page.format(PIXEL=PIXEL))


@pytest.mark.parametrize(
    "url",
    [
        "http:www.facebook.com/tr",
        "https://www\u3002facebook\u3002com/tr",
        "https://www\uff0efacebook\uff0ecom/tr",
        "https://\uff57\uff57\uff57.facebook.com/tr",
        "https://%77ww.facebook.com/tr",
        "https:\\\\www.facebook.com\\tr",
        "HTTPS://user@WWW.FACEBOOK.COM:443/tr",
    ],
)
def test_urls_are_read_as_browsers_read_them(url: str) -> None:
    _check(f'<img src="{url}">')


def test_relative_urls_under_a_base_href() -> None:
    out = _check('<base href="https://www.facebook.com/"><img src="tr?id=1"><script src="/x.js"></script>')
    assert b"data-cg-href" in out
    _check('<base href="https://www.google-analytics.com/"><script src="analytics.js"></script>')


@pytest.mark.parametrize(
    "page",
    [
        '<div style="background:url({PIXEL})">x</div>',
        "<div style=\"background:url('\\2f\\2fwww.facebook.com/tr')\">x</div>",
        "<style>body {{ background: url({PIXEL}) }}</style>",
        '<style>@import "https://www.facebook.com/x.css";</style>',
        "<img src=\"/a.png\" onerror=\"var s=document.createElement('script');s.src='{GTM}'\">",
        "<a href=\"javascript:void(new Image().src='{PIXEL}')\">x</a>",
        '<video src="{PIXEL}"></video>',
        '<video poster="{PIXEL}"></video>',
        '<audio src="{PIXEL}"></audio>',
        '<video><track src="{PIXEL}"></video>',
        '<table background="{PIXEL}"><tr><td background="{PIXEL}">x</td></tr></table>',
        '<body background="{PIXEL}">',
        '<a href="/" ping="{PIXEL}">x</a>',
        '<iframe srcdoc="&lt;img src=&quot;{PIXEL}&quot;&gt;"></iframe>',
        '<iframe srcdoc="&lt;iframe srcdoc=&quot;&amp;lt;script src={GTM}&amp;gt;&amp;lt;/script&amp;gt;&quot;&gt;&lt;/iframe&gt;"></iframe>',
        '<link rel="preload" as="image" imagesrcset="/a.png 1x, {PIXEL} 2x">',
        '<link rel="stylesheet" href="https://www.facebook.com/x.css">',
        '<link rel="icon" href="{PIXEL}">',
        '<meta http-equiv="refresh" content="0; url={PIXEL}">',
        '<script type="speculationrules">{{"prefetch": [{{"source": "list", "urls": ["{PIXEL}"]}}]}}</script>',
        '<script type="importmap">{{"imports": {{"gtm": "{GTM}"}}}}</script>',
        '<script>var u = "https:\\/\\/www.googletagmanager.com\\/gtm.js"; load(u);</script>',
        '<input type="image" src="{PIXEL}">',
        '<svg><image href="{PIXEL}"/></svg>',
        '<svg><image xlink:href="{PIXEL}"/></svg>',
        '<svg><script href="{GTM}"></script></svg>',
        '<!doctype html><html><head></head><frameset><frame src="{PIXEL}"></frameset></html>',
        # A <style> made inert for its CSS keeps no javascript: URL live (and a second rewrite,
        # which reads it as an ordinary tag, finds nothing more to do).
        "<style href=\"javascript:load('{GTM}')\">body {{ background: url({PIXEL}) }}</style>",
        '<svg><style href="{PIXEL}">a {{ background: url({PIXEL}) }}</style></svg>',
        # An SVG script runs its text like an HTML one.
        "<svg><script>var s = document.createElement('script'); s.src = '{GTM}';</script></svg>",
        '<svg><script href="{GTM}">fbq("init", "1")</script></svg>',
        "<svg><script><![CDATA[ new Image().src = '{PIXEL}'; ]]></script></svg>",
    ],
)
def test_every_loader(page: str) -> None:
    _check(page.format(PIXEL=PIXEL, GTM=GTM))


@pytest.mark.parametrize("text", ['fbq("init", "1")', '<![CDATA[ fbq("init", "1") ]]>'])
def test_an_svg_script_carrying_a_snippet(text: str) -> None:
    document = f"<!doctype html><html><body><svg><script>{text}</script></svg>".encode()
    assert leaks(document, HOSTS, ("fbq(",)), "the page must run the snippet to begin with"
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ("fbq(",)) == []
    assert b'<script type="text/plain"' in out
    assert run(PLAN, out) == out


def test_granted_pages_are_untouched() -> None:
    page = f'<svg><title/></svg><noscript><!--</noscript>--></noscript><div style="background:url({PIXEL})">'.encode()
    assert run(RewritePlan(TinyCatalog()), page, frozenset()) == page


@pytest.mark.parametrize("inside", ['<svg src="</style>">', "<!--</style>-->", "<x a='</style>'>"])
def test_a_style_in_foreign_content_is_judged_to_where_a_raw_text_reading_ends_it(inside: str) -> None:
    # The markup reading neutralises the "</style" in a comment or an attribute value, so a
    # raw-text reading runs past it: the text judged must run past it too, or a second rewrite
    # would judge more of it (found at 100,000 examples: the rewrite was not idempotent).
    document = f'<!doctype html><body><svg><style>{inside}<image href="{PIXEL}">'.encode()
    once = run(PLAN, document)
    assert b'<style type="text/plain"' in once
    assert run(PLAN, once) == once


@pytest.mark.parametrize("outside", ["g", "x", "span"])
def test_an_end_tag_of_an_html_element_outside_ends_foreign_content(outside: str) -> None:
    # "</g>" in an <svg> with no SVG <g> open closes the HTML <g> around the <svg>, and the <svg>
    # with it (found at 100,000 examples): the tree believes the <svg> goes on (its safe side),
    # so what it reads as SVG elements is judged by HTML's loaders too.
    _check(f'<{outside}><svg></{outside}><iframe src="{GTM}"></iframe>')
    _check(f'<{outside}><svg></{outside}><embed src="{PIXEL}">')
    _check(f'<{outside}><math></{outside}><video poster="{PIXEL}"></video>')


def test_a_script_tag_over_the_cap_in_a_select_starts_script_data() -> None:
    # As one under the cap does: so a second rewrite (where the first tag grew over the cap by
    # being made inert) reads the same (found by the property test with small caps).
    plan = tiny_plan(injection=fake_injection, tag_cap=32, script_cap=16)
    document = b'<!doctype html><body><select><script data-cg-category="x"><script data-cg-category="x">'
    once = run(plan, document)
    assert once.count(b'type="text/plain"') == 1
    assert run(plan, once) == once


@pytest.mark.parametrize(
    "page",
    [
        '<input type="image" src="{PIXEL}"><m<math ://x">',
        '<video poster="{PIXEL}"></video><b <script ',
        '<a ping="{PIXEL}">x</a><p <svg title="x">',
    ],
)
def test_ordinary_tags_before_a_tag_that_holds_a_candidate_name(page: str) -> None:
    # "<m<math" is one tag (named "m<math"), so the exact tokenizer is asked where it ends; while
    # it was incomplete (cut by a chunk, or at the end of the page) the ordinary tags before it got
    # no verdict (found by the soup fuzzer).
    _check(page.format(PIXEL=PIXEL))
    document = page.format(PIXEL=PIXEL).encode()
    cut = document.rindex(b"<") + 6
    assert leaks(run(PLAN, document, chunks=[cut]), HOSTS, ()) == []


@pytest.mark.parametrize("root", ["svg", "math"])
def test_a_cdata_section_over_the_cap_cut_by_a_chunk_still_ends_at_its_first_gt(root: str) -> None:
    # CDATA in foreign content is made to end where a bogus comment would (its first '>'); one
    # longer than the cap and cut by a chunk passed unchanged, so a browser read the CDATA on to
    # ']]>' and loaded what the rewriter had taken for a comment (found by the soup fuzzer).
    plan = tiny_plan(injection=fake_injection, tag_cap=48, script_cap=24)
    document = f'<!doctype html><body><{root}><![CDATA[{"x" * 60}><!--]]><img src="{PIXEL}">-->'.encode()
    assert leaks(document, HOSTS, ())
    whole = run(plan, document)
    assert leaks(whole, HOSTS, ()) == []
    for cut in (40, 60, 80, len(document) - 30):
        assert run(plan, document, chunks=[cut]) == whole, cut
    for size in (1, 2, 3, 7):
        assert run(plan, document, chunks=[size] * (len(document) // size)) == whole, size
    assert run(plan, whole) == whole


@pytest.mark.parametrize(
    "page",
    [
        "<svg><script>x='</scripte>';fbq('init')</script></svg>",
        "<svg><script>x='</scripts>';new Image().src='{PIXEL}'</script></svg>",
        "<svg><script>//</scriptx>\nfbq('init')</script></svg>",
        "<math><mi><svg><script>x='</scripts>';fbq('init')</script></svg></mi></math>",
        "<svg><style>/*</styles>*/@import url({PIXEL});</style></svg>",
        "<svg><script><script>x</script>;fbq('init')</script></svg>",
        "<svg><style><style></style>@import url({PIXEL});</style></svg>",
    ],
)
def test_the_text_of_a_foreign_script_or_style_runs_past_an_end_tag_of_a_longer_name(page: str) -> None:
    # In foreign content '</scripte>' is an end tag of another element (ignored), and in a raw-text
    # reading no end tag at all: the SVG script runs its whole text, so it must be judged whole
    # (found by the soup fuzzer: the text was judged up to '</scripte', here nothing). Likewise a
    # script in an SVG script is an element of its own: the outer one's text goes on after it.
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    assert leaks(document, HOSTS, ("fbq(",)), "the page must run the snippet or load to begin with"
    out = run(PLAN, document)
    assert b'type="text/plain"' in out
    assert leaks(out, HOSTS, ("fbq(",)) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://www.google-analyt&ImaginaryI;cs.com/ga.js",
        "https://www.face&ZeroWidthSpace;book.com/tr",
        "https://www.face&NoBreak;book.com/tr",
        "https://www.face&ApplyFunction;book.com/tr",
        "//www.face&NewLine;book.com/tr",
        "//www.face&Tab;book.com/tr",
    ],
)
@pytest.mark.parametrize("tag", ["<img src={url}>", "<video poster={url}>", "<input type=image src={url}>"])
def test_named_references_whose_names_have_capitals(tag: str, url: str) -> None:
    # Named character references are case-sensitive ('&NewLine;' is one, '&newline;' none): read
    # in the lower-cased buffer they were not decoded, and a host spelled with one (an IDNA-mapped
    # or ignored character, a tab or newline the URL parser drops) looked harmless (found by the
    # soup fuzzer, for tags after the injection; the same held for <img> in any place).
    _check(tag.format(url=f'"{url}"'))
    _check("<script></script>" + tag.format(url=f'"{url}"'))


@pytest.mark.parametrize(
    "page",
    [
        "<svg><style>@import 'https:&#47;&#47;www.facebook.com/x.css';</style></svg>",
        "<svg><style>a {{ background: url(//www&period;facebook.com/tr) }}</style></svg>",
        "<svg><script>new Image().src = 'https:&#47;&#47;www.facebook.com/tr';</script></svg>",
        "<svg><script>new Image().src = '//www.face&ZeroWidthSpace;book.com/tr';</script></svg>",
        "<math><mi><svg><script>&#102;bq('init', '1')</script></svg></mi></math>",
    ],
)
def test_character_references_in_the_text_of_a_foreign_script_or_style(page: str) -> None:
    # In SVG/MathML, a <script>'s or <style>'s text is markup: its character references are
    # decoded before the script runs or the CSS applies (found by the soup fuzzer).
    document = ("<!doctype html><body>" + page.format()).encode()
    assert leaks(document, HOSTS, ("fbq(",)), "the page must load or run it to begin with"
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ("fbq(",)) == []
    assert run(PLAN, out) == out


def test_isindex_as_html5lib_reads_it() -> None:
    # Browsers dropped <isindex> (an unknown element now); html5lib, the tests' judge, still turns
    # it into a form with an <input> that carries its attributes, src too (found by the soup fuzzer).
    _check(f'<isindex src="{PIXEL}">')


@pytest.mark.parametrize("slash", ["\\57", "\\057"])
@pytest.mark.parametrize(
    "page",
    [
        "<script>new Image().src = 'https:{s}{s}www.facebook.com/tr';</script>",
        "<img src=/a.png onerror=\"new Image().src = '{s}{s}www.facebook.com/tr'\">",
    ],
)
def test_a_legacy_octal_escape_of_a_slash_in_script(page: str, slash: str) -> None:
    # A classic script (and a handler) may write '/' as '\57' or '\057' in a string; html5lib's
    # judge does not decode JavaScript, so the rewrite is asserted on directly.
    out = run(PLAN, page.format(s=slash).encode())
    assert b'type="text/plain"' in out or b"data-cg-onerror" in out
    assert run(PLAN, out) == out


@pytest.mark.parametrize(
    "page",
    [
        '<svg><script></script<img src="{PIXEL}">',
        '<svg><script></scripts<img src="{PIXEL}">',
        '<svg><style></style<img src="{PIXEL}">',
        '<math><mi><svg><script>x</script<embed src="{PIXEL}">',
    ],
)
def test_an_end_tag_whose_name_runs_on_is_not_neutralised(page: str) -> None:
    # '</script<img src=...>' is one end tag, named 'script<img', in every reading (a name ends
    # only at a space, '/' or '>'): written '<\/script<img ...>', its rest became a live <img>
    # (found by the soup fuzzer: the rewrite made the page load a tracker it did not load).
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    assert leaks(document, HOSTS, ()) == []
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ()) == []
    for size in (1, 3, 8):
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == out
    assert run(PLAN, out) == out


def test_a_background_holding_spaces_is_judged_whole_and_as_a_list() -> None:
    # Browsers read 'background' as one URL (here a fragment, first party); the tests' judge reads
    # it as a list like 'ping', so both readings are judged (found by the soup fuzzer).
    _check(f'<body background="#a 1x,\n{PIXEL}">')
    # (and a newline in a host, which a URL parser drops, still reaches it: the judge cannot see that)
    assert b"data-cg-background" in run(PLAN, b'<body background=" https://www.face\nbook.com/tr">')


@pytest.mark.parametrize(
    "page",
    [
        '<svg><script></script x="<img src={PIXEL}>',
        "<svg><style></style a='<embed src={PIXEL}>",
        "<noscript><p title=\"</noscript x='<img src={PIXEL}>",
    ],
)
def test_an_end_tag_cut_by_the_end_of_the_page_is_not_neutralised(page: str) -> None:
    # An end tag the page ends inside is dropped by every reading, what its attributes hold too;
    # written '<\/script x="<img ...', its rest became live markup (found by the soup fuzzer).
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    assert leaks(document, HOSTS, ()) == []
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ()) == []
    for size in (1, 3, 8):
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == out
    assert run(PLAN, out) == out


@pytest.mark.parametrize(
    "tag",
    [
        b'<img src="https://x\x80.facebook.com/tr">',
        b'<video poster="https://x\x99.facebook.com/tr"></video>',
        b'<video poster="https://\xc2\x99.facebook.com/tr"></video>',
        b'<script src="//x\x80.googletagmanager.com/gtm.js"></script>',
        b"<div style=\"background:url('https://x\x80.facebook.com/tr')\">x</div>",
    ],
)
@pytest.mark.parametrize("charset", [b"", b'<meta charset="windows-1252">'])
def test_urls_of_a_page_read_as_windows_1252(tag: bytes, charset: bytes) -> None:
    # A page that is not UTF-8 (or says it is windows-1252, or latin-1, which browsers read the
    # same) is read with windows-1252's characters for 0x80-0x9F, not latin-1's C1 controls: '€'
    # and '™' make a valid host label where U+0080 does not (found by the soup fuzzer). Bytes that
    # are UTF-8 are judged both ways.
    document = b"<!doctype html>" + charset + b"<body>" + tag
    assert leaks(document, HOSTS, ()), "the page must load a tracker to begin with"
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ()) == []
    assert run(PLAN, out) == out


@pytest.mark.parametrize("name", ["script", "style", "title"])
def test_an_end_tag_over_the_cap_keeps_its_own_end_tag_opening(name: str) -> None:
    # Inside <svg>, '</script' in what is not data is written '<\/script' (so that a raw-text
    # reading does not end there). An end tag longer than the cap passed "neutralised if it must
    # be": its own '</' too, which turned it into text in a raw-text reading, and what its
    # attributes hold into live markup (found by the soup fuzzer). Whole and cut anywhere.
    plan = tiny_plan(injection=fake_injection, tag_cap=64, script_cap=32)
    document = (
        f'<!doctype html><body><svg><{name}></{name}><{name}></{name} x="<img src={PIXEL}>'.encode()
        + b"a" * 200
        + b'"></svg><p>after</p></body></html>'
    )
    assert leaks(document, HOSTS, ()) == [], "the page loads nothing to begin with"
    whole = run(plan, document)
    assert leaks(whole, HOSTS, ()) == []
    for cut in range(40, len(document) - 20, 7):
        assert run(plan, document, chunks=[cut]) == whole, cut
    assert run(plan, whole) == whole


@pytest.mark.parametrize(
    "page",
    [
        "<svg><script><table><script><!--<script>x</script>\n/*</script>*/fbq('init')</script>",
        "<svg><script><p><script><!--<script>x</script>\n/*</script>*/fbq('init')</script>",
    ],
)
def test_an_end_tag_in_double_escaped_script_data_that_is_neutralised_toggles_nothing(page: str) -> None:
    # Where '</script' is being neutralised (an SVG script was open), an HTML script after a
    # breakout tag had the '</script>' that leaves its double escaping written '<\/script>': the
    # script then ran on past its old end, to text the rewriter had not judged (here the second
    # line, which runs fbq once the first line is an HTML-like comment). Found by the soup fuzzer.
    document = ("<!doctype html><body>" + page).encode()
    out = run(PLAN, document)
    assert b'type="text/plain"' in out.split(b"<table>")[-1].split(b"<p>")[-1]
    for size in (1, 3, 8):
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == out
    assert run(PLAN, out) == out


@pytest.mark.parametrize(
    "tag",
    [
        '<div style="background:url(https:connect.facebook.net/x.png)">x</div>',
        '<a href="/" onclick="fetch(\'https:connect.facebook.net/x.js\')">x</a>',
        "<style>@import 'https:connect.facebook.net/x.css';</style>",
    ],
)
def test_urls_in_code_and_css_under_a_base_href_are_judged_without_it_too(tag: str) -> None:
    # Under an https <base href>, 'https:host/x' in CSS or a handler is a path on the base's host;
    # a judge that reads the text alone (the tests' does) takes it for the host: both are judged
    # (found by the soup fuzzer).
    _check(f'<base href="https://cdn.example.com/">{tag}')


@pytest.mark.xfail(
    strict=True, reason="frameset mode ignores raw-text start tags; the tree does not model it"
)
@pytest.mark.parametrize("name", ["title", "style", "textarea", "xmp", "noembed", "script", "plaintext"])
def test_raw_text_start_tags_are_ignored_in_a_frameset(name: str) -> None:
    # In a frameset (before any body content) the HTML standard ignores every start tag but
    # frameset, frame and noframes: '<title>' switches no tokenizer state, and the <frame> after it
    # loads (html5lib; Chromium parses it the same way). Found by the soup fuzzer.
    _check(f'<!doctype html><html><head></head><frameset><{name}><frame src="{PIXEL}"></frameset>')


@pytest.mark.xfail(
    strict=True, reason="a <style> in <select> is judged to a '</style' that is then neutralised"
)
def test_a_style_in_a_select_is_judged_as_far_as_chromium_reads_it_after_the_rewrite() -> None:
    # Chromium reads <select><style> as raw text (html5lib ignores the tag, so it cannot judge
    # this). The rewriter follows html5lib's reading there (a <script> in the select, whose script
    # data holds '</style>'), writes that '</style' as '<\/style', and so Chromium's style no
    # longer ends there: it applies 'body{background:url(...)}' that followed as text before.
    document = b"<!doctype html><select><style><script></style>{}body{background:url(//www.facebook.com/tr)}</script></select>"
    out = run(PLAN, document)
    start = out.index(b"<style")
    tag_end = out.index(b">", start) + 1
    found = re.search(rb"</style[\t\n\f\r />]", out[tag_end:])
    css = out[tag_end : tag_end + found.start() if found else len(out)]
    assert b'type="text/plain"' in out[start:tag_end] or b"facebook" not in css
