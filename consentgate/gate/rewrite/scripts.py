"""The rewriter's scripts: a ``<script>`` tag (where the injection goes, its verdict), its text up
to ``</script>`` through script data's sub-states, an inline script held back until its text
is known, and the verdicts on scripts the exact mode reads as markup (in SVG/MathML).

Mixed into :class:`~.rewriter.Rewriter`, whose state it reads and sets (see :mod:`.tagging` and
:mod:`.exact` for the other parts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .attributes import Attr, attributes, decoded, first_value, runs_script
from .caches import UNKNOWN, VerdictCaches
from .data_scripts import data_script_verdict
from .loaders import all_loaders
from .script_data import script_end
from .verdicts import INLINE, inline_verdict, script_verdict
from .vocabulary import SCRIPT_RENAMES

if TYPE_CHECKING:
    from collections.abc import Callable

    from .plan import RewritePlan

__all__ = ["ScriptPart"]

# The Rewriter's processing states this part sets (see rewriter.py).
_DATA, _SCRIPT = 0, 1


class ScriptPart:
    """Mixed into :class:`~.rewriter.Rewriter`."""

    if TYPE_CHECKING:
        _plan: RewritePlan
        _caches: VerdictCaches
        _blocked: frozenset[str]
        _base_url: str | None
        _injected: bool
        _injection: Callable[[str | None], bytes] | None
        _nonce: str | None
        _nonce_from_page: bool
        _page_seen: bool
        _state: int
        _sub: int
        _pending: bool
        _pend_body: int
        _pend_scan: int
        _neutral: set[bytes]

        def _exact_busy(self) -> bool: ...
        def _after_tag(self, name: bytes, is_end: bool, at: int = -1) -> None: ...
        def _insert(self, at: int, injection: bytes) -> None: ...
        def _placed(self) -> None: ...
        def _replace(self, c: int, end: int, new: bytes) -> None: ...
    else:
        __slots__ = ()

    def _script_tag(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, n: int, final: bool
    ) -> tuple[int, bool]:
        attrs: list[Attr] | None = None
        if not self._injected and self._page_seen and not self._exact_busy():
            attrs = attributes(low, name_end, tag_end - 1)
            if runs_script(data, attrs):
                nonce = self._nonce
                if self._nonce_from_page:
                    page_nonce = first_value(data, attrs, b"nonce")
                    if page_nonce:
                        # (read as any attribute is: the injection writes it back as UTF-8)
                        nonce = decoded(page_nonce) or nonce
                assert self._injection is not None
                injection = self._injection(nonce)
                if data.startswith(injection, c):  # rewritten before: the injection is already here
                    self._placed()
                    return c + len(injection), False
                if n - c < len(injection) and injection.startswith(data[c:]) and not final:
                    return c, True  # it may be: wait for more
                self._insert(c, injection)
        self._after_tag(b"script", False)
        key = (data[c:tag_end], self._blocked, self._base_url, False)
        verdict = self._caches.tag.get(key, UNKNOWN)
        if verdict is UNKNOWN:
            if attrs is None:
                attrs = attributes(low, name_end, tag_end - 1)
            verdict = script_verdict(
                self._plan, self._blocked, data, c, name_end, tag_end, attrs, self._base_url
            )
            if verdict is None:  # (its src may be a data: URL whose code names a refused URL)
                verdict = data_script_verdict(
                    self._plan, self._blocked, data, low, c, name_end, tag_end, attrs
                )
            self._caches.remember_tag(key, verdict)
        if verdict is not INLINE:
            if verdict is not None:
                self._replace(c, tag_end, verdict)  # type: ignore[arg-type]
            return self._script_body(low, tag_end, n, final)
        # An inline script: its text decides, so the tag waits for it (up to script_cap bytes).
        end, sub, resume = script_end(low, tag_end, n, 0, b"script" in self._neutral)
        cap = self._plan.script_cap
        if end < 0 and n - tag_end < cap and not final:
            self._state, self._sub, self._pending = _SCRIPT, sub, True
            self._pend_body, self._pend_scan = tag_end - c, resume - c
            return c, True
        text_end = min(end if end >= 0 else n, tag_end + cap)
        self._judge_inline(data, low, c, name_end, tag_end, text_end)
        if end >= 0:
            self._state = _DATA
            return end, False
        self._sub = sub
        return (n, True) if final else (resume, True)

    def _script_body(self, low: bytes, start: int, n: int, final: bool) -> tuple[int, bool]:
        """Past a script's text (not held back): to its end tag, or as far as the buffer goes."""
        end, sub, resume = script_end(low, start, n, 0, b"script" in self._neutral)
        if end >= 0:
            self._state = _DATA
            return end, False
        self._sub = sub
        return (n if final else resume), True

    def _script(self, data: bytes, low: bytes, pos: int, n: int, final: bool) -> tuple[int, bool]:
        if not self._pending:
            end, self._sub, resume = script_end(low, pos, n, self._sub, b"script" in self._neutral)
            if end >= 0:
                self._state = _DATA
                return end, False
            return (n if final else resume), True
        # The held inline script: the buffer starts at its tag.
        body = self._pend_body
        end, sub, resume = script_end(low, self._pend_scan, n, self._sub, b"script" in self._neutral)
        cap = self._plan.script_cap
        if end < 0 and n - body < cap and not final:
            self._sub, self._pend_scan = sub, resume
            return 0, True
        self._pending = False
        self._judge_inline(data, low, 0, 7, body, min(end if end >= 0 else n, body + cap))
        if end >= 0:
            self._state = _DATA
            return end, False
        self._sub = sub
        return (n if final else resume), True

    def _judge_inline(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, text_end: int
    ) -> None:
        new = inline_verdict(self._plan, self._blocked, data, low, c, name_end, tag_end, text_end)
        if new is not None:
            self._replace(c, tag_end, new)

    def _inline_in_markup(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, text_end: int
    ) -> None:
        """An HTML ``<script>`` inside SVG/MathML markup: judged by its ``src`` (a ``data:`` one by
        the code it holds) and by its text up to the first ``</script`` (where a raw-text reading
        ends it)."""
        attrs = attributes(low, name_end, tag_end - 1)
        verdict = script_verdict(self._plan, self._blocked, data, c, name_end, tag_end, attrs, self._base_url)
        if verdict is INLINE:
            verdict = inline_verdict(self._plan, self._blocked, data, low, c, name_end, tag_end, text_end)
        elif verdict is None:  # (its src may be a data: URL whose code names a refused URL)
            verdict = data_script_verdict(self._plan, self._blocked, data, low, c, name_end, tag_end, attrs)
        if isinstance(verdict, bytes):
            self._replace(c, tag_end, verdict)

    def _svg_script(
        self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, text_end: int
    ) -> bool:
        """An SVG ``<script>`` runs its text too: when that carries a catalog snippet or names a
        refused URL, the tag becomes inert (``type="text/plain"``, its ``href`` and every other
        loader renamed as well);
        True then. An SVG script that does not run (an inert one, say) is not judged again."""
        attrs = attributes(low, name_end, tag_end - 1)
        if not runs_script(data, attrs):
            return False
        renames = SCRIPT_RENAMES | all_loaders(self._plan, self._blocked, data, attrs, self._base_url)
        new = inline_verdict(self._plan, self._blocked, data, low, c, name_end, tag_end, text_end, renames)
        if new is None:
            return False
        self._replace(c, tag_end, new)
        return True
