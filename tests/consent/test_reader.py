"""The consent reader: the consent of a request from its headers, and what it keeps between requests."""

from __future__ import annotations

import time

import pytest

from consentgate.config import load_config
from consentgate.consent import reader as reader_module
from consentgate.consent.cookie import CookieCodec, StoredChoice
from consentgate.consent.decision import Decider
from consentgate.consent.reader import ConsentReader
from tests.support.clock import ManualClock, manual_clock
from tests.support.site import SECRET


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    return manual_clock(monkeypatch)


def _reader(max_age: int = 182 * 86400) -> tuple[ConsentReader, CookieCodec, int]:
    config = load_config()
    codec = CookieCodec(SECRET, config.category_names, max_age)
    return ConsentReader(config.cookie.name, codec, Decider(config)), codec, config.revision


def _cookie(codec: CookieCodec, revision: int, *granted: str) -> str:
    return codec.encode(
        StoredChoice("visitor-1", frozenset({"necessary", *granted}), revision, int(time.time()))
    )


def _scope(*headers: tuple[bytes | bytearray, bytes | bytearray]) -> dict[str, object]:
    return {"type": "http", "headers": list(headers)}


def test_the_kept_consent_of_a_cookie_expires_with_its_signature(clock: ManualClock) -> None:
    reader, codec, revision = _reader(max_age=100)
    header = f"consentgate={_cookie(codec, revision, 'analytics')}".encode()
    first = reader.read(_scope((b"cookie", header)))
    assert first.decided and first.allows("analytics")
    clock.now += 99
    assert reader.read(_scope((b"cookie", header))) is first  # kept, not verified again
    clock.now += 2
    later = reader.read(_scope((b"cookie", header)))
    assert not later.decided and not later.allows("analytics")


@pytest.mark.parametrize(
    "template",
    [
        "consentgate={}",
        'consentgate="{}"',
        "a=1; consentgate={}",
        "a=1;consentgate= {} ; b=2",
        "xconsentgate=junk; consentgate={}",
        "consentgate={}\xa0",  # what str.strip() strips of a Latin-1 header, bytes are stripped of too
    ],
)
def test_the_cookie_is_found_among_others(template: str) -> None:
    reader, codec, revision = _reader()
    header = template.format(_cookie(codec, revision, "social")).encode("latin-1")
    consent, cookie = reader.read_with_cookie(_scope((b"host", b"x"), (b"cookie", header)))
    assert consent.decided and consent.allows("social")
    assert cookie == header


def test_another_cookie_of_a_similar_name_is_not_the_consent() -> None:
    reader, codec, revision = _reader()
    value = _cookie(codec, revision, "social")
    assert not reader.read(_scope((b"cookie", f"xconsentgate={value}".encode()))).decided


def test_several_cookie_headers_are_read_as_one() -> None:
    reader, codec, revision = _reader()
    value = _cookie(codec, revision, "analytics")
    consent, cookie = reader.read_with_cookie(
        _scope((b"cookie", b"a=1"), (b"cookie", f"consentgate={value}".encode()))
    )
    assert consent.decided and consent.allows("analytics")
    assert cookie == f"a=1; consentgate={value}".encode()


def test_a_signal_is_read_beside_a_kept_cookie() -> None:
    reader, codec, revision = _reader()
    header = f"consentgate={_cookie(codec, revision, 'advertising')}".encode()
    plain = reader.read(_scope((b"cookie", header)))
    with_gpc = reader.read(_scope((b"cookie", header), (b"sec-gpc", b" 1 ")))
    assert plain.decided and not plain.gpc
    assert with_gpc.decided and with_gpc.gpc
    undecided = reader.read(_scope((b"sec-gpc", b"1")))
    assert not undecided.decided and undecided.gpc
    assert not reader.read(_scope()).gpc


def test_a_bytearray_cookie_header_is_read_like_bytes() -> None:
    reader, codec, revision = _reader()
    header = bytearray(f"consentgate={_cookie(codec, revision, 'analytics')}".encode())
    for _ in range(2):  # verified, then kept
        assert reader.read(_scope((b"cookie", header))).allows("analytics")


def test_a_bytearray_header_name_is_read_like_bytes() -> None:
    reader, codec, revision = _reader()
    header = f"consentgate={_cookie(codec, revision, 'analytics')}".encode()
    assert reader.read(_scope((bytearray(b"cookie"), header), (bytearray(b"sec-gpc"), b"1"))).gpc
    assert reader.read(_scope((bytearray(b"cookie"), header))).allows("analytics")


def test_the_same_cookie_among_other_changing_cookies_is_read_alike(clock: ManualClock) -> None:
    reader, codec, revision = _reader(max_age=100)
    value = _cookie(codec, revision, "analytics")
    first = reader.read(_scope((b"cookie", f"a=0; consentgate={value}".encode())))
    assert first.decided and first.allows("analytics")
    for i in range(1, 5):
        assert reader.read(_scope((b"cookie", f"a={i}; consentgate={value}".encode()))) is first
    clock.now += 101  # expired, whichever header carries it
    for i in range(5):
        assert not reader.read(_scope((b"cookie", f"a={i}; consentgate={value}".encode()))).decided


def test_a_long_cookie_header_is_read(clock: ManualClock) -> None:
    reader, codec, revision = _reader(max_age=100)
    header = f"big={'x' * 3000}; consentgate={_cookie(codec, revision, 'social')}".encode()
    for _ in range(2):  # verified, then kept (by the cookie's value)
        assert reader.read(_scope((b"cookie", header))).allows("social")
    clock.now += 101
    assert not reader.read(_scope((b"cookie", header))).decided


def test_what_is_kept_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module, "_CACHE_SIZE", 4)
    reader, codec, revision = _reader()
    now = int(time.time())
    values = [
        codec.encode(StoredChoice(f"visitor-{i}", frozenset({"necessary", "analytics"}), revision, now))
        for i in range(6)
    ]
    for i in range(20):
        for gpc in (b"0", b"1"):
            header = f"a={i}; consentgate={values[i % 6]}".encode()
            consent = reader.read(_scope((b"cookie", header), (b"sec-gpc", gpc)))
            assert consent.id == f"visitor-{i % 6}" and consent.gpc is (gpc == b"1")
        big = f"a={i}; b={'y' * 2000}; consentgate={values[i % 6]}".encode()
        assert reader.read(_scope((b"cookie", big))).allows("analytics")
    kept = [value for value in vars(reader).values() if isinstance(value, dict)]
    assert kept and all(len(cache) <= 4 for cache in kept)
    big_keys = [key for cache in kept for key in cache if isinstance(key, bytes) and len(key) > 2000]
    assert not big_keys  # a header longer than the bound is never a key
