"""The inert form of a tag: its loading attributes renamed, its category and service added.

The vocabulary is shared with the banner's script and the scanner (see ``docs/ARCHITECTURE.md`` and
:mod:`.vocabulary`): ``src`` becomes ``data-cg-src``, a script's ``type`` becomes ``data-cg-type``
under a new ``type="text/plain"``, and ``data-cg-category``/``data-cg-service`` say why.
"""

from __future__ import annotations

import html
from typing import Final

from .attributes import Attr
from .catalog_protocol import ServiceLike
from .vocabulary import CATEGORY_ATTR, INERT_PREFIX, INERT_SCRIPT_TYPE, SERVICE_ATTR

__all__ = ["InertForms"]

#: How many distinct sets of added attributes are kept (there are about as many as services).
_ADDED_LIMIT: Final = 1024
#: (is a script, category to add, service id to add)
_AddedKey = tuple[bool, str | None, str | None]


class InertForms:
    """Builds inert tags, keeping the attributes it adds per (script?, category, service): a plan
    owns one, so that what it keeps belongs to one configuration and is bounded with it."""

    __slots__ = ("_added",)

    def __init__(self) -> None:
        self._added: dict[_AddedKey, bytes] = {}

    def tag(
        self,
        data: bytes,
        c: int,
        name_end: int,
        tag_end: int,
        attrs: list[Attr],
        renames: frozenset[bytes],
        category: str,
        service: ServiceLike | None,
    ) -> bytes:
        """The tag ``data[c:tag_end]`` in its inert form: the shared vocabulary added after its
        name, and ``data-cg-`` put before each of its attributes named in ``renames``."""
        has_category = has_service = False
        for attr in attrs:
            if attr[0] == CATEGORY_ATTR:
                has_category = True
            elif attr[0] == SERVICE_ATTR:
                has_service = True
        service_id = service.id if service is not None and not has_service else None
        key = (b"type" in renames, None if has_category else category, service_id)
        added = self._added.get(key)
        if added is None:
            added = _added_attributes(*key)
            if len(self._added) < _ADDED_LIMIT:
                self._added[key] = added
        out = [data[c:name_end], added]
        cursor = name_end
        for attr in attrs:
            if attr[0] in renames:  # "src" becomes "data-cg-src": the name keeps its own bytes
                out.append(data[cursor : attr[1]])
                out.append(INERT_PREFIX)
                cursor = attr[1]
        out.append(data[cursor:tag_end])
        return b"".join(out)


def _added_attributes(script: bool, category: str | None, service: str | None) -> bytes:
    out = b' type="' + INERT_SCRIPT_TYPE + b'"' if script else b""
    if category is not None:
        out += b" " + CATEGORY_ATTR + b'="' + _escape(category) + b'"'
    if service is not None:
        out += b" " + SERVICE_ATTR + b'="' + _escape(service) + b'"'
    return out


def _escape(text: str) -> bytes:
    return html.escape(text, quote=True).encode("utf-8")
