r"""Pages in the legacy encodings of the WHATWG Encoding standard that are ASCII-compatible but hold
characters a URL parser maps to ASCII: fullwidth letters and full stops in Shift_JIS, EUC-JP, GBK,
Big5 and EUC-KR (and '№' in windows-1251, 'ﬁ' in Mac Roman, read too). ``https://www.facebook\uff0ecom/tr`` in a Shift_JIS page is
``https://www.facebook.com/tr`` to a browser (Chromium loads it, scripting on or off), while its
bytes are no host to a reader of UTF-8 or windows-1252. html5lib judges, reading each page in the
encoding its ``<meta>`` names (Python's codecs, not the rewriter's readings)."""

from __future__ import annotations

import pytest

from tests.support.rewriter import leaks, run, tiny_plan

PLAN = tiny_plan()
HOSTS = ("facebook.com", "googletagmanager.com")
FULLWIDTH_DOT = "www.facebook\uff0ecom"
FULLWIDTH = "\uff57\uff57\uff57\uff0e\uff46\uff41\uff43\uff45\uff42\uff4f\uff4f\uff4b\uff0e\uff43\uff4f\uff4d"
LOADERS = [
    '<img src="https://{h}/tr">',
    '<img srcset="https://{h}/tr 1x">',
    '<iframe src="//{h}/tr"></iframe>',
    '<script src="https://{h}/x.js"></script>',
    '<link rel="stylesheet" href="https://{h}/x.css">',
    '<svg><image href="https://{h}/tr"/></svg>',
    '<div style="background:url(https://{h}/tr)">x</div>',
    "<div onclick=\"fetch('https://{h}/tr')\">x</div>",
    "<script>new Image().src = 'https://{h}/tr'</script>",
    "<style>body {{ background: url(https://{h}/tr) }}</style>",
]
#: (the label the page's meta names, Python's codec for writing it)
ENCODINGS = [
    ("shift_jis", "cp932"),
    ("euc-jp", "euc_jp"),
    ("gbk", "gbk"),
    ("big5", "big5"),
    ("euc-kr", "cp949"),
]


def _check(document: bytes) -> None:
    assert leaks(document, HOSTS, ()), "the page must load a tracker to begin with"
    out = run(PLAN, document)
    assert leaks(out, HOSTS, ()) == []
    for size in (1, 7):
        assert run(PLAN, document, chunks=[size] * (len(document) // size)) == out
    assert run(PLAN, out) == out


@pytest.mark.parametrize(("label", "codec"), ENCODINGS)
@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("host", [FULLWIDTH_DOT, FULLWIDTH], ids=["fullwidth-dot", "fullwidth"])
def test_a_host_in_fullwidth_characters_of_a_legacy_encoding(
    label: str, codec: str, loader: str, host: str
) -> None:
    page = f"<!doctype html><html><head><meta charset={label}></head><body>日本{loader.format(h=host)}</body></html>"
    _check(page.encode(codec))


@pytest.mark.parametrize(("label", "codec"), ENCODINGS)
def test_an_srcdoc_is_read_in_the_pages_encoding(label: str, codec: str) -> None:
    # (html5lib's judge reads an srcdoc's text back as bytes in windows-1252: the bytes here.)
    page = f'<!doctype html><meta charset={label}><iframe srcdoc="<img src=https://{FULLWIDTH_DOT}/tr>"></iframe>'
    out = run(PLAN, page.encode(codec))
    assert b"data-cg-srcdoc=" in out and b" srcdoc=" not in out
    assert run(PLAN, out) == out


def test_a_page_with_no_fullwidth_host_is_left_as_it_is() -> None:
    page = '<!doctype html><meta charset=shift_jis><p>日本語</p><img src="/画像.png"><a href="https://example.jp/ページ">x</a>'
    document = page.encode("cp932")
    assert run(PLAN, document) == document


def test_a_fullwidth_host_after_many_runs_of_other_text() -> None:
    # However much text that is not ASCII comes first, the host is read in every encoding.
    words = ", ".join(f"'日本語{i}'" for i in range(400))
    page = f"<!doctype html><meta charset=shift_jis><script>var w = [{words}]; new Image().src = 'https://{FULLWIDTH_DOT}/tr'</script>"
    _check(page.encode("cp932"))
