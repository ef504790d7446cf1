"""The signed consent cookie: the codec (format, keys, limits, expiry, its cache) and how the gate finds
the cookie in a ``Cookie`` header, through real HTTP."""

from __future__ import annotations

import random
import string
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from consentgate.consent.cookie import CookieCodec, StoredChoice, new_consent_id
from consentgate.errors import ConfigError
from tests.support.clock import ManualClock, manual_clock
from tests.support.site import SECRET

ALL = ["necessary", "analytics", "advertising", "social"]
DAY = 86400


def _codec(secret: str | list[str] = SECRET, max_age: int = 182 * DAY) -> CookieCodec:
    return CookieCodec(secret, ALL, max_age)


def _choice(*granted: str, consent_id: str = "abc", revision: int = 1, at: int = 1700000000) -> StoredChoice:
    return StoredChoice(consent_id, frozenset(granted), revision, at)


def _payload(value: str) -> Any:
    """The payload of a signed cookie, read without checking the signature."""
    return URLSafeTimedSerializer("any key").loads_unsafe(value)[1]


# --- format ---------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field() -> None:
    codec = _codec()
    choice = _choice("necessary", "social", consent_id="id-1", revision=7, at=1234567890)
    assert codec.decode(codec.encode(choice)) == choice


def test_payload_is_id_bit_mask_revision_time_in_category_order() -> None:
    # Cookies already in browsers must keep reading after an upgrade: the wire format is fixed.
    codec = _codec()
    assert _payload(codec.encode(_choice("necessary", "advertising"))) == ["abc", 0b0101, 1, 1700000000]
    assert _payload(codec.encode(_choice("social"))) == ["abc", 0b1000, 1, 1700000000]
    assert _payload(codec.encode(_choice())) == ["abc", 0, 1, 1700000000]
    # A name the config does not know has no bit: it is not written.
    value = codec.encode(_choice("analytics", "chat"))
    assert _payload(value) == ["abc", 0b0010, 1, 1700000000]
    assert codec.decode(value) == _choice("analytics")


def test_the_mask_is_read_by_category_order() -> None:
    codec = _codec()
    for mask in (0, 1, 0b0110, 0b1111):
        value = codec.encode(_choice(*(name for i, name in enumerate(ALL) if mask >> i & 1)))
        decoded = codec.decode(value)
        assert decoded is not None
        assert decoded.granted == {name for i, name in enumerate(ALL) if mask >> i & 1}


def test_new_consent_ids_are_128_random_url_safe_bits() -> None:
    ids = {new_consent_id() for _ in range(50)}
    assert len(ids) == 50
    alphabet = set(string.ascii_letters + string.digits + "-_")
    assert all(len(i) == 22 and set(i) <= alphabet for i in ids)


# --- keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", [], ["good-key", ""]])
def test_missing_or_empty_key_is_refused_with_the_way_to_make_one(secret: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        CookieCodec(secret, ALL, DAY)
    message = str(raised.value)
    assert message.startswith("secret_key is missing or empty; make one with ")
    assert message.endswith(
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` and pass it as secret_key."
    )


def test_key_rotation_first_key_signs_every_key_verifies() -> None:
    old = _codec("old-key").encode(_choice("analytics"))
    rotated = _codec(["new-key", "old-key"])
    assert rotated.decode(old) == _choice("analytics")
    fresh = rotated.encode(_choice("social"))
    assert _codec("new-key").decode(fresh) == _choice("social")
    assert _codec("old-key").decode(fresh) is None
    assert _codec("other-key").decode(old) is None


def test_a_cookie_for_other_categories_reads_as_undecided() -> None:
    value = _codec().encode(_choice("analytics"))
    assert CookieCodec(SECRET, ["necessary", "advertising", "analytics", "social"], DAY).decode(value) is None


# --- malformed cookies ----------------------------------------------------------------------------


def _signed(payload: Any) -> str:
    """``payload`` signed with the codec's key and salt (the salt names the category list)."""
    return URLSafeTimedSerializer(SECRET, salt=f"consentgate.consent:{','.join(ALL)}").dumps(payload)


@pytest.mark.parametrize(
    "payload",
    [
        ["", 1, 1, 1],
        ["x" * 65, 1, 1, 1],
        [7, 1, 1, 1],
        ["abc", "1", 1, 1],
        ["abc", 1.0, 1, 1],
        ["abc", True, 1, 1],
        ["abc", 1, "1", 1],
        ["abc", 1, 1, None],
        ["abc", 1, 1],
        ["abc", 1, 1, 1, 1],
        {"id": "abc"},
    ],
)
def test_a_signed_payload_of_the_wrong_shape_reads_as_undecided(payload: Any) -> None:
    codec = _codec()
    assert codec.decode(_signed(["abc", 1, 1, 1])) == _choice("necessary", at=1)  # key and salt are right
    value = _signed(payload)
    assert codec.decode(value) is None
    assert codec.decode(value) is None  # and it is not cached as valid either


@pytest.mark.parametrize("length", [1, 64])
def test_consent_ids_of_1_to_64_characters_are_read(length: int) -> None:
    codec = _codec()
    choice = _choice("analytics", consent_id="i" * length)
    assert codec.decode(codec.encode(choice)) == choice


def test_a_consent_id_over_64_characters_is_refused() -> None:
    codec = _codec()
    assert codec.decode(codec.encode(_choice(consent_id="i" * 65))) is None


@pytest.mark.parametrize("value", ["", "garbage", "a.b.c", "x" * 600, "é.é.é"])
def test_garbage_reads_as_undecided(value: str) -> None:
    assert _codec().decode(value) is None


def _of_length(codec: CookieCodec, lengths: range) -> str:
    """A validly signed cookie of the first length in ``lengths`` the encoding can make: a huge
    ``decided_at`` pads it (random digits, so compression keeps little) and the id's length tunes it.
    (Not every length can be made: the payload is base64 without padding.)"""
    rng = random.Random(lengths.start)
    ats = [rng.randrange(10 ** (digits - 1), 10**digits) for digits in range(640, 700)]
    for length in lengths:
        for at in ats:
            for id_length in range(1, 65):
                value = codec.encode(_choice("analytics", consent_id="i" * id_length, at=at))
                if len(value) == length:
                    return value
    raise AssertionError(f"found no cookie of {lengths} characters")


def test_a_signed_cookie_over_512_characters_is_refused() -> None:
    codec = _codec()
    at_limit = _of_length(codec, range(512, 513))
    assert codec.decode(at_limit) is not None
    over = _of_length(codec, range(513, 520))
    assert codec.decode(over) is None
    huge = codec.encode(_choice("analytics", at=random.Random(1).randrange(10**1199, 10**1200)))
    assert len(huge) > 800
    assert codec.decode(huge) is None


def test_a_tampered_cookie_reads_as_undecided() -> None:
    codec = _codec()
    value = codec.encode(_choice("analytics"))
    assert codec.decode(value) is not None
    # Two places in the signature and one in the payload. Not the last character: its low bits are
    # base64 padding, so some changes there decode to the same signature.
    for at in (len(value) - 2, len(value) - 20, len(value) // 2):
        other = "A" if value[at] != "A" else "B"
        forged = value[:at] + other + value[at + 1 :]
        assert codec.decode(forged) is None, forged


# --- expiry and the cache of verified cookies -----------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    return manual_clock(monkeypatch)


def test_a_cookie_expires_after_max_age(clock: ManualClock) -> None:
    codec = _codec(max_age=100)
    value = codec.encode(_choice("analytics"))
    clock.now += 99
    assert codec.decode(value) == _choice("analytics")
    clock.now += 2
    assert _codec(max_age=100).decode(value) is None  # a codec that never saw it
    assert codec.decode(value) is None


def test_a_cached_cookie_expires_too(clock: ManualClock) -> None:
    codec = _codec(max_age=100)
    value = codec.encode(_choice("analytics"))
    assert codec.decode(value) == _choice("analytics")  # verified, fresh, remembered
    clock.now += 50
    assert codec.decode(value) == _choice("analytics")
    clock.now += 51
    assert codec.decode(value) is None
    assert codec.decode(value) is None  # and stays expired


def test_a_verified_cookie_is_verified_once(monkeypatch: pytest.MonkeyPatch) -> None:
    verified: list[str] = []
    loads = URLSafeTimedSerializer.loads

    def counting(self: URLSafeTimedSerializer, value: Any, *args: Any, **kwargs: Any) -> Any:
        verified.append(value)
        return loads(self, value, *args, **kwargs)

    codec = _codec()
    good = codec.encode(_choice("social"))
    monkeypatch.setattr(URLSafeTimedSerializer, "loads", counting)
    for _ in range(3):
        assert codec.decode(good) == _choice("social")
        assert codec.decode("garbage.value.x") is None
    assert verified.count(good) == 1
    assert verified.count("garbage.value.x") == 3  # failures are not remembered


def test_the_cache_stays_bounded_and_right_past_its_size() -> None:
    codec = _codec()
    first = codec.encode(_choice("analytics", consent_id="first"))
    assert codec.decode(first) == _choice("analytics", consent_id="first")
    for i in range(8300):
        value = codec.encode(_choice(consent_id=str(i)))
        decoded = codec.decode(value)
        assert decoded is not None and decoded.consent_id == str(i)
    assert codec.decode(first) == _choice("analytics", consent_id="first")


# --- finding the cookie in the Cookie header, through the gate ------------------------------------


async def _state(client: httpx.AsyncClient, cookie: str) -> dict[str, Any]:
    response = await client.get("/consentgate/consent", headers={"cookie": cookie})
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(
    "template",
    [
        "consentgate={v}",
        "a=1; consentgate={v}",
        "a=1;consentgate={v}",
        "consentgate={v}; b=2",
        'consentgate="{v}"',
        "xconsentgate=junk; consentgate={v}",
        "consentgate_state=1.1.necessary; consentgate={v}",
    ],
)
async def test_the_consent_cookie_is_found_among_others(client: httpx.AsyncClient, template: str) -> None:
    value = _codec().encode(_choice("necessary", "social"))
    state = await _state(client, template.format(v=value))
    assert state["decided"] is True and state["id"] == "abc"
    assert state["categories"]["social"] is True


@pytest.mark.parametrize(
    "template",
    [
        "xconsentgate={v}",
        "a=1; xconsentgate={v}",
        "my_consentgate={v}",
        "a=consentgate={v}",
        "consentgate_state={v}",
    ],
)
async def test_a_cookie_whose_name_only_ends_in_the_name_does_not_count(
    client: httpx.AsyncClient, template: str
) -> None:
    value = _codec().encode(_choice("necessary", "social"))
    state = await _state(client, template.format(v=value))
    assert state["decided"] is False and state["id"] is None


async def test_the_cookie_in_a_second_cookie_header_counts(client: httpx.AsyncClient) -> None:
    value = _codec().encode(_choice("necessary", "analytics"))
    response = await client.get("/whoami", headers=[("cookie", "a=1"), ("cookie", f"consentgate={value}")])
    assert response.json()["decided"] is True
    assert response.json()["allows"]["analytics"] is True
