"""The marketing-systems API under ``/consentgate/api/v1/``: keys and their auth, identity links,
opt-out status, the changes feed, opt-outs through other channels, and the OpenAPI document."""

from .routes import PREFIX, ApiRoutes

__all__ = ["PREFIX", "ApiRoutes"]
