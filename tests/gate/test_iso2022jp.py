"""The gate's ISO-2022-JP decoder against the Encoding standard's algorithm written out byte by
byte (below, step for step as the standard says it), on random bytes made of what matters (escape
sequences, bytes that are errors, pairs); cut anywhere; and its encoder, whose bytes must decode
back to the very text it was given."""

from __future__ import annotations

import hashlib
import random

import pytest

from consentgate.gate.iso2022jp import Iso2022JpDecoder, Iso2022JpEncoder, Iso2022JpText, jis0208

#: sha256 of "pointer:CODEPOINT" lines of the standard's index-jis0208.txt (2014-08-26) for the
#: pointers below 94 * 94, the ones ISO-2022-JP reaches.
INDEX_SHA256 = "97dacc36ea151ac61fdfffbca4066711b21a553b05ef303686e54411809c517c"


def test_the_index_is_the_standards() -> None:
    lines = [f"{p}:{ord(c):X}" for p, c in enumerate(jis0208()) if c is not None]
    assert len(lines) == 7336
    assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == INDEX_SHA256
    # Row 13 (NEC) is there, which Python's own iso2022_jp codec lacks: 0x2D21 is a circled one.
    assert jis0208()[(0x2D - 0x21) * 94] == "\u2460"


def _standard(data: bytes) -> str:
    """The Encoding standard's ISO-2022-JP decoder, one byte at a time, errors as U+FFFD."""
    index = jis0208()
    state = output_state = "ascii"
    lead = 0
    output = False
    queue = list(data)
    out: list[str] = []
    while True:
        byte = queue.pop(0) if queue else None
        if state in ("ascii", "roman", "katakana", "lead"):
            if byte == 0x1B:
                state = "escape start"
            elif byte is None:
                return "".join(out)
            elif state == "roman" and byte in (0x5C, 0x7E):
                output = False
                out.append("\u00a5" if byte == 0x5C else "\u203e")
            elif state in ("ascii", "roman") and byte < 0x80 and byte not in (0x0E, 0x0F):
                output = False
                out.append(chr(byte))
            elif state == "katakana" and 0x21 <= byte <= 0x5F:
                output = False
                out.append(chr(0xFF61 - 0x21 + byte))
            elif state == "lead" and 0x21 <= byte <= 0x7E:
                output = False
                lead = byte
                state = "trail"
            else:
                output = False
                out.append("\ufffd")
        elif state == "trail":
            if byte == 0x1B:
                state = "escape start"
                out.append("\ufffd")
            elif byte is not None and 0x21 <= byte <= 0x7E:
                state = "lead"
                out.append(index[(lead - 0x21) * 94 + byte - 0x21] or "\ufffd")
            else:
                state = "lead"
                out.append("\ufffd")
                if byte is None:
                    return "".join(out)
        elif state == "escape start":
            if byte in (0x24, 0x28):
                lead = byte
                state = "escape"
            else:
                if byte is not None:
                    queue.insert(0, byte)
                output = False
                state = output_state
                out.append("\ufffd")
        else:  # escape
            leading, lead = lead, 0
            switches: dict[tuple[int, int | None], str] = {
                (0x28, 0x42): "ascii",
                (0x28, 0x4A): "roman",
                (0x28, 0x49): "katakana",
            }
            new = switches.get((leading, byte))
            if leading == 0x24 and byte in (0x40, 0x42):
                new = "lead"
            if new is not None:
                state = output_state = new
                if output:
                    out.append("\ufffd")
                output = True
            else:
                queue[:0] = [leading] if byte is None else [leading, byte]
                output = False
                state = output_state
                out.append("\ufffd")


_BYTES = [
    0x1B,
    0x24,
    0x28,
    0x42,
    0x4A,
    0x49,
    0x40,
    0x21,
    0x3C,
    0x2D,
    0x7E,
    0x5C,
    0x41,
    0x0E,
    0x80,
    0x7F,
    0x20,
]


@pytest.mark.parametrize("seed", range(4))
def test_the_decoder_is_the_standards_and_cut_anywhere_the_same(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(3000):
        data = bytes(rnd.choice(_BYTES) for _ in range(rnd.randint(0, 24)))
        want = _standard(data)
        assert Iso2022JpDecoder().decode(data, final=True) == want, data
        decoder = Iso2022JpDecoder()
        cuts = sorted(rnd.sample(range(len(data) + 1), min(3, len(data) + 1)))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        got = "".join(decoder.decode(p) for p in pieces) + decoder.decode(b"", final=True)
        assert got == want, (data, cuts)


@pytest.mark.parametrize("seed", range(4))
def test_what_the_encoder_writes_decodes_to_the_same_text(seed: int) -> None:
    rnd = random.Random(seed)
    pool = [
        "<",
        "a",
        "\\",
        "~",
        "\u00a5",
        "\u203e",
        "\uff71",
        "\u65e5",
        "\u2460",
        "\ufffd",
        "\x1b",
        "\x0e",
        "\u00e9",
    ]
    for _ in range(3000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 16)))
        encoder = Iso2022JpEncoder()
        cut = rnd.randint(0, len(text))
        data = encoder.encode(text[:cut]) + encoder.encode(text[cut:], final=True)
        # What has no bytes in ISO-2022-JP (ESC, SO, é) comes back as U+FFFD; all else as it was.
        expected = "".join(c if c not in "\x1b\x0e\u00e9" else "\ufffd" for c in text)
        assert _standard(data) == expected, (text, data)


def test_the_text_the_rewriter_sees_and_sends() -> None:
    page = "<p>日本語</p><p>\u00a5100 \uff71</p>".encode("iso2022_jp_ext")
    text = Iso2022JpText()
    utf8 = text.decode(page[:7]) + text.decode(page[7:], final=True)
    assert utf8.decode() == "<p>日本語</p><p>\u00a5100 \uff71</p>"
    back = text.encode(utf8[:5]) + text.encode(utf8[5:], final=True)
    assert Iso2022JpDecoder().decode(back, final=True) == utf8.decode()
