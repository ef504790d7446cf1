"""ISO-2022-JP text as browsers decode it (the WHATWG Encoding standard), and back.

ISO-2022-JP is the one encoding of the standard, beside UTF-16, that is not ASCII-compatible:
``ESC $ B`` switches to pairs of bytes from 0x21 to 0x7E that each make one JIS X 0208 character,
so bytes that read as ``<!--`` are two kanji there, until ``ESC ( B`` switches back. The rewriter
reads bytes as ASCII-compatible text, so such a page is decoded first (:class:`Iso2022JpDecoder`,
the standard's decoder step by step, its errors as U+FFFD), rewritten as UTF-8, and encoded back
(:class:`Iso2022JpEncoder`) into bytes that a browser decodes to exactly the rewritten text: each
character in a state where it means itself, U+FFFD as a byte that is an error in every state, and
never two escapes without a character between (the decoder makes that an error too).

The standard's index jis0208 for the pointers ISO-2022-JP can reach (rows 1 to 94) is Windows-31J's
mapping, which Python's ``cp932`` codec has: it is read from there once (the tests compare it with
the standard's index file).
"""

from __future__ import annotations

import codecs
import re
from functools import cache
from typing import Final

__all__ = ["Iso2022JpDecoder", "Iso2022JpEncoder", "Iso2022JpText", "jis0208"]

_ASCII, _ROMAN, _KATAKANA, _LEAD, _TRAIL, _ESCAPE_START, _ESCAPE = range(7)
#: Pointers of index jis0208 that ISO-2022-JP reaches: (leading - 0x21) * 94 + trailing - 0x21.
_POINTERS: Final = 94 * 94
_ESC: Final = 0x1B
#: Runs each state decodes to themselves (ASCII, Roman but for 0x5C and 0x7E), or per pair.
_ASCII_RUN: Final = re.compile(rb"[\x00-\x0d\x10-\x1a\x1c-\x7f]+")
_ROMAN_RUN: Final = re.compile(rb"[\x00-\x0d\x10-\x1a\x1c-\x5b\x5d-\x7d\x7f]+")
_KATAKANA_RUN: Final = re.compile(rb"[\x21-\x5f]+")
_PAIRS: Final = re.compile(rb"(?:[\x21-\x7e]{2})+")
_REPLACEMENT: Final = "\ufffd"


@cache
def jis0208() -> tuple[str | None, ...]:
    """Index jis0208's code point (as a one-character string, None when it has none) for each
    pointer below 94 * 94, from Windows-31J (Shift_JIS) bytes of the same pointer."""
    out: list[str | None] = []
    for pointer in range(_POINTERS):
        lead, trail = divmod(pointer, 188)
        pair = bytes((lead + (0x81 if lead < 0x1F else 0xC1), trail + (0x40 if trail < 0x3F else 0x41)))
        try:
            out.append(pair.decode("cp932"))
        except UnicodeDecodeError:
            out.append(None)
    return tuple(out)


@cache
def _jis_bytes() -> dict[str, bytes]:
    """Each character of index jis0208 (rows 1 to 94) as the pair of its first pointer."""
    out: dict[str, bytes] = {}
    for pointer, char in enumerate(jis0208()):
        if char is not None and char not in out:
            lead, trail = divmod(pointer, 94)
            out[char] = bytes((lead + 0x21, trail + 0x21))
    return out


class Iso2022JpDecoder:
    """The standard's ISO-2022-JP decoder, incremental: a piece may end anywhere."""

    __slots__ = ("_lead", "_output", "_output_state", "_state")

    def __init__(self) -> None:
        self._state = self._output_state = _ASCII
        self._lead = 0
        self._output = False

    def decode(self, data: bytes, final: bool = False) -> str:
        """The text of ``data``; at the end (``final``) what an unfinished sequence leaves."""
        out: list[str] = []
        queue = data
        i = 0
        n = len(queue)
        index = jis0208()
        while i < n:
            state = self._state
            if state <= _LEAD:
                pattern = (_ASCII_RUN, _ROMAN_RUN, _KATAKANA_RUN, _PAIRS)[state]
                m = pattern.match(queue, i)
                if m is not None:
                    run = m.group()
                    if state in (_ASCII, _ROMAN):
                        out.append(run.decode("latin-1"))
                    elif state == _KATAKANA:
                        out.append("".join(chr(0xFF61 - 0x21 + b) for b in run))
                    else:
                        for k in range(0, len(run), 2):
                            out.append(index[(run[k] - 0x21) * 94 + run[k + 1] - 0x21] or _REPLACEMENT)
                    self._output = False
                    i = m.end()
                    continue
            byte = queue[i]
            i += 1
            restore = self._step(byte, out)
            if restore:
                queue = restore + queue[i:]
                i = 0
                n = len(queue)
        if final:
            self._end(out)
        return "".join(out)

    def _step(self, byte: int, out: list[str]) -> bytes:
        """One byte that no run took; returns the bytes the standard restores to the queue."""
        state = self._state
        if state == _ESCAPE_START:
            if byte == 0x24 or byte == 0x28:
                self._lead = byte
                self._state = _ESCAPE
                return b""
            self._output = False
            self._state = self._output_state
            out.append(_REPLACEMENT)
            return bytes((byte,))
        if state == _ESCAPE:
            lead, self._lead = self._lead, 0
            new = _escape_state(lead, byte)
            if new is not None:
                self._state = self._output_state = new
                if self._output:
                    out.append(_REPLACEMENT)
                self._output = True
                return b""
            self._output = False
            self._state = self._output_state
            out.append(_REPLACEMENT)
            return bytes((lead, byte))
        if byte == _ESC:
            self._state = _ESCAPE_START
            if state == _TRAIL:  # (its output state is the leading byte's)
                out.append(_REPLACEMENT)
            return b""
        if state == _ROMAN and byte in (0x5C, 0x7E):
            self._output = False
            out.append("\u00a5" if byte == 0x5C else "\u203e")
            return b""
        if state == _LEAD and 0x21 <= byte <= 0x7E:
            self._output = False
            self._lead = byte
            self._state = _TRAIL
            return b""
        if state == _TRAIL:
            self._state = _LEAD
            if 0x21 <= byte <= 0x7E:
                out.append(jis0208()[(self._lead - 0x21) * 94 + byte - 0x21] or _REPLACEMENT)
            else:
                out.append(_REPLACEMENT)
            return b""
        self._output = False  # a byte that is an error in this state
        out.append(_REPLACEMENT)
        return b""

    def _end(self, out: list[str]) -> None:
        state = self._state
        if state == _TRAIL:
            self._state = _LEAD
            out.append(_REPLACEMENT)
        elif state == _ESCAPE_START:
            self._output = False
            self._state = self._output_state
            out.append(_REPLACEMENT)
        elif state == _ESCAPE:
            lead, self._lead = self._lead, 0
            self._output = False
            self._state = self._output_state
            out.append(_REPLACEMENT)
            out.append(self.decode(bytes((lead,)), final=True))


def _escape_state(lead: int, byte: int) -> int | None:
    if lead == 0x28:
        return {0x42: _ASCII, 0x4A: _ROMAN, 0x49: _KATAKANA}.get(byte)
    if lead == 0x24 and byte in (0x40, 0x42):
        return _LEAD
    return None


_SWITCH: Final = {_ASCII: b"\x1b(B", _ROMAN: b"\x1b(J", _KATAKANA: b"\x1b(I", _LEAD: b"\x1b$B"}
#: What U+FFFD (and anything else without bytes here) becomes: an error in every state.
_ERROR_BYTE: Final = b"\x80"
_PLAIN: Final = re.compile(r"[\x00-\x0d\x10-\x1a\x1c-\x7f]+")


class Iso2022JpEncoder:
    """Text to ISO-2022-JP bytes that :class:`Iso2022JpDecoder` (a browser) decodes back to it."""

    __slots__ = ("_state",)

    def __init__(self) -> None:
        self._state = _ASCII

    def encode(self, text: str, final: bool = False) -> bytes:
        """``text`` encoded; at the end (``final``) back in ASCII."""
        out = bytearray()
        jis = _jis_bytes()
        i = 0
        n = len(text)
        while i < n:
            m = _PLAIN.match(text, i)
            if m is not None:
                run = m.group()
                state = self._state
                if state not in (_ASCII, _ROMAN) or (state == _ROMAN and ("\\" in run or "~" in run)):
                    self._switch(_ASCII, out)
                out += run.encode("latin-1")
                i = m.end()
                continue
            char = text[i]
            i += 1
            code = ord(char)
            if char in ("\u00a5", "\u203e"):
                self._switch(_ROMAN, out)
                out.append(0x5C if code == 0xA5 else 0x7E)
            elif 0xFF61 <= code <= 0xFF9F:
                self._switch(_KATAKANA, out)
                out.append(code - 0xFF61 + 0x21)
            elif char in jis:
                self._switch(_LEAD, out)
                out += jis[char]
            else:
                out += _ERROR_BYTE
        if final:
            self._switch(_ASCII, out)
        return bytes(out)

    def _switch(self, state: int, out: bytearray) -> None:
        if self._state != state:
            self._state = state
            out += _SWITCH[state]


class Iso2022JpText:
    """An ISO-2022-JP body as UTF-8 for the rewriter, and its output back as ISO-2022-JP (the
    interface of :class:`~.codings.Utf16Text`)."""

    def __init__(self) -> None:
        self._in = Iso2022JpDecoder()
        self._out_text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._out = Iso2022JpEncoder()

    def decode(self, data: bytes, *, final: bool = False) -> bytes:
        """ISO-2022-JP in, UTF-8 for the rewriter out."""
        return self._in.decode(data, final).encode("utf-8")

    def encode(self, data: bytes, *, final: bool = False) -> bytes:
        """The rewriter's UTF-8 in, ISO-2022-JP out."""
        return self._out.encode(self._out_text.decode(data, final), final)
