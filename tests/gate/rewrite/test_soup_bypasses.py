"""Markup the soup fuzzer (test_soup_fuzz.py) found to load or run something refused, or to be made
to by the rewrite, judged as test_markup_bypasses.py judges (html5lib, scripting on and off); each
case failed on the rewriter before its fix."""

from __future__ import annotations

import re

import pytest

from tests.gate.rewrite.test_markup_bypasses import HOSTS, PIXEL, PLAN, _check
from tests.support.rewriter import SMALL_CAPS, leaks, run, same_at_every_cut


def _same_again_and_in_chunks(document: bytes) -> bytes:
    """The rewrite of ``document``, after checking that a second rewrite keeps it and that pieces
    of 1, 7 and 64 bytes give the same."""
    once = run(PLAN, document)
    assert run(PLAN, once) == once
    for size in (1, 7, 64):
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == once
    return once


def _leaks_until_rewritten(document: bytes) -> None:
    """``document`` loads a tracker per html5lib, and its rewrite (the same again and in pieces)
    loads none."""
    assert leaks(document, HOSTS, ())
    assert leaks(_same_again_and_in_chunks(document), HOSTS, ()) == []


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
    plan = SMALL_CAPS
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


def _makes_no_load(page: str) -> None:
    """A page that loads nothing loads nothing rewritten either (whole, cut, twice)."""
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    assert leaks(document, HOSTS, ()) == []
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ()) == []
    for size in (1, 3, 8):
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == out
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
    _makes_no_load(page)


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
    _makes_no_load(page)


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


@pytest.mark.parametrize("name", ["title", "style", "textarea", "xmp", "noembed", "script", "plaintext"])
def test_raw_text_start_tags_are_ignored_in_a_frameset(name: str) -> None:
    # In a frameset (before any body content) the HTML standard ignores every start tag but
    # frameset, frame and noframes: '<title>' switches no tokenizer state, and the <frame> after it
    # loads (html5lib; Chromium parses it the same way). Found by the soup fuzzer.
    _check(f'<!doctype html><html><head></head><frameset><{name}><frame src="{PIXEL}"></frameset>')


def test_a_style_in_a_select_is_judged_as_far_as_chromium_reads_it_after_the_rewrite() -> None:
    # Chromium reads <select><style> as raw text (html5lib ignores the tag, so it cannot judge
    # this). The rewriter follows html5lib's reading there (a <script> in the select, whose script
    # data holds '</style>'), writes that '</style' as '<\/style', and so Chromium's style no
    # longer ends there: it applies 'body{background:url(...)}' that followed as text before.
    # The style's text is now judged past the text of a raw-text element in it (the '</style' the
    # rewrite neutralises there ends it in no reading), and made inert.
    document = b"<!doctype html><select><style><script></style>{}body{background:url(//www.facebook.com/tr)}</script></select>"
    out = run(PLAN, document)
    start = out.index(b"<style")
    tag_end = out.index(b">", start) + 1
    found = re.search(rb"</style[\t\n\f\r />]", out[tag_end:])
    css = out[tag_end : tag_end + found.start() if found else len(out)]
    assert b'type="text/plain"' in out[start:tag_end] or b"facebook" not in css


@pytest.mark.parametrize(
    "page",
    [
        '<svg><math><mn><image href="{PIXEL}"></image></mn></math></svg>',
        '<svg><math><mi><use href="{PIXEL}#x"></use></mi></math></svg>',
        '<svg><math><annotation-xml encoding="text/html"><image href="{PIXEL}"/></annotation-xml></math></svg>',
    ],
)
def test_math_in_svg_is_an_svg_element(page: str) -> None:
    # In foreign content a start tag takes the namespace of the element it is in: '<math>' inside
    # '<svg>' is an SVG element, so its '<mn>' is no MathML integration point and the <image> in it
    # is SVG, which fetches its href (html5lib; the HTML standard, so Chromium). Found by the soup fuzzer.
    _check(page.format(PIXEL=PIXEL))


@pytest.mark.parametrize(
    "page",
    [
        '<svg><title><b></title><image href="{PIXEL}"></image></svg>',
        '<svg><desc><span><i></desc><use href="{PIXEL}#x"></use></svg>',
        "<svg><script><title></scripts><new x='a';]]></scripts></title><FOREIGNOBJECT\rxlink:Href=\"{PIXEL}\">",
    ],
)
def test_an_end_tag_that_html5lib_lets_close_an_integration_point_across_html_elements(page: str) -> None:
    # '</title>' with an HTML element open in an SVG <title>: the HTML standard ignores it (the
    # title is "special", and no HTML element of that name is open), html5lib matches names
    # without namespaces and closes the title, so the <image> after it is SVG and fetches its
    # href. The tree kept the title open and judged the <image> as HTML (found by the soup fuzzer).
    _check(page.format(PIXEL=PIXEL))


@pytest.mark.parametrize(
    "page",
    [
        "<select><script></noscript></noscript></xmp>gtag('config')</sCrIPT><svg><script><!--<script></scripts>"
        "x--!>xnew Image().src='/local.js';</script>fbq(",
        "<select><svg><script><!--<script>x--!>new Image().src='/local.js';</script>fbq('init')</script></select>",
        '<select><svg><script><!--<script>--!></script><p title="</script></select><img src={PIXEL}>">',
        '<select><svg><script><g a="<!--"><script>x</script><p title="</script></select><img src={PIXEL}>">',
        '<select><svg><script><!-- x --!><script>x</script><p title="</script></select><img src={PIXEL}>">',
    ],
)
def test_a_script_read_as_markup_whose_script_data_reading_is_double_escaped_at_its_end(page: str) -> None:
    # An SVG script in a <select> is an HTML script for html5lib (older parsers ignore the <svg>):
    # its text is script data, where '<!--' and then '<script' (here in a comment, an attribute,
    # or a nested SVG script) double escape it, so the '</script>' that ends the SVG script only
    # leaves double escaping, and the script runs on: over text that was not judged (fbq), or to a
    # '</script' inside an attribute, after which the rest of it is live markup. An empty comment
    # before that end tag now takes script data back to its plain state (found by the soup fuzzer).
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    assert leaks(document, HOSTS, ("fbq(", "gtag(")), "the page must load or run it to begin with"
    out = _same_again_and_in_chunks(document)
    assert leaks(out, HOSTS, ("fbq(", "gtag(")) == []
    assert run(PLAN, out) == out


def test_a_frameset_inside_noscript_is_no_ordinary_tag() -> None:
    # With scripting off, '<frameset>' in a <noscript> in the head starts the frameset, which then
    # ignores '<title>' (no raw text): the <frame> after it loads (html5lib). Inside the noscript
    # the exact mode passed '<frameset>' over as an ordinary tag, so it read the <frame> as title
    # text (and, with a small cap, cut by a chunk or not it saw the frameset or not: found by the
    # soup fuzzer as a chunk failure, seed 336505).
    _check(f'<!doctype html><html><head><noscript><frameset><title><frame src="{PIXEL}"></frameset>')
    plan = SMALL_CAPS
    document = (
        b"<select><script>new Image().src='/\\www.facebook.com/tr';</title><</script></scripts></noscript>"
        b"<SCRIPT </title></scriPt>sEt> \xc2\xa2\x7fR<FrAMEsEt> \xc2\xa2\x7fR<FrAMEsEt> \xc2\xa2\x7fR<FrAMEsEt>"
        b"<script>\nfbq('init', '1')x<![CDATA[gtag('config')</script>"
    )
    same_at_every_cut(plan, document)


def test_end_tags_in_a_nested_script_tag_are_neutralised_for_the_double_escaping_too() -> None:
    # The '</script' in the attributes of an SVG script's start tag inside another are written
    # '<\/script': read as the rewrite writes it, this script data is double escaped at the end
    # tag ('<!--' and '<script ' in those attributes), and a second rewrite put the comment that
    # the first had not (found by the soup fuzzer once that comment was there, seed 343428).
    document = b"<!doctype html><body><svg><script></noscript><SCRIPT </script <!--<![CDATA[<SCRIPT </script></SCRIPT>"
    out = run(PLAN, document)
    assert b"<!----></SCRIPT>" in out
    assert run(PLAN, out) == out


@pytest.mark.parametrize(
    "document",
    [
        b"<math><style><var a = 1 < 2;new Image().src='x.png';</StYle><TItle onerror='fbq(&#39;init&#39;)' "
        b'data-cg-src==--><A/XLINK:HREF="ga.js"></style\t//connect.facebook.net',
        b"<svg><script></scripts>\x00-<SCRIPT </xmp></noscript><img src=&sol;/connect.facebook&period;n&#9;et/en_U"
        b"&#X53&sol;fbeven\rts.js><title></script>h&#00116;tps://www.google-analytics.com",
        b"<math><style>x<SCRIPT </xmp>fbq('init', '1')x</style><hr poster=\"https://www.facebook.com%2F@x/tr\" "
        b'name=" 5"<!----!><textarea></script>]]>x;</TExtaREA><script>fbq(&#39;init&#39;, &#39;1&#39;)</script>',
    ],
)
def test_the_text_of_a_script_or_style_read_as_markup_runs_past_raw_text_inside_it(document: bytes) -> None:
    # After a breakout tag ('<var>', '<img>', '<hr>' in foreign content) a <title> or <textarea>
    # is HTML raw text, where the rewriter neutralises '</style' or '</script': the text of the
    # foreign style or script was judged up to that end tag, and a second rewrite, which no longer
    # sees it, judged further and gave other bytes (found by the soup fuzzer as idempotence
    # breaks). The text now runs past a raw-text element's text in every rewrite.
    _same_again_and_in_chunks(document)


@pytest.mark.parametrize(
    "tag",
    [
        b"<img src='https://www.face\xc2\xadbook.com/\xa8'>",
        b"<p style='background:url(https://www.face\xc2\xadbook.com/\xa8)'>x</p>",
    ],
)
def test_a_value_that_is_utf8_but_for_one_byte_is_read_as_a_browser_reads_a_utf8_page(tag: bytes) -> None:
    # A UTF-8 page with one byte that is not UTF-8 in a value: browsers and html5lib decode the
    # page with U+FFFD for that byte, so the soft hyphen ('\xc2\xad', which a host drops) stays one
    # and the host is facebook.com; the rewriter reads a value that does not decode whole as one
    # character per byte ('Â­'), a host that is not the tracker's (found by the soup fuzzer,
    # seed 402153).
    document = b'<!doctype html><meta charset="utf-8"><body>' + tag
    assert leaks(document, HOSTS, ())
    assert leaks(run(PLAN, document), HOSTS, ()) == []


@pytest.mark.parametrize(
    "document",
    [
        b"<math><style><script>new Image().src='\x00?q';<![CDATA[</scripts>\x00<!--<script></script></script>"
        b"</iframe></style>http:www.facebook.com",
        b"<math><style><script></textarea></xmp><script></xmp></style><xmp><</script ><!<!-- ><script>"
        b"new Image().src='//www.facebook.com/tr?id=1';]]></xmp></ScRIPt>",
        b"<script>gtag('config')<SCRIPT <![CDATA[<![CDATA[</script>gtag('js')<svg><script><!----!><p\nHREF\t =\t "
        b'"</script><script href="&#32;//www.facebook.com/tr?id=1"></script>',
        b"<!doctype html public \"a><math><script>fbq('init', '1')</StYLE><span\x0clowsrc\n=\n\"bogus\" ONLOAD=x() "
        b"language = \"<!--\">new Image().src='data:image/png;base64,AA==';<SCRIPT <--></scripts>--!><!--<!--<!--"
        b"</SCRiPt>--!>",
    ],
)
def test_raw_text_in_a_script_or_style_read_as_markup_only_after_it_may_be_html(document: bytes) -> None:
    # A <script> or <xmp> inside an SVG/MathML style or script is SVG/MathML markup (the rewriter
    # reads it so, and neutralises the end tags in the comments in it), HTML raw text only after
    # a tag that leaves foreign content ('<p>', '<span>'); the end tags in the attributes of such
    # a tag are neutralised as well. Judged otherwise, a second rewrite judged the text or put
    # the empty comment of double escaping elsewhere than the first (found by the soup fuzzer).
    _same_again_and_in_chunks(document)


@pytest.mark.parametrize(
    "page",
    [
        '<base href="&#x2F;lo&Tab;cal.js"><base href="https://www.facebook.com%2F@x/tr">'
        "<img src=\nhttps:connect&period;facebook.net&sol;x.js>",
        '<base href="x.png"><base href="https://cdn.example.com/"><svg><use xlink:href="https:connect.facebook.net&Tab;'
        '&#47;x.js#x"/></svg>',
    ],
)
def test_a_second_base_href_after_a_first_party_one(page: str) -> None:
    # A browser resolves against the first <base href> (here first party); the rewriter took the
    # second, the first that is not first party, and judged 'https:connect.facebook.net/x.js' as
    # a path on its host, where a judge that reads the first base (html5lib's, which does not
    # know the page's host) reads the host connect.facebook.net. A URL is now judged without the
    # base as well (found by the soup fuzzer, seeds 413441 and 438089).
    _check(page)


def test_a_style_whose_url_only_references_spell_is_judged_the_same_after_a_neutralised_end_tag() -> None:
    # The CSS judge reads a style's text with its character references decoded too ('&sol;/' is
    # '//'), but the filter before it looks for '//', a scheme or a backslash in the raw text: the
    # '<\/noscript' the rewrite writes brings a backslash, and a second rewrite judged the style
    # the first had let pass (found by the soup fuzzer, seeds 300702 and 405098).
    document = b"<!doctype html><noscript><style>\n</noscript>&sol;/www.facebook.com</style></noscript>"
    once = run(PLAN, document)
    assert run(PLAN, once) == once


def test_the_brackets_the_rewrite_puts_in_a_cdata_section_count_for_the_double_escaping() -> None:
    # '<![CDATA[<!-- c -->' in MathML ends at its first '>', where the rewrite writes ']]' to make
    # it end there for every reader: '-->' becomes '--]]>', so script data stays escaped, and the
    # '<script>' after it double escapes it; read without the brackets, the first rewrite put no
    # comment before '</script>' and the second did (found by the soup fuzzer, seed 456043).
    document = (
        b"<math><style><SCRIPT <![CDATA[<!--<script><![CDATA[<!-- c --><script>fbq('init', '1')</script>"
    )
    once = run(PLAN, document)
    assert b"<!----></script>" in once
    assert run(PLAN, once) == once


def test_an_svg_or_math_after_a_breakout_tag_is_foreign_content_again() -> None:
    # After '<BODY/ >' left the <math>, a second '<math><style>' is MathML again: its text is
    # markup (a comment that runs to the end), not raw text to the first '</style'; read as raw
    # text, the first style's text was judged to a '</style' that the rewrite then neutralised,
    # and a second rewrite judged it further (found by the soup fuzzer, seed 480553).
    part = b"<math><style></iframe><!--</style></script x;</title>new Image().src='x.png';]]></style>"
    document = part + b"<!--><BODY/ >" + part + b"//connect.&#00102;a&#x63;e&#xAD;book.net"
    once = run(PLAN, document)
    assert run(PLAN, once) == once


@pytest.mark.parametrize(
    "document",
    [
        b'<frameset// /=\tga&period;js/><SCRipt\nXLINK:HREF="https://www.face\xc2\xadbook.com/tr"/ ><noframes>'
        b"new Image().src='./x';</script //www.facebook.com",
        b"<select><script>]]>new Image().src='\x00HTTPS://WWW.YOUTUBE.COM/embed/x';--!></script><style><input "
        b'type="image" src="data:image&#47;p&#x0D;ng;base64,AA=="><noembed></style>https:/&#47;WWW.FaceBook.COM',
    ],
)
def test_raw_text_inside_a_script_or_style_read_as_markup_in_a_frameset_or_a_select(document: bytes) -> None:
    # After a <frameset> a <script> is read as markup, a <noframes> in it as raw text, whose
    # '</script' the rewrite neutralises; in a <select>, an <input> ends the select, and a
    # <noembed> after it is raw text too. The text was judged to that end tag, and a second
    # rewrite judged further (found by the soup fuzzer, seeds 485597 and 303939).
    once = run(PLAN, document)
    assert run(PLAN, once) == once


def test_a_repeated_unit_of_ordinary_markup_that_ends_in_a_lt_of_text() -> None:
    # '</scripts><' is a unit (an end tag, then a '<' of text, as the next '<' makes it) and its
    # copy '</scripts><' matched again before '<SCRIPT ...>' (a copy repeats the bytes, not the
    # lookahead): the start tag was read as text, its '<!--' as a comment to the end of the page,
    # and the HTML script after '<SpAN>' (a breakout) ran gtag unjudged (found by the soup
    # fuzzer, seed 597765).
    document = (
        b"<math><style></StYLe><script>--></scripts><</scripts><SCRIPT <!--new Image().src='\t#a';</script>"
        b'<SpAN\t"><script href="https://cdn.example.com/x.png">gtag('
    )
    assert leaks(document, HOSTS, ("gtag(",))
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ("gtag(",)) == []
    assert run(PLAN, out) == out


def test_a_script_that_does_not_run_applies_its_style_whatever_category_it_names() -> None:
    # A <script> whose type is no script type (here a URL) does not run, but its style attribute
    # applies like any element's; one carrying a data-cg-category of its own (not 'necessary') was
    # left whole, style and all (found by the soup fuzzer, seed 593634).
    _check(
        '<script data-cg-category="x" style="background:url(/\\2fwww.facebook.com/tr)" type="text/x"></script>'
    )


def test_end_tags_in_a_select_do_not_end_the_text_of_a_script_read_as_markup() -> None:
    # html5lib ignores '</script>' in a <select> (here in a foreignObject in an SVG script), so the
    # SVG script stays open and the text after the select is its text: judged only to that end
    # tag, fbq ran (found by the soup fuzzer, seed 640147).
    document = (
        b"<svg><script>x</script></script </SCRIPT><script>\n</scripts>-<script></script>"
        b"<ForeignobJEct/ ><select><script></script </script></scripts></SCRIPT>fbq("
    )
    assert leaks(document, HOSTS, ("fbq(",))
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ("fbq(",)) == []
    assert run(PLAN, out) == out


@pytest.mark.parametrize(
    "document",
    [
        # (seed 753461) html5lib ignores the <svg> in a select: the SVG script is script data to
        # '</script>', and the <input> after the <div> (which leaves the SVG) is its text.
        b"<select><svg><script><div><input></script><iframe><script>gtag(1)</script>",
        # (seed 569784) in a select in a table, a table's start or end tag ends the select.
        b"<table><select><table><select><xmp><script>fbq(",
        b"<table><select></table><select><xmp><script>gtag(1)</script>",
        # html5lib reads the start tags in an SVG in a select as the select's own.
        b"<select><svg><textarea></textarea></svg><select><xmp><script>gtag(1)</script>",
        b"<select><svg><input></svg><select><xmp><script>gtag(1)</script>",
        b"<table><select><svg><tr></svg><select><xmp><script>gtag(1)</script>",
    ],
)
def test_a_select_that_one_reading_has_ended_and_another_has_not(document: bytes) -> None:
    # Where one reading (html5lib's, or Chromium's) has ended a <select> and another has not, a
    # second <select> opens one in the first and ends it in the other; an <input> ends it only
    # where it is not script data. A select taken for ended let an <xmp> or <iframe> hide the
    # script after it, which ran in the other reading (found by the soup fuzzer).
    assert leaks(document, HOSTS, ("gtag(", "fbq("))
    out = _same_again_and_in_chunks(document)
    assert leaks(out, HOSTS, ("gtag(", "fbq(")) == []


@pytest.mark.parametrize(
    "document",
    [
        # (seed 859461) '</MATH>' closes the MathML script and the math: the <textarea> after it is
        # raw text, whose '</script' the rewrite neutralises.
        b"<math\n><SCRIPT </title></MATH\t><textarea></script https://connect.facebook.net",
        # (seed 899817) the <math> is text of the HTML script in the style read as markup.
        b"<select><style><script><math></script><script></style>http:www.facebook.com",
        # (seed 864428) after a <frameset> an <embed> leaves nothing: the <script> in the script
        # is read as markup, and the '</scriPT' in the tag '<S</scriPT>' is neutralised.
        b'<frameset><SCRIPT ><embed src="/local.js"><script><S</scriPT></script>https:connect.facebook.net',
        # (seed 710067) the <iframe> is raw text to its first '</iframe', though a markup reading
        # takes '</script </iframe>' for one tag.
        b'<math><SCRIPT ><pre><iframe></script </iframe><!-- x --!><script src="//www.facebook.com/tr?id=1">'
        b"</script>",
    ],
)
def test_the_text_of_a_script_read_as_markup_ends_where_the_rewriters_own_reading_ends_it(
    document: bytes,
) -> None:
    # Where the text of a script or style read as markup ends was worked out with raw text the
    # rewriter does not read (a tag that leaves no foreign content, a tag inside raw text, an
    # <iframe>'s text read as markup) or without raw text it does (after '</math>'): the first
    # rewrite judged it to a '</script' that it then neutralised, and a second judged further
    # (found by the soup fuzzer as idempotence breaks).
    _same_again_and_in_chunks(document)


def test_a_self_closing_foreign_tag_that_the_rewrite_takes_over_the_cap_stays_self_closing() -> None:
    # '<math HREF=.../>' is under the cap, and self-closing: the math holds nothing. Made inert it
    # is over the cap, and a tag over the cap was taken for an open <math>: the second rewrite read
    # the <iframe> as SVG markup and neutralised its end tag (found by the soup fuzzer, seed 945469).
    document = (
        b'<math HREF="HTTPS://WWW.YOUTUBE.COM/embed/x"/><iframe><!--</scripts>x<!--<script>var a = 1 < 2;'
        b"</script></textarea></xmp></iframe>"
    )
    once = same_at_every_cut(SMALL_CAPS, document)
    assert run(SMALL_CAPS, once) == once
    for tag in (b"<math a=b/>", b"<math a='b'/>", b"<math/>", b"<math a=b/ >", b"<math a/>"):
        page = tag.replace(b"<math", b"<math " + b"x" * 60) + b"<iframe></iframe><svg></svg>"
        assert same_at_every_cut(SMALL_CAPS, page) == page


def test_an_end_tag_over_the_cap_closes_nothing_whatever_the_chunks() -> None:
    # An end tag over the cap closes nothing (the safe side), but an <svg> or <math> passed whole
    # up to it (nothing in it could change a reading) was closed by it: cut after the start tag,
    # the math stayed open, and the CDATA section after it got its ']]' (found by the soup
    # fuzzer, seed 957083).
    document = b'<MATH/onclick=x()/ ></MATH ping="' + b"x" * 60 + b'"><script><![CDATA[<script>'
    same_at_every_cut(SMALL_CAPS, document)


@pytest.mark.parametrize(
    "document",
    [
        b"<!--\x00><svg onload=\"fetch('https://www.googletagmanager.com/gtm.js')\">",
        b'<!--\x00><img src="https://www.facebook.com/tr">-->',
        b'<!--\x00\x00-><img src="https://www.facebook.com/tr">-->',
        b'<body><svg><!--\x00><img src="https://www.facebook.com/tr">-->',
        b'<body><noscript><!--\x00><svg>--><style><img src="https://www.facebook.com/tr"></style>',
        b'<!--\x00><img src="https://www.facebook.com/tr">' + b"x" * 80,
    ],
)
def test_a_comment_that_html5lib_ends_at_a_gt_after_nuls(document: bytes) -> None:
    # html5lib stays in the comment start state over NULs: '<!--' then NULs then '>' (or '->') is
    # a whole comment there, where a browser reads on to '-->' (the soup fuzzer's leak at seed
    # 999314: the rewriter read an <svg onload> as comment text). Whole, in chunks, and with the
    # comment over the cap (tiny caps: whose judging of a style's text stops at 24 bytes).
    _leaks_until_rewritten(document)
    small = same_at_every_cut(SMALL_CAPS, document)
    assert run(SMALL_CAPS, small) == small


def test_a_self_closing_svg_or_math_in_the_text_of_a_script_read_as_markup_enters_no_foreign_content() -> (
    None
):
    # After '<pre>' (out of the math), '<math/>' opens nothing: the <textarea> after it is raw text,
    # whose '</script' the rewrite neutralises. Taken for foreign content, the first rewrite saw
    # no double escaping at that '</script', and a second rewrite, which judges on to the next
    # one, put the comment that ends it there (found by the soup fuzzer, seed 1010497).
    _same_again_and_in_chunks(
        b"<math><script><pre><math/><b<!--\x00><textarea></script></textarea><script></script>"
    )


@pytest.mark.parametrize(
    "document",
    [
        b'<svg><script><title>9\x1f<base href="https://\xef\xbd\x97\xef\xbd\x97\xef\xbd\x97.youtube.com/x"><title>'
        b"<title></title></SCript><form\txlInK:HRef='\\\\www.faceb&#10;ook&period;co&#109;&sol;tr'/ >",
        b'<svg><script><title><title><title></title></SCript><form xlink:href="https://www.facebook.com/tr">',
        b'<svg><title><title><title></title></title><image href="https://www.facebook.com/tr">',
    ],
)
def test_a_start_tag_inside_raw_text_in_an_integration_point_opens_nothing(document: bytes) -> None:
    # An HTML <title> in an SVG <title> is RCDATA: the '<title>' in it is text, and its first
    # '</title>' closes it. The tree read a second HTML title there, which that end tag closed, and
    # so took the <form> or <image> after for an HTML element inside the first; an SVG one, it
    # loaded (found by the soup fuzzer, seed 1078637).
    _leaks_until_rewritten(document)


@pytest.mark.parametrize("name", ["NOFRAMES", "xmp", "title"])
def test_a_raw_text_start_tag_that_the_rewrite_takes_over_the_cap_is_read_as_before(name: str) -> None:
    # After a <base href> (the exact mode), a raw-text start tag under the cap begins raw text, but
    # one over it was read as markup: made inert, '<NOFRAMES ping=...>' grew over the cap, and a
    # second rewrite judged the SVG script in its text (found by the soup fuzzer with small caps,
    # seed 1071369).
    document = (
        f'<base href="https://cdn.example.com/x.png"><{name}\r\nping=https://www\u3002facebook\u3002com/tr>'
        '<svg><script href="https://%77ww.facebook.com/tr">'
    ).encode()
    once = same_at_every_cut(SMALL_CAPS, document)
    assert run(SMALL_CAPS, once) == once


def test_an_end_tag_of_noscript_inside_rcdata_in_an_integration_point_ends_nothing() -> None:
    # With scripting off the '</noscript>' is text of the HTML <title> (RCDATA); with it on, it
    # ends the noscript's raw text, and the '</title>' after closes the SVG title, so the <isindex>
    # is an SVG element whose href loads. The rewriter took that end tag for one every reading
    # agrees on, and the isindex for an HTML element in the noscript (found by the soup fuzzer,
    # seed 1113538).
    document = (
        b'<svg><title><noscript><title></noscript></title><isindex href="https://connect.facebook.net/x.js">'
    )
    _leaks_until_rewritten(document)


@pytest.mark.parametrize("href", ["/\\www.facebook.com/tr", "https:\\\\www.facebook.com\\tr"])
def test_a_base_tag_that_the_rewrite_takes_over_the_cap_marks_no_page(href: str) -> None:
    # A <base href> under the cap is no page marker; made inert it grows over the cap, and a big
    # start tag then marked the page, so a second rewrite injected the banner at its end (found
    # by the soup fuzzer with small caps, seeds 1123558, 1123611).
    document = f'<base href="{href}">'.encode()
    once = same_at_every_cut(SMALL_CAPS, document)
    assert run(SMALL_CAPS, once) == once


def test_an_end_tag_of_svg_in_math_leaves_no_foreign_content_in_the_text_of_a_script() -> None:
    # In a MathML script read as markup, '</svg>' closes nothing (no <svg> is open), so the
    # <noembed> after it is an element of the math, not raw text, and the '</script ' in it is an
    # end tag. Taken for one that may leave foreign content, the first rewrite judged the double
    # escaping past it, and a second rewrite put a second '<!---->' there (found by the soup
    # fuzzer, seed 1139849).
    _same_again_and_in_chunks(
        b"<math><SCRIPT ></svg><noembed></script \x00---></noscript></NoemBEd><!----!><svg>"
        b'<script href="https://www.google-analytics.com/ga.js"></script>'
    )


def test_a_script_in_a_select_after_a_frameset_is_read_as_markup_in_the_text_of_another() -> None:
    # After a <frameset> the rewriter reads every <script> as markup, in a <select> too, and
    # neutralises a '</script' inside a tag ('<C</script>'); the text of the outer script was
    # judged as if the inner one were script data, which ended at that '</script': a second
    # rewrite judged past it, to the tracker (found by the soup fuzzer, seed 1317725).
    document = b"<frameset><select><script><SCRIPT><C</script></script http:FaceBook.COM"
    _same_again_and_in_chunks(document)
    _same_again_and_in_chunks(b"<frameset><select><script>x<script>a<b</script>c</script>fbq('init')")


@pytest.mark.parametrize("header", [None, "n" * 40])
def test_an_injection_whose_nonce_makes_its_first_tag_longer_than_the_cap_is_injected_once(
    header: str | None,
) -> None:
    # The injection took the page's nonce; with it its first tag grew over the cap, which a second
    # rewrite passed unread when tags over the cap passed unchanged, and injected the banner again
    # before it (found by the soup fuzzer with small caps, seed 1302351). A nonce from the header
    # likewise. Such a tag is judged like any other now, so the injection is known again.
    document = b'<!DOCTYPE html><meta charset="utf-8"><script NONCE\t =\t "JaVaScRiPt:fetch(\'#a\')">'
    once = run(SMALL_CAPS, document, nonce=header)
    assert once.count(b"cg-bootstrap") == 1
    assert run(SMALL_CAPS, once, nonce=header) == once
    short = b'<!doctype html><script nonce="n1">x()</script>'
    assert b'<script nonce="n1">/*cg-bootstrap*/' in run(SMALL_CAPS, short, nonce=header)


@pytest.mark.parametrize(
    "page",
    [
        "<svg><style><foreignObject><noembed></style></noembed></foreignObject>@import url({PIXEL});</style>",
        "<svg><style><foreignObject><p></style></p></foreignObject>@import url({PIXEL});</style>",
        "<svg><script><desc><p></script></p></desc>new Image().src='{PIXEL}'</script>",
        "<svg><script><title><xmp></script></xmp></title>new Image().src='{PIXEL}'</script>",
        "<svg><style><foreignObject><svg><title><b></style></b></title></svg></foreignObject>@import '{PIXEL}';",
    ],
)
def test_html_in_an_integration_point_in_a_foreign_script_or_style_hides_its_end_tag(page: str) -> None:
    # The HTML in an integration point keeps an SVG style or script open: a '</style>' in HTML raw
    # text there is text, and one after an HTML element is ignored (the walk up the stack stops
    # at the integration point). The style was judged to that end tag, and the @import after the
    # integration point, its own text, loaded.
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    _leaks_until_rewritten(document)


def test_the_text_in_an_integration_point_in_a_foreign_style_is_judged_with_it() -> None:
    # html5lib reads the HTML script in the SVG title (in the SVG style) as script data to the end
    # of the page, so the style "holds" the tracker's URL; browsers read a style's own text nodes
    # only (Chromium 156 loaded nothing), but the rewriter now judges a foreign style's text past
    # an integration point, to the script cap: the style is inert (found by the soup fuzzer, seed
    # 1156813, a leak to html5lib only).
    document = (
        b"<svg><script>x</script><style\r\nSRC = 'ht&#x74;p:www.fa\rcebook.com&#x2F;tr'><title></scripts>"
        b"<script></scripts>--></style>https://%77ww.facebook.com"
    )
    _leaks_until_rewritten(document)


@pytest.mark.parametrize(
    "page",
    [
        "<svg><g><desc><b></g><image href={PIXEL}>",
        "<svg><g><script><title><desc></script ><image href={PIXEL}>",
        "<svg><g><style><desc><mglyph></style ><image href={PIXEL}>",
        "<svg><g><title><mi><font color=1></g><image href={PIXEL}>",
        "<svg><g><title><td></g><use href={PIXEL}#x>",
    ],
)
def test_an_end_tag_that_html5lib_lets_close_a_foreign_element_past_an_integration_point(page: str) -> None:
    # html5lib's walk up the stack for an end tag stops only at HTML's special elements and a
    # foreignObject, not at an SVG desc or title or a MathML mi (special in the standard, which
    # ignores the end tag there): it closed the <g>, the SVG script or style across the HTML in
    # it, so the <image> after was an SVG image in the <g>, whose href loads; the rewriter took it
    # for an HTML one in the integration point (found by a fuzzer of foreign markup, this round).
    # html5lib ignores a <td> outside a table, which the tree keeps as a special element.
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    _leaks_until_rewritten(document)


def test_an_end_tag_in_raw_text_in_an_integration_point_closes_nothing() -> None:
    # '</svg>' in the <iframe>'s raw text is text in every parser; the rule above took it for an
    # end tag that html5lib lets close the inner <svg>, so the <image> in that <svg> was taken for
    # an HTML one, and Chromium 156 loaded it through the gate (the fuzzer of foreign markup).
    document = (
        b"<!doctype html><body><svg><script><title><svg><desc><iframe></svg></iframe></desc>"
        b"<image href=https://www.facebook.com/tr>"
    )
    _leaks_until_rewritten(document)


@pytest.mark.parametrize(
    "page",
    [
        "<svg><desc><svg><g><br><select><select><svg></select><use href={PIXEL}#x>",
        "<svg><desc><select><option><select><svg></select><image href={PIXEL}>",
    ],
)
def test_a_select_in_a_select_in_an_integration_point_ends_it(page: str) -> None:
    # A <select> in a <select> ends it, in the HTML of an integration point too: the tree opened
    # a second one, and the '</select>' after an <svg> closed it and that <svg> with it, so the
    # <use> in the <svg> was taken for an HTML element, and html5lib loaded it (the fuzzer of
    # foreign markup; Chromium 156 loaded nothing on this page, rewritten or not).
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    _leaks_until_rewritten(document)


@pytest.mark.parametrize(
    "page",
    [
        "<svg><caption><title><td><svg></td><image href={PIXEL}>",
        "<svg><desc><tr><svg><g></tr><image href={PIXEL}>",
        "<math><mi><body><svg></body><image href={PIXEL}>",
    ],
)
def test_a_tag_that_the_body_ignores_opens_nothing_in_an_integration_point(page: str) -> None:
    # Outside a table the body ignores a <td>, a <tr>, a <body>..., and so does the HTML in an
    # integration point; the tree opened one there, whose end tag then closed the <svg> after it,
    # and the <image> in that <svg> was taken for an HTML one: Chromium 156 loaded it through the
    # gate (the fuzzer of foreign markup).
    document = ("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode()
    _leaks_until_rewritten(document)


def test_a_select_in_an_integration_point_in_a_select_opens_none() -> None:
    # The <select> in the annotation-xml ends the select outside (and the math with it) in
    # Chromium; the tree opened one there, which the '</select>' after the <svg> closed with the
    # <svg>, so its <image> was taken for an HTML one, and Chromium 156 loaded it through the gate
    # (the fuzzer of foreign markup). Opening none keeps the <svg>: the safe side.
    document = (
        b"<!doctype html><body><select><math><semantics><annotation-xml encoding=text/html><select>"
        b"<malignmark><svg></select><image href=https://www.facebook.com/tr>"
    )
    _leaks_until_rewritten(document)


@pytest.mark.parametrize(
    "page",
    [
        "<svg><g><script><title><svg><desc><select></svg></select></desc><image href={PIXEL}>",
        "<svg><desc><svg><desc><select><option></svg></select></desc><image href={PIXEL}>",
    ],
)
def test_an_end_tag_in_a_select_in_an_integration_point_closes_nothing(page: str) -> None:
    # In a select every parser ignores an end tag but the select's own (and its options'): the
    # tree took the '</svg>' for one that html5lib's walk lets close the inner <svg>, so the
    # <image> in it was taken for an HTML one, and Chromium 156 loaded it through the gate (the
    # fuzzer of foreign markup, seed 106895).
    _leaks_until_rewritten(("<!doctype html><body>" + page.format(PIXEL=PIXEL)).encode())
