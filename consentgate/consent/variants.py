"""Banner variants: which one a visitor sees, kept in a small cookie until they choose.

An undecided visitor without a valid ``<cookie name>_variant`` cookie is assigned a variant at random,
in proportion to the weights of ``[banner.variants]``, by a cookie set on the HTML response (beside the
default state cookie; the HTML itself stays the same for everyone, so caches need no ``Vary``). The
banner reads the cookie and lays the variant's texts over its own; the choice records the variant and
deletes the cookie. Only texts vary: the buttons, their prominence and their order never do.
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
from collections.abc import Iterable, Mapping

from ..config import Config
from .reader import cookie_value

__all__ = ["Variants"]

Header = tuple[bytes, bytes]


class Variants:
    """The variants of one configuration: assignment, the cookie's headers and the texts."""

    def __init__(self, config: Config) -> None:
        variants = config.banner.variants
        if not variants:
            raise ValueError("no [banner.variants] configured; use Variants.from_config")
        #: The cookie that keeps a visitor's variant (readable by the banner).
        self.cookie_name = f"{config.cookie.name}_variant"
        self.names: tuple[str, ...] = tuple(variants)
        self._cumulative = list(itertools.accumulate(v.weight for v in variants.values()))
        self._total = self._cumulative[-1]
        # Its own generator: assignment must not depend on (or disturb) the app's use of `random`.
        self._random = random.Random(os.urandom(16))
        self._prefix = self.cookie_name + "="
        self._pair = self._prefix.encode("latin-1")
        attributes = "; Path=/; SameSite=Lax" + (
            f"; Domain={config.cookie.domain}" if config.cookie.domain else ""
        )
        max_age = config.cookie.max_age_days * 86400
        #: The Set-Cookie header of each variant, by "the request is https", then by name.
        self.headers: dict[bool, dict[str, Header]] = {
            secure: {
                name: (
                    b"set-cookie",
                    f"{self._prefix}{name}{attributes}; Max-Age={max_age}{'; Secure' if secure else ''}".encode(),
                )
                for name in self.names
            }
            for secure in (False, True)
        }
        #: The header that deletes the cookie once the visitor has chosen, by "the request is https".
        self.deletions: dict[bool, Header] = {
            secure: (
                b"set-cookie",
                f"{self._prefix}{attributes}; Max-Age=0{'; Secure' if secure else ''}".encode(),
            )
            for secure in (False, True)
        }
        self._texts = {name: variant.texts for name, variant in variants.items()}

    @classmethod
    def from_config(cls, config: Config) -> Variants | None:
        """The variants of ``config``, or None when it has none (nothing to assign)."""
        return cls(config) if config.banner.variants else None

    def pick(self) -> str:
        """A variant at random, each as often as its weight says."""
        at = bisect.bisect_right(self._cumulative, self._random.random() * self._total)
        return self.names[min(at, len(self.names) - 1)]

    def of(self, headers: Iterable[tuple[bytes, bytes]]) -> str:
        """The variant the request's cookie names, or ``""`` when it names none that exists."""
        for name, value in headers:
            if name == b"cookie" and value.find(self._pair) >= 0:  # (bytes' `in` tries an int first)
                found = cookie_value(value.decode("latin-1"), self._prefix)
                if found in self._texts:
                    return found
        return ""

    def assign(
        self, headers: Iterable[tuple[bytes, bytes]], *, secure: bool, cookie: bytes | None = None
    ) -> Header | None:
        """The Set-Cookie header that assigns a variant, or None when the request keeps a valid one.

        ``cookie``: the request's Cookie headers joined, when the caller has them: without the
        variant cookie's name in it, the headers need no second look.
        """
        if (cookie is None or cookie.find(self._pair) >= 0) and self.of(headers):
            return None
        return self.headers[secure][self.pick()]

    def overrides_for(self, language: str) -> dict[str, dict[str, str]]:
        """Each variant's text overrides in ``language`` (none where it gives none for it: a visitor
        never reads another language's override)."""
        return {name: dict(texts.get(language, {})) for name, texts in self._texts.items()}

    def texts(self) -> Mapping[str, Mapping[str, Mapping[str, str]]]:
        """Every variant's overrides, by variant and language, as configured."""
        return self._texts
