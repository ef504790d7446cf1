"""The rewrite plan: what a rewrite needs that depends only on the gate's configuration.

Built once per configuration and shared by every response's :class:`~.rewriter.Rewriter`; it
owns everything the rewriters remember between pages (the caches, the inert forms' pieces, the
memory of segments), so no state lives at module level.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from typing import Final

from ada_url import join_url

from .attributes import EVERY_READING, Reading, decodings, reading_of
from .caches import VerdictCaches
from .catalog_protocol import CatalogLike, ServiceLike
from .css import script_urls
from .inert import InertForms
from .memo_store import SegmentMemo

__all__ = ["HOLD_CAP", "SCRIPT_CAP", "TAG_CAP", "UNCLASSIFIED", "RewritePlan"]

#: A construct cut by a chunk boundary and longer than this is followed from where its scan stopped
#: instead of being read again from its start with each piece (a comment, a bogus comment and a
#: CDATA section pass unchanged; a tag is held back until it is complete, up to HOLD_CAP).
TAG_CAP: Final = 64 * 1024
#: The most a rewrite holds back at once (a tag cut by a chunk boundary): past it, the rewrite
#: ends before that tag (what it would load is not known, so nothing of it goes out).
HOLD_CAP: Final = 8 * 1024 * 1024
#: Only this much of an inline script is held back and shown to the catalog's snippet signatures.
SCRIPT_CAP: Final = 64 * 1024
_MISSING: Final = object()
#: A host's answer when the URL's path decides (the catalog has path rules for the host).
_BY_PATH: Final = object()
#: An http(s) or scheme-relative URL as written, up to the end of an authority that is a host of
#: ASCII letters, digits, dots and hyphens alone (no userinfo, port, escape, tab or newline):
#: every URL with the same authority bytes has the same host, whatever follows.
_PLAIN_AUTHORITY: Final = re.compile(rb"(?:[hH][tT][tT][pP][sS]?:)?//([A-Za-z0-9.-]++)(?=[/?#]|\Z)")
#: What a relative URL needs to leave the page's own origin: "//", a backslash (read as "/"), a
#: character reference, a scheme, or a slash then a tab or newline (browsers drop those, so another
#: slash may follow). One search, not five (bytes' "in" first tries an integer, and fails).
_MAY_LEAVE: Final = re.compile(rb"//|[\\&:]|/[\t\n\r]")
#: The category of a host no list knows, in deny-by-default mode: its loading tags stay inert, but a
#: script's text that merely names it (an XML namespace, a link) does not make the script inert.
UNCLASSIFIED: Final = "unclassified"


class RewritePlan:
    """Everything a rewrite needs that depends only on the gate's configuration; built once.

    ``catalog`` answers which service a URL or an inline snippet belongs to. ``injection`` gives the
    bytes to insert for a CSP nonce (``consentgate.gate.injection.Injection.render``), or None for no
    injection. ``categories`` are the config's categories: a tag explicitly assigned to a category
    not among them is treated as refused (a typo must not let a tag run). ``tag_cap``,
    ``script_cap`` and ``hold_cap`` bound what a rewriter holds back (see :mod:`.rewriter`).

    ``reading``: how the bytes of a value, a script or a style are read (:func:`read_as` gives the
    plan for a page in a known encoding; this one, for a page whose encoding is not known, reads
    them in every encoding a browser may decode it in).
    """

    __slots__ = (
        "_by_authority",
        "_readings",
        "_views",
        "caches",
        "catalog",
        "hold_cap",
        "inert",
        "injection",
        "known",
        "memo",
        "reading",
        "script_cap",
        "tag_cap",
    )

    def __init__(
        self,
        catalog: CatalogLike,
        *,
        injection: Callable[[str | None], bytes] | None = None,
        categories: Iterable[str] = (),
        tag_cap: int = TAG_CAP,
        script_cap: int = SCRIPT_CAP,
        hold_cap: int = HOLD_CAP,
    ) -> None:
        if tag_cap < 16 or script_cap < 1 or hold_cap < tag_cap:
            raise ValueError("tag_cap must be at least 16, script_cap at least 1, hold_cap at least tag_cap.")
        self.catalog = catalog
        #: The catalog's answer per URL authority (see ``Catalog.match_authority``), when it has one.
        self._by_authority: Callable[[str], tuple[bool, ServiceLike | None]] | None = getattr(
            catalog, "match_authority", None
        )
        self.injection = injection
        self.known = frozenset(categories)
        self.tag_cap = tag_cap
        self.script_cap = script_cap
        self.hold_cap = hold_cap
        self.caches = VerdictCaches()
        self.inert = InertForms()
        self.memo = SegmentMemo()
        self.reading: Reading = EVERY_READING
        #: The plan per page encoding (shared by the views), and per reading.
        self._views: dict[str | None, RewritePlan] = {None: self}
        self._readings: dict[str | None, RewritePlan] = {None: self}

    def read_as(self, encoding: str | None) -> RewritePlan:
        """This plan for a page a browser decodes in ``encoding`` (a WHATWG name, None: not known):
        the same catalog, injection and memory of segments, but the readings of that encoding only,
        and verdict caches of its own (a verdict on bytes that are not ASCII depends on the
        reading). Built once per reading; a page in an encoding whose readings are not known to
        :func:`~.attributes.reading_of` gets this one, every reading."""
        view = self._views.get(encoding)
        if view is None:
            reading = reading_of(encoding)
            view = self._readings.get(reading.name)
            if view is None:
                view = copy.copy(self)  # (the views share everything but these two, and the tables)
                view.reading = reading
                view.caches = VerdictCaches()
                self._readings[reading.name] = view
            self._views[encoding] = view
        return view

    def match_url(self, raw: bytes) -> ServiceLike | None:
        """The service of a URL as written in an attribute (quotes stripped, entities not decoded)."""
        caches = self.caches
        service = caches.url.get(raw, _MISSING)
        if service is not _MISSING:  # (no KeyError: the callers have just missed it themselves)
            return service  # type: ignore[return-value]
        plain = _PLAIN_AUTHORITY.match(raw)
        if plain is not None:
            # The common case: the answer is the host's, unless the catalog has path rules for it.
            host = plain.group(1)
            service = caches.host.get(host, _MISSING)
            if service is _MISSING:
                service = self._authority(host)
            if service is not _BY_PATH:
                caches.remember_url(raw, service)  # type: ignore[arg-type]
                return service  # type: ignore[return-value]
        service = None
        # Else relative: first party (browsers drop tabs and newlines, so "/\n/host" is "//host").
        if _MAY_LEAVE.search(raw) is not None:
            for url in decodings(raw, self.reading):
                service = self.catalog.match_url(url)
                if service is not None:
                    break
        caches.remember_url(raw, service)
        return service

    def _authority(self, host: bytes) -> object:
        """The catalog's answer for every URL whose authority is ``host``, or _BY_PATH when the
        path may matter (or the catalog cannot tell), remembered."""
        answer: object = _BY_PATH
        if self._by_authority is not None:
            host_only, service = self._by_authority(host.decode("ascii"))
            if host_only:
                answer = service
        self.caches.remember_host(host, answer)
        return answer

    def match_text_url(self, url: str, base: str | None = None) -> ServiceLike | None:
        """The service of a URL as a browser reads it (character references decoded) in a page
        whose ``<base href>`` is ``base`` (None: the page's own origin, first party), or, when that
        names none, as it reads it without: the rewriter takes the first ``<base href>`` that is
        not first party, a browser the first of all (one that is first party resolves a URL like
        ``https:host/x`` to a path of the page's own host, a judge that does not know that host
        to ``host``)."""
        key = (url, base)
        cache = self.caches.text_url
        try:
            return cache[key]
        except KeyError:
            pass
        service = None
        if base is not None:
            try:
                joined = join_url(base, url)
            except ValueError:
                joined = ""
            service = self.catalog.match_url(joined) if joined else None
        if service is None and url:
            service = self.catalog.match_url(url)
        self.caches.remember_text_url(key, service)
        return service

    def match_inline(self, text: bytes) -> ServiceLike | None:
        """The service whose snippet signature an inline script's text carries."""
        caches = self.caches
        try:
            return caches.inline[text]
        except KeyError:
            pass
        service = self.catalog.match_inline(text.decode("latin-1"))
        caches.remember_inline(text, service)
        return service

    def match_inline_urls(self, text: bytes, blocked: frozenset[str]) -> ServiceLike | None:
        """The first refused service whose URL an inline script's text names (JavaScript's
        escaped slashes decoded); only texts holding ``//`` or ``http:`` are read."""
        if text.find(b"/") < 0 and text.find(b"http") < 0 and text.find(b"\\") < 0:
            return None
        for url in script_urls(text.decode("utf-8", "replace")):
            service = self.match_text_url(url)
            if (
                service is not None
                and service.category != UNCLASSIFIED
                and self.refuses(service.category, blocked)
            ):
                return service
        return None

    def refuses(self, category: str, blocked: frozenset[str]) -> bool:
        """Whether a tag of ``category`` is made inert when ``blocked`` are refused: ``necessary``
        never is, and neither a blocked category nor one the config does not know may run."""
        if category == "necessary":
            return False
        known = self.known
        return category in blocked or (bool(known) and category not in known)
