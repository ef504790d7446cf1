"""What the seeded fuzzers share: every document from ``random.Random(seed)`` alone, so a seed
replays exactly; the CI test checks a range, a long run goes on past failures."""

from __future__ import annotations

import sys
from collections.abc import Callable

Check = Callable[[int], "str | None"]


def check_range(check: Check, first: int, count: int, replay: str) -> None:
    """Fail at the first seed in ``[first, first + count)`` that ``check`` finds a problem with;
    ``replay`` names the environment variables that run that seed alone (``{seed}`` in it)."""
    for seed in range(first, first + count):
        problem = check(seed)
        assert problem is None, f"{problem}\n  replay: {replay.format(seed=seed)}"


def long_run(check: Check, argv: list[str] | None = None) -> None:
    """``python -m <fuzzer> FIRST COUNT``: every seed checked, one line per failing seed and a
    count every 1,000 documents."""
    args = sys.argv[1:] if argv is None else argv
    first, count = int(args[0]), int(args[1])
    failed = 0
    for seed in range(first, first + count):
        problem = check(seed)
        if problem:
            failed += 1
            print(problem, flush=True)
        if (seed - first) % 1000 == 999:
            print(f"# {seed - first + 1} documents, {failed} failing", flush=True)
