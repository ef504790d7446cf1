"""The rewriter's exact mode: every construct read one by one, with the tree it builds.

The fast path (:mod:`.rewriter`) jumps between the few tags that change the tokenizer's state.
Inside ``<svg>``/``<math>``, ``<select>`` and ``<noscript>``, after a ``<base href>``, and while an
end tag is being neutralised (see :mod:`.tree`), which tags change that state depends on the tree,
so this mode reads every tag, comment and end tag, keeps :class:`~.tree.Tree` up to date and gives
every start tag that may fetch something a verdict. It hands back to the fast path as soon as
none of those holds.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .attributes import attributes, decoded, first_value
from .loaders import style_verdict
from .markup_text import double_escaped, markup_text_end, raw_context
from .nesting import read_nesting
from .neutral import BACK_TO_DATA, DOUBLE_ESCAPED
from .preload_scan import unscanned_style
from .quiet import END_NAMES, ORDINARY_GROUPS, ORDINARY_TAGS, RAW_LEAVES, ordinary_run
from .quiet_region import QUIET, quiet_region
from .select_readings import OPEN
from .tagging import HOT, next_trigger
from .tokenizer import (
    LETTERS,
    NAME_STOP,
    comment_end,
    construct_end,
    tag_close,
)
from .tree import RAW_CAPABLE, Tree

if TYPE_CHECKING:
    from .plan import RewritePlan

__all__ = ["ExactMode"]

_DATA = 0
#: What a frameset ignores of the start tags that begin raw text (noframes and noscript are raw
#: text there too, or followed as markup already).
_FRAMESET_IGNORES = RAW_CAPABLE.difference((b"noframes", b"noscript")) | {b"plaintext"}
_SELECT_IGNORES = RAW_CAPABLE.difference((b"script",)) | {b"plaintext"}  # (older parsers ignore them)
_NO_RAW: frozenset[bytes] = frozenset()
_RECORDED = frozenset({
    b"script", b"img", b"iframe", b"link", b"source", b"embed", b"object", b"noscript", b"style",
    b"textarea", b"title", b"xmp", b"noembed", b"noframes", b"plaintext", b"html", b"head", b"body",
})  # fmt: skip


class ExactMode:
    """Mixed into :class:`~.rewriter.Rewriter` (whose state it reads and writes)."""

    if TYPE_CHECKING:  # the Rewriter's state and methods this part uses
        _tree: Tree
        _neutral: set[bytes]
        _base_url: str | None
        _frameset: bool
        _state: int
        _page_seen: bool
        _in_noscript: bool
        _injected: bool
        _nonce: str | None
        _record: list[tuple[bytes, int, int]] | None
        _base: int
        _plan: RewritePlan
        _blocked: frozenset[str]
        _out: list[bytes | memoryview]
        _raw_end: re.Pattern[bytes]
        _skip: re.Pattern[bytes]

        def _may_load_third_party(self, low: bytes, c: int, end: int) -> bool: ...

        def _hold_or_pass(self, data: bytes, low: bytes, k: int, n: int, final: bool) -> tuple[int, bool]: ...
        def _push(self, end: int) -> None: ...
        def _replace(self, c: int, end: int, new: bytes) -> None: ...
        def _inject(self, at: int, nonce: str | None) -> None: ...
        def _after_tag(self, name: bytes, is_end: bool, at: int = -1) -> None: ...
        def _general(
            self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, name: bytes, foreign: bool
        ) -> None: ...
        def _style_tag(
            self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, n: int, final: bool
        ) -> bool: ...
        def _script_tag(
            self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, n: int, final: bool
        ) -> tuple[int, bool]: ...
        def _inline_in_markup(
            self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, text_end: int
        ) -> None: ...
        def _svg_script(
            self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int, text_end: int
        ) -> bool: ...
        def neutralise(self, name: bytes, at: int) -> None: ...
        def settled(self, name: bytes, at: int) -> None: ...
    else:
        __slots__ = ()

    def _exact_on(self) -> bool:
        tree = self._tree
        return bool(
            tree.stack or tree.select or self._neutral or self._base_url is not None or self._frameset
        )

    def _exact(self, data: bytes, low: bytes, pos: int, n: int, final: bool) -> tuple[int, bool]:
        """Data state, construct by construct, while the exact mode is needed."""
        cap = self._plan.tag_cap
        run = ordinary_run()
        hits: list[object] = []  # (next_trigger's memo for this buffer)
        srcdoc = -1
        hot = -1  # where HOT may next match (a tag holding it may need a verdict)
        while True:
            if not self._exact_on():
                return pos, False
            if self._base_url is None:  # (after a <base href>, every tag may need a verdict)
                if hot < pos:
                    # Every match of HOT holds one of tagging's triggers, or is an srcdoc (which
                    # tagging leaves to the <iframe> candidate; here an <iframe> may be passed
                    # as a raw-text leaf).
                    if srcdoc < pos:
                        srcdoc = low.find(b"srcdoc", pos, n) % (n + 1)
                    hot = min(next_trigger(low, pos, hits), srcdoc, n)
                stop = min(hot, pos + cap)  # (no tag in it over the cap)
                if self._tree.stack and not self._tree.lost:
                    end = self._ordinary(low, pos, stop)
                elif self._tree.stack:
                    end = run.match(low, pos, stop).end()  # type: ignore[union-attr]
                else:  # (a raw-text element closed right away leaves no trace here; table: see quiet)
                    raw = RAW_LEAVES.difference(self._neutral) if self._record is None else _NO_RAW
                    leaves = ordinary_run(raw, self._tree.select == OPEN)
                    end = leaves.match(low, pos, stop).end()  # type: ignore[union-attr]
                if end > pos:
                    pos = end
                    if not self._exact_on():  # (a breakout tag may have left foreign content)
                        return pos, False
            e = low.find(b"<", pos, n)
            if e < 0:
                return n, True
            if e + 1 >= n:
                return self._hold_or_pass(data, low, e, n, final)
            second = low[e + 1]
            if second in LETTERS:
                pos, stop = self._exact_tag(data, low, e, n, final)
                if stop or self._state != _DATA:
                    return pos, stop
                continue
            if second == 33 and low.startswith(b"<!--", e):
                end = self._comment_end(low, e, n)
            elif second == 33 and low.startswith(b"<![cdata[", e) and self._tree.stack:
                # CDATA in foreign content, a bogus comment elsewhere: read as the bogus comment
                # (it ends first) and make the CDATA end there too.
                end = low.find(b">", e)
                closed = low[end - 2 : end] == b"]]" and end - 2 >= e + 9
                if end >= 0 and not closed and (self._blocked or self._plan.known):
                    self._push(end)
                    self._out.append(b"]]")
                if end >= 0:
                    end += 1
            elif second == 47 and e + 2 < n and low[e + 2] in LETTERS:
                stop_m = NAME_STOP.search(low, e + 2, n)
                end = tag_close(low, e, stop_m.start(), n) if stop_m is not None else -1
                if end >= 0 and stop_m is not None:
                    self._exact_end(low[e + 2 : stop_m.start()], e)
            else:
                end = construct_end(low, e, n)
                if end >= 0 and low.startswith(b"<!doctype", e):
                    self._page_seen = True
            if end < 0:
                return self._hold_or_pass(data, low, e, n, final)
            pos = end

    def _ordinary(self, low: bytes, pos: int, stop: int) -> int:
        """The ordinary markup from ``pos`` (see :func:`~.quiet.ordinary_run`), up to ``stop`` at
        most, read into the tree's stack (the only thing it may change) group by group
        (:data:`~.quiet.ORDINARY_GROUPS`), plain tags nested at random by :func:`~.nesting.read_nesting`:
        a few Python steps per group, not one per tag. Where it ends (early where the stack runs out)."""
        tree = self._tree
        at = pos
        while group := ORDINARY_GROUPS[tree.full].match(low, at, stop):
            kind = group.lastgroup
            if kind == "tags" and (end := read_nesting(tree, low, at, group.end(), stop)) > at:
                at = end  # (as far as the tags are plain; what follows is read again here)
                continue
            at = group.end()
            if kind is None or kind == "leaf":
                continue  # (nothing for the tree)
            found = group.group(kind)
            if kind == "unit":
                tags = [tag for tag in ORDINARY_TAGS.findall(found) if tag[1]]
                times = (at - group.start()) // len(found)
                if len(tags) == 1 and tags[0][0]:
                    tree.repeat_end(tags[0][1], times * (2 if tags[0][3] else 1))
                else:
                    tree.repeat(tags, times)
            elif kind == "starts":
                tree.repeat([(b"", found, b"", b"")], low.count(b"<", group.start(), at))
            elif kind == "ends":
                tree.repeat_end(found, low.count(b"<", group.start(), at))
            elif kind != "closes" or not tree.closes_nothing(END_NAMES.findall(found)):
                tree.ordinary(ORDINARY_TAGS.findall(found))
            if not tree.stack or tree.full:
                break  # (the rest changes nothing, or is read with the other pattern)
        return at

    def _markup_here(self, name: bytes, foreign: bool, inside: bool) -> bool:
        """True when the start tag ``name`` (``foreign``: read as SVG/MathML; ``inside``: in foreign
        content) is read as markup, even where a raw-text start tag: another reading may ignore it."""
        return (
            foreign
            or inside
            or (bool(self._tree.select) and name in _SELECT_IGNORES)
            or (self._frameset and name in _FRAMESET_IGNORES)
        )

    def _exact_end(self, name: bytes, at: int) -> None:
        if name == b"noscript" and self._tree.in_raw_text:
            return  # (text where that element is RCDATA, the end of raw text with scripting on: neutralised)
        if name == b"script":
            self._leave_double(at)
        self.settled(name, at)
        self._tree.end(name)
        if name == b"noscript":
            self._in_noscript = False
        elif name in (b"head", b"body") and not self._injected and not self._exact_busy():
            self._inject(at, self._nonce)

    def _comment_end(self, low: bytes, c: int, n: int, whole: bool = False) -> int:
        """Where the comment at ``c`` ends (-1: not in ``low[:n]``; ``whole``: it goes out as it
        is all the same). html5lib stays in the comment start state over NULs, so ``<!--`` then
        NULs then ``>`` (or ``->``) ends it there, where browsers read on to ``-->``: each reading
        may see markup the other does not. A space after ``<!--`` makes html5lib read on too."""
        end = comment_end(low, c, n)
        if (end >= 0 or whole) and low[c + 4 : c + 5] == b"\x00" and (self._blocked or self._plan.known):
            self._push(c + 4)
            self._out.append(b" ")
        return end

    def _leave_double(self, at: int) -> None:
        """Before ``</script`` at ``at``, an end tag in the markup reading: where a script-data
        reading of the script read as markup would be double escaped there (``<!--<script>`` in
        a comment, say), the comment that takes it back to plain script data, so that the script
        ends here in every reading (see :data:`~.neutral.DOUBLE_ESCAPED`)."""
        if DOUBLE_ESCAPED in self._neutral:
            self._neutral.discard(DOUBLE_ESCAPED)
            self._push(at)
            self._out.append(BACK_TO_DATA)

    def _exact_busy(self) -> bool:
        """True where the injection must not go (another reading may see raw text there)."""
        return bool(
            self._in_noscript or self._neutral or self._tree.stack or self._tree.select or self._frameset
        )

    def _exact_tag(self, data: bytes, low: bytes, c: int, n: int, final: bool) -> tuple[int, bool]:
        """The start tag at ``c`` (data state): the tree, its verdict, the state after it."""
        stop_m = NAME_STOP.search(low, c + 1, n)
        tag_end = tag_close(low, c, stop_m.start(), n) if stop_m is not None else -1
        if tag_end < 0 or stop_m is None:
            return self._hold_or_pass(data, low, c, n, final)
        name_end = stop_m.start()
        name = low[c + 1 : name_end]
        if (
            name in QUIET
            and low[tag_end - 2] != 47
            and not (self._tree.stack or self._tree.select or self._neutral or self._base_url)
        ):
            quiet = quiet_region(low, name, tag_end, n, self._skip, self._plan.tag_cap)
            if quiet is not None and not self._may_load_third_party(low, tag_end, quiet[0]):
                # Nothing in it can change a reading or load anything: pass it whole.
                if name == b"select" or self._hot_or_based(low, c, tag_end):
                    self._general(data, low, c, name_end, tag_end, name, name != b"select")
                return quiet[1], False
        attrs = attributes(low, name_end, tag_end - 1)
        last = attrs[-1] if attrs else None
        self_closing = low[tag_end - 2] == 47 and not (
            last is not None and last[4] == tag_end - 1 and low[last[3]] not in b"\"'"
        )
        tree = self._tree
        inside = bool(tree.stack)
        text_end = -1
        context = _NO_RAW  # (what the rewriter reads as raw text in it: see markup_text)
        if name in (b"style", b"script") and (inside or self._frameset or (tree.select and name == b"style")):
            context = raw_context(inside, tree.select, self._frameset, tree.root_end)
            # Read as markup; its text is judged up to where both readings have ended it.
            text_end = markup_text_end(
                low, tag_end, min(n, tag_end + self._plan.script_cap), name, self._skip, context
            )
            if text_end < 0 and not final and n - tag_end < self._plan.script_cap:
                return c, True
            text_end = min(text_end if text_end >= 0 else n, tag_end + self._plan.script_cap)
        foreign = tree.start(name, low[c:tag_end], self_closing)
        if name == b"frameset" and not foreign:
            # Once a frameset is in force, every start tag but frameset, frame and noframes is
            # ignored, so a <title> or a <script> starts no raw text; whether it is depends on
            # what came before (frameset-ok): from here on, both readings, as in a <select>.
            self._frameset = True
        if self._record is not None and not foreign and name in _RECORDED:
            self._record.append((name, self._base + c, self._base + tag_end))
        if self._markup_here(name, foreign, inside):
            # Read as markup here; a reading that takes it for raw text ends at its end tag.
            if name == b"script" and not foreign:
                self._inline_in_markup(data, low, c, name_end, tag_end, text_end)
            elif name == b"script" and self._svg_script(data, low, c, name_end, tag_end, text_end):
                pass  # an SVG script whose text is refused: inert as a whole
            elif name == b"style" and (
                new := style_verdict(
                    self._plan, self._blocked, data, low, c, name_end, tag_end, text_end, self._base_url
                )
            ):
                self._replace(c, tag_end, unscanned_style(new, low, tag_end, text_end))
            elif self._hot_or_based(low, c, tag_end):
                self._general(data, low, c, name_end, tag_end, name, foreign)
            if name in RAW_CAPABLE:
                fresh = name not in self._neutral
                self.neutralise(name, tag_end)
                # (a reading may take it for script data from here: see _leave_double)
                if (
                    fresh
                    and name == b"script"
                    and name in self._neutral
                    and double_escaped(
                        low, tag_end, min(n, tag_end + self._plan.script_cap), self._skip, context
                    )
                ):
                    self._neutral.add(DOUBLE_ESCAPED)
            return tag_end, False
        if name == b"script":
            return self._script_tag(data, low, c, name_end, tag_end, n, final)
        if name == b"base":
            self._base_tag(data, low, c, name_end, tag_end)
            return tag_end, False
        if name == b"style":
            if self._style_tag(data, low, c, name_end, tag_end, n, final):
                return c, True
        elif self._hot_or_based(low, c, tag_end):
            self._general(data, low, c, name_end, tag_end, name, False)
        self._after_tag(name, False, tag_end)
        if self._state == 2:  # raw text: usually ends right here in the buffer
            found = self._raw_end.search(low, tag_end)
            if found is not None:
                self._state = _DATA
                return found.start(), False
        return tag_end, False

    def _hot_or_based(self, low: bytes, c: int, tag_end: int) -> bool:
        return self._base_url is not None or HOT.search(low, c, tag_end) is not None

    def _base_tag(self, data: bytes, low: bytes, c: int, name_end: int, tag_end: int) -> None:
        """The first ``<base href>`` sets the URL relative ones resolve against; one that points at
        a refused service is made inert instead (relative URLs then stay first party)."""
        before = len(self._out)
        if self._hot_or_based(low, c, tag_end):
            self._general(data, low, c, name_end, tag_end, b"base", False)
        href = first_value(data, attributes(low, name_end, tag_end - 1), b"href")
        if self._base_url is not None or href is None or len(self._out) != before:
            return  # not the first, no href, or made inert
        from ada_url import URL

        from ...catalog.urls import FIRST_PARTY

        try:
            url = URL(decoded(href).strip(), FIRST_PARTY)
        except ValueError:
            return
        if (
            url.protocol in ("http:", "https:")
            and url.href != FIRST_PARTY
            and url.hostname != "first-party.invalid"
        ):
            self._base_url = url.href
