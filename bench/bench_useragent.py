"""User-agent parsing: ``user-agents`` (what consentgate uses) against ua-parser's accelerated backend.

Over bench/useragents.txt (about 200 distinct real-shaped strings), prints microseconds per parse
cold (a fresh parser, every string seen for the first time) and cached (every string seen before),
for ``consentgate.useragent.summarize`` (user-agents behind an LRU cache) and, when installed,
ua-parser 1.x with its ``regex`` backend (``pip install 'ua-parser[regex]'``, Rust) behind its own cache.
The accelerated backend is optional: without it only the user-agents rows are printed.

    .venv/bin/python bench/bench_useragent.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _harness import BENCH_DIR, print_table

from consentgate.logs import useragent

_RegexResolver: Any
try:  # Only this benchmark uses the accelerated backend; bench/run works without it.
    import ua_parser
    from ua_parser.regex import Resolver as _RegexResolver
except ImportError:  # pragma: no cover - depends on the environment
    _RegexResolver = None


def load_agents() -> list[str]:
    """The distinct user-agent strings of bench/useragents.txt."""
    lines = (BENCH_DIR / "useragents.txt").read_text().splitlines()
    return list(dict.fromkeys(line for line in lines if line.strip() and not line.startswith("#")))


def _per_parse_us(parse: Callable[[str], Any], agents: list[str]) -> float:
    started = time.perf_counter()
    for agent in agents:
        parse(agent)
    return (time.perf_counter() - started) / len(agents) * 1e6


def _measure(make: Callable[[], Callable[[str], Any]], agents: list[str], repeat: int) -> tuple[float, float]:
    colds, warms = [], []
    for _ in range(repeat):
        parse = make()
        colds.append(_per_parse_us(parse, agents))
        warms.append(min(_per_parse_us(parse, agents) for _ in range(20)))
    return statistics.median(colds), statistics.median(warms)


def _user_agents() -> Callable[[str], Any]:
    useragent.summarize.cache_clear()
    return useragent.summarize


def _ua_parser_regex() -> Callable[[str], Any]:
    assert _RegexResolver is not None
    parser = ua_parser.Parser(
        ua_parser.CachingResolver(_RegexResolver(ua_parser.loaders.load_builtins()), ua_parser.Cache(4096))
    )
    return parser.parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="fresh parsers per variant (default 5)")
    args = parser.parse_args(argv)
    agents = load_agents()
    variants: dict[str, Callable[[], Callable[[str], Any]]] = {"user-agents + lru_cache (used)": _user_agents}
    if _RegexResolver is not None:
        variants["ua-parser[regex] + its cache"] = _ua_parser_regex
    else:
        print("ua-parser's regex backend is not installed (pip install 'ua-parser[regex]'): skipped\n")
    rows = []
    for name, make in variants.items():
        cold, warm = _measure(make, agents, args.repeat)
        rows.append([name, f"{cold:,.1f}", f"{warm:,.3f}"])
    print_table(
        f"User-agent parse, {len(agents)} distinct strings, median of {args.repeat} fresh parsers",
        ["parser", "cold us/parse", "cached us/parse"],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
