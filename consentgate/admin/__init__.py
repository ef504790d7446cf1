"""The site owner's admin page under ``/consentgate/admin/``: access by API key, and the charts."""

from .page import ADMIN_PATH, STATS_PATH, AdminPage

__all__ = ["ADMIN_PATH", "STATS_PATH", "AdminPage"]
