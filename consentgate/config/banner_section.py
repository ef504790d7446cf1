"""The ``[banner]`` section: banner variants, texts only.

``[banner.variants.<name>]`` has a ``weight`` and text overrides per language
(``[banner.variants.<name>.texts.en] title = "…"``, the keys of ``[texts]``). Nothing else is a
variable: the buttons' equal prominence and their order are the same in every variant, so a style,
class or order key is refused at start-up like any unknown key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..gate.texts import check_texts

__all__ = ["BannerConfig", "VariantConfig", "check_variants"]

#: A name that can stand as a cookie value and a file name as it is.
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,31}\Z")


@dataclass(frozen=True, slots=True)
class VariantConfig:
    """One banner variant: how often it is shown, relative to the others, and its texts."""

    weight: float = 1.0
    #: Text overrides by language, as in ``[texts]``; a text not given is the banner's usual one.
    texts: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BannerConfig:
    """The banner's variants (none: every visitor sees the one banner)."""

    variants: dict[str, VariantConfig] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, variant in self.variants.items():
            where = f"banner.variants.{name}"
            if not _NAME_RE.match(name):
                raise ConfigError(
                    f"{where!r}: a variant name is 1-32 lower-case letters, digits, '_' or '-', such as 'short'."
                )
            if not (variant.weight > 0 and math.isfinite(variant.weight)):
                raise ConfigError(
                    f"'{where}.weight' must be a number above 0 (a share relative to the others)."
                )


def check_variants(banner: BannerConfig, categories: Sequence[str]) -> None:
    """Each variant's texts name known languages shapes, keys and categories (as ``[texts]`` does)."""
    for name, variant in banner.variants.items():
        try:
            check_texts(variant.texts, tuple(categories))
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("'texts.", f"'banner.variants.{name}.texts.", 1)) from None
