"""The ``consentgate`` command line: :func:`main` (in :mod:`.main`), the options and runners the
commands share (:mod:`.args`), and one module per command group (``check``, ``scan``, ``ledger``,
``keys``, ...)."""

from .main import main

__all__ = ["main"]
