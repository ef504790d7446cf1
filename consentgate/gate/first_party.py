"""The rewrite plan for a response, by the request's host: its own host is first party.

With ``blocking.unknown_third_party = "block"`` the catalog's answer for a host depends on the
request (``https://www.example.com/app.js`` is first party on www.example.com only), and the
rewriter caches answers in its plan. So a host the config does not already make first party gets
a plan of its own, over a catalog view that counts it as first party; a bounded number of them is
kept (a client that invents Host headers only costs itself cold caches). In allow mode, or for a
host the config covers, every response shares the one plan.
"""

from __future__ import annotations

from typing import Final, Protocol

from starlette.types import Scope

from .rewrite import CatalogLike, RewritePlan

__all__ = ["PlansByHost"]

#: Hosts with a plan of their own; all are dropped when one more comes (like the other caches).
_HOST_PLANS: Final = 8


class _HostAware(Protocol):
    def for_request_host(self, host: str, /) -> object: ...


class PlansByHost:
    """``plan_for(scope)``: ``(key, plan)``, ``key`` the host a plan of its own serves, else ""."""

    __slots__ = ("_catalog", "_plans", "per_host", "plan")

    def __init__(self, plan: RewritePlan) -> None:
        self.plan = plan
        catalog = plan.catalog
        policy = getattr(catalog, "policy", None)
        # Only a catalog that blocks unknown hosts answers differently per host.
        blocks = hasattr(catalog, "for_request_host") and getattr(policy, "block", False) is True
        self._catalog: _HostAware | None = catalog if blocks else None  # type: ignore[assignment]
        self._plans: dict[str, RewritePlan] = {}
        #: False when every request shares ``plan`` (``plan_for`` need not be asked).
        self.per_host = self._catalog is not None

    def plan_for(self, scope: Scope) -> tuple[str, RewritePlan]:
        """The plan for the request of ``scope`` and the host that keys it ("" for the shared one)."""
        catalog = self._catalog
        if catalog is None:
            return "", self.plan
        host = _host(scope)
        if not host:
            return "", self.plan
        plan = self._plans.get(host)
        if plan is None:
            view = catalog.for_request_host(host)
            if view is catalog:
                return "", self.plan
            if len(self._plans) >= _HOST_PLANS:
                self._plans.clear()
            plan = self._plans[host] = self._plan_over(view)  # type: ignore[arg-type]
        return host, plan

    def _plan_over(self, catalog: CatalogLike) -> RewritePlan:
        """A plan like the shared one over another view of the catalog (with caches of its own)."""
        base = self.plan
        return RewritePlan(
            catalog,
            injection=base.injection,
            categories=base.known,
            tag_cap=base.tag_cap,
            script_cap=base.script_cap,
            hold_cap=base.hold_cap,
        )


def _host(scope: Scope) -> str:
    """The request's host: the Host header without its port (else the server's name)."""
    for name, value in scope.get("headers") or ():
        if name == b"host":
            text: str = value.decode("latin-1").strip().lower()
            if text.startswith("["):
                return text[: text.find("]") + 1]
            return text.partition(":")[0].rstrip(".")
    server = scope.get("server")
    return str(server[0]).lower() if server else ""
