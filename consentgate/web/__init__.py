"""The gate's HTTP toolkit: one router (with one HEAD policy) and one JSON helper for its own routes."""

from .json import MAX_BODY, read_json, send_error, send_json
from .router import Handler, Route, Router

__all__ = ["MAX_BODY", "Handler", "Route", "Router", "read_json", "send_error", "send_json"]
