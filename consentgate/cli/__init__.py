"""The ``consentgate`` command line: one entry point, one module per command group."""

from .main import main

__all__ = ["main"]
