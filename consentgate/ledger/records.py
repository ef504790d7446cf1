"""The consent record: append-only proof of each choice, chained by hash per consent id."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

__all__ = [
    "ACTIONS",
    "OPTIONAL_FIELDS",
    "Action",
    "ConsentRecord",
    "content_hash",
    "granted_list",
    "link_hash",
    "record_hash",
]

Action = Literal["accept_all", "reject_all", "save_choices", "withdraw", "gpc_opt_out", "api_opt_out"]
ACTIONS: tuple[str, ...] = (
    "accept_all",
    "reject_all",
    "save_choices",
    "withdraw",
    "gpc_opt_out",
    "api_opt_out",
)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One recorded choice.

    ``categories`` is what the visitor chose; ``effective`` the state that applied after privacy
    signals (GPC wins over "accept all" for the categories it refuses), None where it equals the
    choice's (records written before it was kept, and records that no signal changed may leave it
    out). ``regimes`` is the regime applied per category (``opt-in``: refused until granted;
    ``opt-out``: granted until refused) and ``variant`` the banner variant the visitor was shown.

    ``prev_hash`` and ``hash`` are filled in by the store when it appends the record, inside the
    same transaction that reads the previous record of the consent id, so the chain has no gaps.
    """

    record_id: str
    consent_id: str
    time: float  # UTC seconds since the epoch
    action: str
    categories: Mapping[str, bool]
    config_revision: int
    shown_hash: str  # hash of the banner text and config that was shown (stored once, by hash)
    language: str = ""
    host: str = ""
    regime: str = ""
    gpc: bool = False
    dnt: bool = False
    region: str | None = None  # country code, never the IP
    ua_family: str = ""  # browser family, never the full user agent
    expires_at: float = 0.0
    source: str = "banner"  # banner, gpc, api, phone, sms, email, form
    prev_hash: str = ""
    hash: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    effective: Mapping[str, bool] | None = None
    regimes: Mapping[str, str] | None = None
    variant: str = ""

    @property
    def state(self) -> Mapping[str, bool]:
        """The effective state of every category: what applied, signals included."""
        return self.categories if self.effective is None else self.effective

    def chained(self, prev_hash: str, content: str | None = None) -> ConsentRecord:
        """This record with its place in the chain filled in (``content``: its content hash, if known)."""
        content = content or self.content_hash()
        return replace(self, prev_hash=prev_hash, hash=link_hash(prev_hash, content))

    def content_hash(self) -> str:
        """SHA-256 of the record's content (every field but ``prev_hash`` and ``hash``)."""
        return content_hash(self.to_json())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConsentRecord:
        """The record :meth:`to_json` wrote (unknown keys are refused by the constructor)."""
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        """Every field as plain JSON data; the optional fields only when set.

        Leaving an unset optional field out keeps the content (and so the content hash) of a record
        exactly what it was before the field existed: old records still verify after a round trip.
        """
        # Not dataclasses.asdict: its recursive deep copy was most of the cost of an append.
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["categories"] = dict(self.categories)
        data["extra"] = dict(self.extra)
        if self.effective is not None:
            data["effective"] = dict(self.effective)
        if self.regimes is not None:
            data["regimes"] = dict(self.regimes)
        if self.variant:
            data["variant"] = self.variant
        return data


#: Fields added after the first release: absent from a record's JSON while unset.
OPTIONAL_FIELDS: tuple[str, ...] = ("effective", "regimes", "variant")
_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ConsentRecord) if f.name not in OPTIONAL_FIELDS)


def granted_list(state: Mapping[str, bool]) -> str:
    """The granted categories of ``state`` in its order, comma-wrapped (``,necessary,analytics,``).

    The form of the ledger's ``effective`` and ``chosen`` columns: ``LIKE '%,analytics,%'`` finds a
    category on every backend.
    """
    granted = [name for name, ok in state.items() if ok]
    return "," + ",".join(granted) + "," if granted else ""


def record_hash(fields: Mapping[str, Any]) -> str:
    """The chain hash of a record given as a mapping of its fields: ``link_hash(prev, content)``."""
    return link_hash(str(fields.get("prev_hash", "")), content_hash(fields))


def content_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of every field but ``prev_hash`` and ``hash``.

    The chain hash is two-level (content, then link) so that a data-subject deletion can drop the
    content of a record and keep its content hash: the chain of link hashes still verifies.
    """
    body = {k: v for k, v in fields.items() if k not in _CHAIN_FIELDS}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_default)
    return hashlib.sha256(canonical.encode()).hexdigest()


def link_hash(prev_hash: str, content: str) -> str:
    """SHA-256 (hex) of ``prev_hash + "\\n" + content``; PostgreSQL computes the same in SQL."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


_CHAIN_FIELDS = frozenset({"prev_hash", "hash"})


def _default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot hash {type(value).__name__}")
