"""The marketing-systems API under ``/consentgate/api/v1/`` (opt-out status, changes, opt-outs, links)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .routes import PREFIX, ApiRoutes

if TYPE_CHECKING:
    from ..middleware import ConsentMiddleware

__all__ = ["PREFIX", "ApiRoutes", "install_api"]


def install_api(gate: ConsentMiddleware) -> ApiRoutes | None:
    """Route every path under :data:`PREFIX` of ``gate`` to the API (unless ``api.enabled`` is false)."""
    if not gate.config.api.enabled:
        return None
    api = ApiRoutes(gate)
    gate.routes.add(PREFIX, "*", api.handle, prefix=True)
    return api
