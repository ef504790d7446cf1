"""The memoizing rewriter gives the plain rewriter's bytes, whatever it answers from memory.

Pages are rendered again and again with fresh values (a token, a nonce on every script, page
data), so that most segments come from memory and a few are read; the output must be the plain
:class:`Rewriter`'s, byte for byte, for every cut of the body into chunks.
"""

from __future__ import annotations

import os
import random
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.gate.rewrite import MemoRewriter, RewritePlan, Rewriter
from consentgate.gate.rewrite.memo_state import CONSTANT_SLOTS, STATE_SLOTS, TRANSIENT_SLOTS
from consentgate.gate.rewrite.memo_store import SegmentMemo
from tests.gate.rewrite.test_properties import ANY_BYTES
from tests.support.rewriter import ALL_OPTIONAL, TinyCatalog, fake_injection, tiny_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from _dynamic_pages import DynamicPage


def _plain(plan: RewritePlan, body: bytes, blocked: frozenset[str], nonce: str | None) -> bytes:
    rewriter = Rewriter(plan, blocked, nonce=nonce)
    return rewriter.feed(body) + rewriter.finish()


def _memo(
    plan: RewritePlan,
    body: bytes,
    blocked: frozenset[str],
    nonce: str | None,
    chunks: list[int] | None = None,
    sizes: tuple[int, ...] = (2048, 512, 128),
) -> tuple[bytes, int]:
    rewriter = MemoRewriter(plan, blocked, nonce=nonce, memoize=True, sizes=sizes)
    out, at = [], 0
    for size in chunks or []:
        out.append(rewriter.feed(body[at : at + size]))
        at += size
    out.append(rewriter.feed(body[at:]))
    out.append(rewriter.finish())
    return b"".join(out), rewriter.answered


def test_every_slot_of_the_rewriter_is_classified() -> None:
    # A slot the snapshot does not know would be lost between two segments.
    slots = set(Rewriter.__slots__)
    assert slots == STATE_SLOTS | CONSTANT_SLOTS | TRANSIENT_SLOTS
    assert not (STATE_SLOTS & CONSTANT_SLOTS) and not (STATE_SLOTS & TRANSIENT_SLOTS)
    assert not (CONSTANT_SLOTS & TRANSIENT_SLOTS)


@pytest.mark.parametrize("size", [20 * 1024, 100 * 1024])
def test_fresh_renderings_of_a_page_are_mostly_answered_from_memory(size: int) -> None:
    from bench_rewriter import BLOCKED, new_plan

    page = DynamicPage(size)
    plan, memo_plan = new_plan(), new_plan()
    rnd = random.Random(size)
    answered = []
    for _ in range(12):
        rendered = page.render()
        body = rendered.html.encode()
        cuts = [rnd.randint(1, 9000) for _ in range(rnd.randint(0, 6))]
        expected = _plain(plan, body, BLOCKED, rendered.nonce)
        got, hit = _memo(memo_plan, body, BLOCKED, rendered.nonce, cuts)
        assert got == expected
        assert rendered.nonce in got.decode()
        answered.append(hit / len(body))
    assert answered[0] < 0.2  # only what repeats inside the page
    # After a page or two, all but the segments holding the new values come from memory.
    assert min(answered[3:]) > 0.8, answered


@settings(
    max_examples=int(os.environ.get("CG_REWRITER_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    documents=st.lists(ANY_BYTES, min_size=1, max_size=4),
    data=st.data(),
    which=st.integers(0, 2),
)
def test_same_bytes_as_the_plain_rewriter(documents: list[bytes], data: Any, which: int) -> None:
    # Documents that share parts (the same prefix, suffix or middle), rewritten one after the
    # other with one plan, in small segments and pieces so that the memory answers often.
    plan = [tiny_plan(), tiny_plan(injection=fake_injection, tag_cap=32, script_cap=16), tiny_plan(injection=fake_injection)][which]  # fmt: skip
    memo_plan = RewritePlan(
        plan.catalog, injection=plan.injection, categories=plan.known, tag_cap=plan.tag_cap, script_cap=plan.script_cap
    )  # fmt: skip
    blocked = frozenset(data.draw(st.sets(st.sampled_from(sorted(ALL_OPTIONAL)))))
    nonce = data.draw(st.sampled_from([None, "n", "R4nd0mN0nceValue1234567"]))
    head, tail = documents[0], documents[-1]
    for middle in documents:
        body = head + middle + tail
        if nonce and len(nonce) > 16 and data.draw(st.booleans()):
            body = body.replace(b"n0nce", nonce.encode())
        cuts = data.draw(st.lists(st.integers(1, 40), max_size=5))
        got, _ = _memo(memo_plan, body, blocked, nonce, cuts, sizes=(24, 12, 6))
        assert got == _plain(plan, body, blocked, nonce)


def test_a_page_that_holds_the_placeholder_never_gets_the_nonce_in_its_place() -> None:
    # The placeholder is public (it is in the source): text of the page that spells it must come
    # out as it went in, not as the response's nonce (that would let page text carry the nonce).
    from consentgate.gate.rewrite.placeholder import placeholder_for

    plan = tiny_plan(injection=fake_injection)
    nonce = secrets.token_urlsafe(18)
    fake = placeholder_for(len(nonce)).decode()
    template = (
        "<!doctype html><html><head><script nonce={n}>var a = 1;</script></head><body>\n"
        + "<p>some text of the page</p>\n" * 40
        + "<div>{fake}</div><script nonce={n} src=https://www.google-analytics.com/ga.js></script>\n"
        + "<p>more</p>\n" * 40
        + "</body></html>"
    )
    for with_fake in (False, False, True, True):
        body = template.format(n=nonce, fake=fake if with_fake else "x" * len(fake)).encode()
        expected = _plain(plan, body, ALL_OPTIONAL, nonce)
        got, _ = _memo(plan, body, ALL_OPTIONAL, nonce, sizes=(64, 16))
        assert got == expected
        assert got.count(nonce.encode()) == expected.count(nonce.encode())


def test_the_memory_stays_bounded() -> None:
    memo = SegmentMemo()
    plan = tiny_plan()
    plan.memo = memo
    rnd = random.Random(7)
    sizes: list[int] = []
    started_over = False
    for _ in range(250):
        body = b"".join(b"<p>%d</p>\n" % rnd.getrandbits(64) for _ in range(4000))
        got, _ = _memo(plan, body, ALL_OPTIONAL, None, sizes=(8192,))
        assert got == body
        if sizes and memo.size < sizes[-1]:
            started_over = True
        sizes.append(memo.size)
    assert max(sizes) <= 16 * 1024 * 1024
    assert started_over


def test_a_plan_whose_pages_share_nothing_is_not_memoized() -> None:
    plan = RewritePlan(TinyCatalog())
    rnd = random.Random(3)
    decided = []
    for _ in range(20):
        rewriter = MemoRewriter(plan, ALL_OPTIONAL)
        decided.append(rewriter.memoizing)
        body = b"".join(b"<p>%d</p>\n" % rnd.getrandbits(64) for _ in range(2000))
        rewriter.feed(body)
        rewriter.finish()
    # Only the probes: the second body, then one in eight.
    assert decided.count(True) <= 3
    assert decided[1] is True


def test_a_segment_that_came_next_last_time_is_followed_only_when_every_byte_matches() -> None:
    # The memory first tries the segment that followed the same state last time, by comparing
    # bytes in place: a body that differs only in a segment's last byte, or that stops inside
    # one, must still come out as the plain rewriter's.
    plan = tiny_plan(injection=fake_injection)
    tracker = b"<script src=https://www.google-analytics.com/ga.js></script>\n"
    lines = [b"<p>line %d</p>\n" % i for i in range(60)]
    first = b"<!doctype html><html><head></head><body>\n" + b"".join(lines) + tracker + b"</body></html>"
    variants = [
        first,
        first,
        first.replace(b"line 7</p>", b"line 7</q>"),
        first.replace(b"line 59", b"line 5X"),
    ]
    variants.append(first[:-20] + tracker + first[-20:])  # the tracker where text was
    # One line end after another made a space: some of them are a segment's last byte.
    ends = [at for at in range(len(first)) if first[at] == 10]
    variants += [first[:at] + b" " + first[at + 1 :] for at in ends]
    for body in variants * 2:
        for cuts in ([], [37], [len(body) // 2], [11, 200, 3]):
            got, _ = _memo(plan, body, ALL_OPTIONAL, None, cuts, sizes=(48, 16))
            assert got == _plain(plan, body, ALL_OPTIONAL, None)
    _, answered = _memo(plan, first, ALL_OPTIONAL, None, sizes=(48, 16))
    assert answered == len(first)  # (served again: all of it from memory)


def test_the_nonce_comes_back_where_the_rewriter_holds_part_of_it_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Outputs are kept cut at the placeholder and given the nonce back piece by piece; the
    # rewriter holds the end of raw text back (a <textarea>'s, in case it ends there), so an
    # output can end inside a placeholder (a "ragged" output, put back the plain way). Text that
    # holds the nonce at every offset from a cut, read again and again: every byte as the plain
    # rewriter's.
    from consentgate.gate.rewrite import memo, memo_output

    ragged = 0
    real = memo_output.pieces

    def counting(out: bytes, placeholder: bytes | None) -> memo_output.Pieces:
        nonlocal ragged
        found = real(out, placeholder)
        ragged += isinstance(found, memo_output.Ragged)
        return found

    monkeypatch.setattr(memo, "pieces", counting)
    plan = tiny_plan(injection=fake_injection)
    nonce = "R4nd0mN0nceValue1234567X"
    for shift in range(48):
        line = b"/* %s */\n" % nonce.encode()
        body = (
            b"<!doctype html><html><head><script nonce=%s></script><textarea>" % nonce.encode()
            + b"x" * shift
            + line * 12
            + b"</textarea></head><body>\n"
            + b"<p>text of the page</p>\n" * 30
            + b"</body></html>"
        )
        for _ in range(2):
            got, _ = _memo(plan, body, ALL_OPTIONAL, nonce, [shift + 7], sizes=(48, 24))
            assert got == _plain(plan, body, ALL_OPTIONAL, nonce)
    assert ragged > 0  # (the case this test is for did come up)


def test_one_encodings_output_is_never_served_for_another() -> None:
    # The same bytes (a fullwidth host in Shift_JIS) are a tracker's URL to a browser that decodes
    # them as Shift_JIS, and no host as UTF-8: remembered for one, they are read again for the other.
    host = "www.facebook\uff0ecom".encode("cp932")
    rows = b"".join(b"<p>row %d</p>\n" % i for i in range(120))
    body = rows + b'<img src="https://' + host + b'/tr">\n' + rows
    plan = tiny_plan()
    outputs: dict[str | None, bytes] = {
        e: _plain(plan.read_as(e), body, ALL_OPTIONAL, None) for e in ("shift_jis", "utf-8")
    }
    assert b"data-cg-src" in outputs["shift_jis"] and outputs["utf-8"] == body
    outputs[None] = outputs["shift_jis"]  # (not known: read every way)
    answered = []
    for encoding in ("shift_jis", "utf-8", "shift_jis", "utf-8", None, "utf-8", None):
        rewriter = MemoRewriter(plan, ALL_OPTIONAL, encoding=encoding, memoize=True, sizes=(256, 64))
        assert rewriter.feed(body) + rewriter.finish() == outputs[encoding], encoding
        answered.append(rewriter.answered)
    assert answered[:2] == [0, 0] and min(answered[2:4]) > 0  # (the memory was in play)
