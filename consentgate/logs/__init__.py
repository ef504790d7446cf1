"""The minimal request log: one line per request, raw files of the last hours, IP-free aggregates.

:mod:`.request_log` is the request path (:class:`RequestLog`); :mod:`.lines`, :mod:`.writer` and
:mod:`.files` build, write and keep the raw lines; :mod:`.aggregate`, :mod:`.rollup` and
:mod:`.scheduler` turn them into hourly aggregates; :mod:`.stats` reads those back.
"""

from __future__ import annotations

from .request_log import RequestLog
from .rollup import RollupResult, roll_up
from .scheduler import RollupScheduler
from .stats import Stats, collect_stats
from .writer import LOGGER_NAME

__all__ = [
    "LOGGER_NAME",
    "RequestLog",
    "RollupResult",
    "RollupScheduler",
    "Stats",
    "collect_stats",
    "roll_up",
]
