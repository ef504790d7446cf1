"""The ``[admin]`` section: the dashboard's sign-in session and the limit on failed sign-ins.

Only ``consentgate/admin/`` reads it. What the section can check on its own (ranges) is checked
here, at start-up, with one sentence naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AdminConfig"]


@dataclass(frozen=True, slots=True)
class AdminConfig:
    """The dashboard under ``/consentgate/admin/``: who may sign in, for how long."""

    #: Serve the dashboard at all (``false``: its paths answer 404 like any unknown path).
    enabled: bool = True
    #: How long a sign-in lasts; the session cookie and its signature expire together.
    session_minutes: int = 480
    #: Failed sign-ins one client address may make per ``failed_window_minutes``; then 429.
    failed_signins: int = 5
    failed_window_minutes: int = 15

    def __post_init__(self) -> None:
        if not 1 <= self.session_minutes <= 7 * 24 * 60:
            raise ValueError(f"'session_minutes' is {self.session_minutes}; use 1 to 10080 (a week at most)")
        if self.failed_signins < 1 or self.failed_window_minutes < 1:
            raise ValueError("'failed_signins' and 'failed_window_minutes' must be 1 or more")
