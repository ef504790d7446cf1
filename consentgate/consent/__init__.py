"""The visitor's consent: the model the app reads, the signed cookie and the readable state cookie,
the decision rules (regions, regimes, GPC/DNT), reading them from a request, and the consent routes."""

from .cookie import CookieCodec, StoredChoice, new_consent_id
from .decision import Decider
from .model import Consent

__all__ = ["Consent", "CookieCodec", "Decider", "StoredChoice", "new_consent_id"]
