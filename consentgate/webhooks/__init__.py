"""Telling marketing systems about every choice and opt-out: Standard Webhooks signing, the outbox
events written in the same transaction as each record, and the delivery worker (in-app or
``consentgate worker``)."""
