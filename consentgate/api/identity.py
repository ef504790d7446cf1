"""Identity links: the identifiers a site learns about a visitor, normalised and hashed.

Only ``email:<sha256>``, ``phone:<sha256>`` and ``user:<id>`` are ever stored, never a raw e-mail
address or phone number. E-mail addresses are trimmed and lower-cased; phone numbers are parsed
with ``phonenumbers`` (national numbers in ``identity.phone_region``) and written E.164 before they
are hashed, so a marketing system that hashes the same way finds the same subject.

From the site's code::

    from consentgate import link
    await link(request, email=form["email"])      # the gate puts its Linker in scope["consentgate"]
    # or, holding the middleware object:  await gate.link(request, phone="+1 415 555 0100")
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import phonenumbers
from starlette.types import Scope

from ..consent.model import Consent
from ..errors import ConsentGateError, IdentityError
from ..store.lazy import StoreOpener

__all__ = [
    "IdentityError",
    "Linker",
    "email_identifier",
    "identifiers_for",
    "link",
    "normalize_email",
    "normalize_phone",
    "phone_identifier",
    "subject_kind",
    "user_identifier",
]

_HASHED_RE = re.compile(r"^(email|phone):[0-9a-f]{64}\Z")
_USER_RE = re.compile(r"^user:[A-Za-z0-9._@+\-]{1,128}\Z")
#: Consent ids are ``secrets.token_urlsafe(16)`` (22 characters); accept a little more for imports.
_CONSENT_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{8,64}\Z")
_MAX_EMAIL = 320


def normalize_email(raw: str) -> str:
    """``raw`` trimmed and lower-cased; :class:`IdentityError` unless it looks like an address."""
    email = raw.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > _MAX_EMAIL or any(c.isspace() for c in email):
        raise IdentityError("'email' must be an e-mail address such as 'name@example.com'.")
    return email


def normalize_phone(raw: str, region: str = "") -> str:
    """``raw`` as E.164 (``+14155550100``); national numbers are read in ``region`` (e.g. ``US``)."""
    try:
        number = phonenumbers.parse(raw, region.upper() or None)
    except phonenumbers.NumberParseException:
        where = (
            f" (national numbers are read as {region})"
            if region
            else " (start it with + and the country code)"
        )
        raise IdentityError(f"'phone' is not a phone number{where}.") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentityError("'phone' is not a valid phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def email_identifier(raw: str) -> str:
    """``email:<sha256 of the normalised address>``."""
    return "email:" + _sha256(normalize_email(raw))


def phone_identifier(raw: str, region: str = "") -> str:
    """``phone:<sha256 of the E.164 number>``."""
    return "phone:" + _sha256(normalize_phone(raw, region))


def user_identifier(user_id: str | int) -> str:
    """``user:<id>``: the site's own account id (letters, digits, ``._@+-``, at most 128)."""
    identifier = f"user:{user_id}"
    if not _USER_RE.match(identifier):
        raise IdentityError("'user_id' must be 1-128 letters, digits or '._@+-'.")
    return identifier


def identifiers_for(
    *, email: str | None = None, phone: str | None = None, user_id: str | int | None = None, region: str = ""
) -> list[str]:
    """The identifiers of the values given (None skipped)."""
    found: list[str] = []
    if email is not None:
        found.append(email_identifier(email))
    if phone is not None:
        found.append(phone_identifier(phone, region))
    if user_id is not None:
        found.append(user_identifier(user_id))
    return found


def subject_kind(subject: str) -> str | None:
    """``email``, ``phone``, ``user`` or ``consent_id`` for a well-formed subject, else None."""
    if _HASHED_RE.match(subject):
        return subject.split(":", 1)[0]
    if _USER_RE.match(subject):
        return "user"
    if _CONSENT_ID_RE.match(subject):
        return "consent_id"
    return None


class Linker:
    """Links a visitor's consent id to identifiers: what the gate puts in ``scope["consentgate"]``.

    Built from ``read`` (the request's :class:`Consent`, for a request the gate did not gate), the
    ``store`` and the region that national phone numbers belong to.
    """

    __slots__ = ("_phone_region", "_read", "_store")

    def __init__(self, read: Callable[[Scope], Consent], store: StoreOpener, phone_region: str) -> None:
        self._read = read
        self._store = store
        self._phone_region = phone_region

    async def link(
        self,
        request_or_scope: Any,
        *,
        email: str | None = None,
        phone: str | None = None,
        user_id: str | int | None = None,
        source: str = "site",
    ) -> list[str]:
        """Link the visitor's consent id to the identifiers given; returns them (hashed).

        A visitor who has made no choice yet has no consent id: nothing is linked and ``[]`` returned.
        Bad values raise :class:`IdentityError`.
        """
        scope: MutableMapping[str, Any] = getattr(request_or_scope, "scope", request_or_scope)
        consent = scope.get("consent") or self._read(scope)
        found = identifiers_for(email=email, phone=phone, user_id=user_id, region=self._phone_region)
        if not consent.id or not found:
            return []
        store = await self._store()
        await store.add_links(consent.id, found, now=time.time(), source=source)
        return found


async def link(
    request_or_scope: Any,
    *,
    email: str | None = None,
    phone: str | None = None,
    user_id: str | int | None = None,
) -> list[str]:
    """Link the visitor of this request to identifiers, through the gate that handled the request.

    See :meth:`Linker.link`; raises :class:`ConsentGateError` when no gate is in the request's scope.
    """
    scope = getattr(request_or_scope, "scope", request_or_scope)
    linker = scope.get("consentgate")
    if not isinstance(linker, Linker):
        raise ConsentGateError("no consent gate in this request's scope; wrap the app in ConsentMiddleware.")
    return await linker.link(scope, email=email, phone=phone, user_id=user_id)
