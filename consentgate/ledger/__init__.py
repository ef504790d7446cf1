"""The proof-of-consent ledger: the record and its hash chain, verification, export, retention and
data-subject requests. The records themselves are kept by a store (:mod:`consentgate.store`)."""

from .records import ConsentRecord

__all__ = ["ConsentRecord"]
