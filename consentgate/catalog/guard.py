"""The catalog as the banner's guard reads it: every gated host in one compact, JSON-able table.

The guard (in the page, for tags that page code inserts later) answers the same question as the
rewriter, so it gets the catalog's host knowledge flattened so that a browser needs no layers:

``{"v": 1, "cats": [category, ...], "sv": [[service id, index into cats], ...],
"p": [[host suffix, JavaScript path regex, index into sv], ...], "x": {exact host: index into sv},
"h": {host suffix: index into sv}, "u": "allow" | "block", "a": [allowed host suffixes],
"f": [first-party host suffixes]}``

Look-up: the path rules first (most specific first; the regex is tested on the lower-cased
``path?query``), then ``x`` for the exact host, then ``h`` for the longest suffix. A data entry
that one of our host rules covers is left out, so the flat order keeps "our rules always win".
No hit: in ``"block"`` mode a host that is not first party (the page's own host, for ``www.`` hosts
also the apex, and ``f``) nor in ``a`` is ``unclassified`` and stays inert; else it is nobody's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .hosts import HostPolicy, covered
from .service import Service
from .tpw import TpwLayer

__all__ = ["guard_table", "js_path_regex"]


def guard_table(services: Iterable[Service], data: TpwLayer, policy: HostPolicy) -> dict[str, object]:
    """The guard's table for our ``services``, the third-party-web layer ``data`` and ``policy``."""
    cats: list[str] = []
    cat_index: dict[str, int] = {}
    sv: list[list[object]] = []
    sv_index: dict[str, int] = {}

    def index(service: Service) -> int:
        found = sv_index.get(service.id)
        if found is None:
            if service.category not in cat_index:
                cat_index[service.category] = len(cats)
                cats.append(service.category)
            found = sv_index[service.id] = len(sv)
            sv.append([service.id, cat_index[service.category]])
        return found

    ours = list(services)
    paths: list[tuple[int, list[object]]] = []
    hosts: dict[str, int] = {}
    for service in ours:
        for rule in service.paths:
            host, _, path = rule.partition("/")
            paths.append((len(path), [host.lower(), js_path_regex("/" + path), index(service)]))
        for host in service.hosts:
            hosts.setdefault(host.lower(), index(service))
    our_hosts = frozenset(hosts)
    exact: dict[str, int] = {}
    for host, service in sorted(data.exact.items()):
        if not covered(host, our_hosts):
            exact[host] = index(service)
    for host, service in sorted(data.suffixes.items()):
        if not covered(host, our_hosts):
            hosts.setdefault(host, index(service))
    paths.sort(key=lambda p: -p[0])
    return {
        "v": 1,
        "cats": cats,
        "sv": sv,
        "p": [rule for _, rule in paths],
        "x": exact,
        "h": hosts,
        "u": "block" if policy.block else "allow",
        "a": sorted(policy.allowed),
        "f": sorted(policy.first_party),
    }


def js_path_regex(path: str) -> str:
    """A catalog path rule as a JavaScript regex with the catalog's meaning (``*`` is one path
    segment; a rule not ending in ``/`` and without ``?`` ends at a segment boundary)."""
    path = path.lower()
    pattern = "^" + "[^/?#]*".join(re.sub(r"[.*+?^${}()|[\]\\/]", r"\\\g<0>", p) for p in path.split("*"))
    if not path.endswith("/") and "?" not in path:
        pattern += "(?=[/?#;]|$)"
    return pattern
