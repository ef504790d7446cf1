"""Example apps behind consentgate (the demo marketing site, FastAPI, Litestar)."""
