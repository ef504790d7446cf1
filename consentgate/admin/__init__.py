"""The site owner's dashboard under ``/consentgate/admin/``: sign-in, consent analytics, operations."""

from .page import ADMIN_PATH, STATS_PATH, AdminPage

__all__ = ["ADMIN_PATH", "STATS_PATH", "AdminPage"]
