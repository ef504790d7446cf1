"""The ``[gate]`` section: how strictly the gate takes what the app and the browser send it.

``unknown_content_type``: a response with no ``Content-Type``, or several, is rewritten when its body
sniffs as HTML the way browsers sniff it (``"sniff"``), or answered 502 instead (``"refuse"``: fail
closed). ``body_timeout_seconds``: how long the gate's own routes wait for a whole request body
before they answer 408.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigError

__all__ = ["GateConfig", "UnknownContentType"]

UnknownContentType = Literal["sniff", "refuse"]


@dataclass(frozen=True, slots=True)
class GateConfig:
    """How strictly the gate takes what it is sent (``[gate]``)."""

    #: A response without one Content-Type: ``sniff`` its body as browsers do, or ``refuse`` it (502).
    unknown_content_type: UnknownContentType = "sniff"
    #: Seconds the gate's own routes wait for a request body (then 408).
    body_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not 0 < self.body_timeout_seconds <= 3600:
            raise ConfigError("'gate.body_timeout_seconds' must be above 0 and at most 3600 (seconds).")
