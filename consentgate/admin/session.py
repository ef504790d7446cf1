"""The dashboard's sign-in session: a signed cookie, its CSRF token, and the same-origin check.

The cookie holds ``{"n": nonce, "k": key id}`` signed and timestamped with itsdangerous (salted apart
from the consent cookie); it is ``HttpOnly``, ``SameSite=Strict``, ``Path=/consentgate/admin/`` and
``Secure`` on https, and lasts ``[admin] session_minutes``. A visitor who has not signed in gets one
without a key id, so the sign-in form has a CSRF token too; signing in makes a fresh nonce (no
session fixation). A form's CSRF token is an HMAC of the session's nonce, so it is valid for that
session only. Signing out stores the SHA-256 of the nonce (``admin_signouts``, schema v7) until the
cookie would have expired, so every process of the site refuses the cookie from then on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..errors import HTTPError

__all__ = ["COOKIE_NAME", "Session", "Sessions", "check_same_origin", "nonce_hash"]

COOKIE_NAME = "consentgate_admin"
_PATH = "/consentgate/admin/"


@dataclass(frozen=True, slots=True)
class Session:
    """One browser's session: its nonce, and the key id it signed in with (None: not signed in)."""

    nonce: str
    key_id: str | None = None


class Sessions:
    """Makes and reads session cookies and CSRF tokens with the gate's secret.

    ``secrets`` is the gate's secret key or keys (the first signs, every one verifies, as for the
    consent cookie).
    """

    def __init__(
        self, secrets_: str | Sequence[str], minutes: int, clock: Callable[[], float] = time.time
    ) -> None:
        keys = [secrets_] if isinstance(secrets_, str) else list(secrets_)
        if not keys or not all(keys):
            raise ValueError("the admin session needs the gate's secret_key")
        # itsdangerous signs with the last key and verifies with all of them.
        self._serializer = URLSafeTimedSerializer(list(reversed(keys)), salt="consentgate.admin.session")
        self._csrf_key = hashlib.sha256(b"consentgate.admin.csrf\0" + keys[0].encode()).digest()
        self.max_age = minutes * 60
        self._clock = clock

    def read(self, headers: Mapping[bytes, bytes]) -> Session | None:
        """The session of a request's ``Cookie`` header, if it has a valid, unexpired one."""
        raw = headers.get(b"cookie")
        if not raw:
            return None
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw.decode("latin-1"))
        except Exception:  # a malformed Cookie header is no session, never an error
            return None
        morsel = jar.get(COOKIE_NAME)
        if morsel is None:
            return None
        try:
            data = self._serializer.loads(morsel.value, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("n"), str):
            return None
        key_id = data.get("k")
        return Session(data["n"], key_id if isinstance(key_id, str) else None)

    def new(self, key_id: str | None = None) -> Session:
        """A fresh session (signed in with ``key_id``, or anonymous)."""
        return Session(secrets.token_urlsafe(18), key_id)

    def cookie(self, session: Session, *, https: bool) -> str:
        """The ``Set-Cookie`` value that stores ``session``."""
        value = self._serializer.dumps({"n": session.nonce, "k": session.key_id})
        secure = "; Secure" if https else ""
        return (
            f"{COOKIE_NAME}={value}; Max-Age={self.max_age}; Path={_PATH}; HttpOnly; SameSite=Strict{secure}"
        )

    def clear_cookie(self, *, https: bool) -> str:
        """The ``Set-Cookie`` value that deletes the session cookie."""
        secure = "; Secure" if https else ""
        return f"{COOKIE_NAME}=; Max-Age=0; Path={_PATH}; HttpOnly; SameSite=Strict{secure}"

    def expiry(self) -> float:
        """When a cookie made now would expire: until then a signed-out session must be refused."""
        return self._clock() + self.max_age

    def csrf_token(self, session: Session) -> str:
        """The token every form of ``session`` carries."""
        return hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, session: Session | None, token: str) -> None:
        """A 403 unless ``token`` is ``session``'s CSRF token."""
        if session is None or not hmac.compare_digest(self.csrf_token(session), token):
            raise HTTPError(
                403,
                "csrf",
                "The form's security token does not match this session; reload the page and try again.",
            )


def nonce_hash(session: Session) -> str:
    """How a signed-out session is stored: the SHA-256 of its nonce, never the nonce itself."""
    return hashlib.sha256(session.nonce.encode()).hexdigest()


def check_same_origin(headers: Mapping[bytes, bytes], scheme: str) -> None:
    """A 403 unless a form post comes from a page of this same origin (``Origin``, else ``Referer``).

    A browser sends ``Origin`` with every form post; without it and without ``Referer`` the post is
    refused too, since it cannot be told apart from a cross-site one.
    """
    host = headers.get(b"host", b"").decode("latin-1").lower()
    own = f"{scheme}://{host}"
    origin = headers.get(b"origin", b"").decode("latin-1").lower()
    referer = headers.get(b"referer", b"").decode("latin-1").lower()
    same = origin == own if origin else referer.startswith(own + "/")
    if not host or not same or headers.get(b"sec-fetch-site") == b"cross-site":
        raise HTTPError(403, "cross_origin", "Forms of the dashboard are accepted from its own pages only.")
