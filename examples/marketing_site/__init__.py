"""The consentgate demo: Callwise, a call-tracking company's marketing site (see ``app.py``)."""
