"""The service catalog with third-party-web's data: build time, memory, and host look-ups.

    .venv/bin/python bench/bench_catalog.py

Build: ``load_builtin()`` plus the ``Catalog`` (our services, the Open Cookie Database, the
third-party-web layer), in a fresh interpreter each time (imports done before the clock starts),
median of 5 (wall clock and CPU time: on a loaded machine the CPU time is the steadier figure);
target < 300 ms. Memory: what the built catalog holds (tracemalloc, after a
collection), target < 20 MB. Look-ups: uncached ``match_host`` of distinct hosts (6 labels, every
one probed) against our services alone and against the full catalog: the cost must not grow with
the number of services (one dict probe per label suffix and layer).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

_CHILD = r"""
import gc, json, sys, time, tracemalloc
from consentgate.catalog.catalog import Catalog
from consentgate.catalog.loading import load_builtin
gc.collect()
tracemalloc.start()
start, cpu = time.perf_counter(), time.process_time()
services, ocd, data = load_builtin()
catalog = Catalog(services, ocd=ocd, data=data)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
gc.collect()
held = tracemalloc.get_traced_memory()[0]
print(json.dumps({"ms": elapsed * 1000, "cpu_ms": cpu * 1000, "bytes": held, "services": len(catalog.services),
                  "data_services": len(catalog.data_services)}))
"""

_CHILD_FAST = _CHILD.replace("tracemalloc.start()", "")


def _child(code: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = json.loads(out)
    return result


def _lookups() -> tuple[float, float]:
    from consentgate.catalog.catalog import Catalog

    full = Catalog.builtin()
    ours = Catalog(full.services.values())
    rounds = 20_000
    per: list[float] = []
    for catalog in (ours, full):
        hosts = [f"h{i}.cdn.assets.eu.vendor-{i % 97}.com" for i in range(rounds)]
        start = time.perf_counter_ns()
        for host in hosts:
            catalog.match_host(host)
        per.append((time.perf_counter_ns() - start) / rounds)
    return per[0], per[1]


def main() -> None:
    builds = [_child(_CHILD_FAST) for _ in range(5)]
    memory = _child(_CHILD)
    ms = statistics.median(b["ms"] for b in builds)
    cpu_ms = statistics.median(b["cpu_ms"] for b in builds)
    ours_ns, full_ns = _lookups()
    print("catalog (our services + Open Cookie Database + third-party-web)")
    print(f"  services: {int(memory['services'])} ours, {int(memory['data_services'])} from third-party-web")
    print(
        f"  build:    {ms:7.1f} ms median of 5 (target < 300 ms); {cpu_ms:.1f} ms of CPU (a busy machine inflates the first)"
    )
    print(f"  memory:   {memory['bytes'] / 1e6:7.2f} MB held after the build, tracemalloc (target < 20 MB)")
    print(f"  lookup:   {ours_ns:7.0f} ns per uncached host, our services only")
    print(f"            {full_ns:7.0f} ns per uncached host, full catalog ({full_ns / ours_ns:.2f}x)")


if __name__ == "__main__":
    main()
