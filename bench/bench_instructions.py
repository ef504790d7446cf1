"""What the gate adds per request, counted in CPU instructions: repeatable on a noisy machine.

Wall-clock and even CPU-time figures on a shared 2-core VM swing by a third from run to run, which hides
a change of a few per cent. Instruction counts (valgrind's callgrind) do not depend on the machine's
load: the same tree gives the same count to a few parts in a million. Each variant runs in its own
process under callgrind: once with ``--warmup`` requests only (imports, start-up, and what the first
requests do once: lazy imports, caches filled) and once with ``--requests`` more, called straight on
the ASGI app (no server, no sockets), so the difference divided by the count is the cost of one
request in a warm server. Variants: a Starlette JSON endpoint bare and gated (no choice yet;
a signed consent cookie), and the 20 KB demo page of ``bench_http.py`` bare and gated; then both gated
with the request log on (``[logging] enabled = true``, lines to a file, no choice yet): "log adds" is
what the log costs on top of the gate, its writer thread's work (every line built and written before
the process ends) included.

    .venv/bin/python bench/bench_instructions.py [--requests 2000] [--warmup 50] [--tree DIR]

``--tree`` measures another checkout of consentgate (e.g. a ``git worktree`` of an older commit)
with this script, so two trees compare side by side: run it once per tree.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("json bare", "json gated, no choice yet", "json gated, consent cookie",
            "html bare", "html gated, no choice yet", "html gated, consent cookie",
            "json gated, request log", "html gated, request log")  # fmt: skip


def _apps() -> dict[str, tuple[Any, list[tuple[bytes, bytes]]]]:
    """Every variant's ASGI app and request headers (imports the tree on sys.path)."""
    from bench_http import html_page
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from consentgate import ConsentMiddleware

    try:
        from consentgate.consent.cookie import StoredChoice
    except ImportError:  # a tree from before the package had subpackages
        from consentgate.consent_cookie import StoredChoice  # type: ignore[import-not-found,no-redef]

    async def status(request: Request) -> Response:
        return JSONResponse({"ok": True})

    body = html_page().encode()

    async def page(scope: Any, receive: Any, send: Any) -> None:
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    folder = tempfile.mkdtemp(prefix="bench-instructions-")
    secret = "bench-secret-key-not-for-production"
    json_app = Starlette(routes=[Route("/", status)])
    json_gate = ConsentMiddleware(json_app, secret_key=secret, database=f"sqlite:///{folder}/json.db")
    html_gate = ConsentMiddleware(page, secret_key=secret, database=f"sqlite:///{folder}/html.db")
    choice = StoredChoice(
        "bench-consent-id-0001", frozenset({"necessary"}), json_gate.config.revision, int(time.time())
    )
    cookie = [(b"cookie", f"consentgate={json_gate.codec.encode(choice)}".encode())]
    logging = {"enabled": True, "path": f"{folder}/logs/requests.log", "rollup_every_minutes": 0}
    json_log = ConsentMiddleware(
        json_app, secret_key=secret, database=f"sqlite:///{folder}/json-log.db", logging=logging
    )
    html_log = ConsentMiddleware(
        page, secret_key=secret, database=f"sqlite:///{folder}/html-log.db", logging=logging
    )
    return {
        "json bare": (json_app, []),
        "json gated, no choice yet": (json_gate, []),
        "json gated, consent cookie": (json_gate, cookie),
        "html bare": (page, []),
        "html gated, no choice yet": (html_gate, []),
        "html gated, consent cookie": (html_gate, cookie),
        "json gated, request log": (json_log, []),
        "html gated, request log": (html_log, []),
    }


async def _serve(variant: str, requests: int) -> None:
    app, extra = _apps()[variant]
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench"), (b"accept", b"text/html"), *extra]
    scope = {
        "type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": "/",
        "raw_path": b"/", "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    for _ in range(requests):
        await app(dict(scope), receive, send)


def _count(tree: Path, variant: str, requests: int) -> int:
    """Instructions of one process that serves ``requests`` requests of ``variant``, warm-up included."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": f"{tree}{os.pathsep}{tree / 'bench'}"}
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, __file__, "--serve", variant, "--requests", str(requests),
        ]  # fmt: skip
        subprocess.run(command, env=env, check=True, capture_output=True)
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no total")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="requests per variant (default 2000)")
    parser.add_argument(
        "--warmup", type=int, default=50, help="requests served first, in both counts (default 50)"
    )
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    parser.add_argument(
        "--only",
        choices=("all", "log"),
        default="all",
        help="'log': the bare, no-choice and request-log variants",
    )
    parser.add_argument("--serve", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        # The measured tree's own bench_http (on PYTHONPATH), not the one beside this script, which
        # Python put first on the path.
        if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
            del sys.path[0]
        asyncio.run(_serve(args.serve, args.requests))
        return 0
    if shutil.which("valgrind") is None:
        print("bench_instructions: valgrind is not installed (apt-get install valgrind); skipped.")
        return 0
    tree = args.tree.resolve()
    print(
        f"Instructions per request (callgrind, {args.requests} requests per variant after "
        f"{args.warmup}), tree {tree}"
    )
    warmup, requests = args.warmup, args.requests
    variants = VARIANTS if args.only == "all" else tuple(v for v in VARIANTS if "cookie" not in v)
    per_request = {
        variant: (_count(tree, variant, warmup + requests) - _count(tree, variant, warmup)) / requests
        for variant in variants
    }
    print(f"{'variant':<28}  {'instructions':>12}  {'gate adds':>10}")
    for variant, count in per_request.items():
        bare = per_request[f"{variant.split()[0]} bare"]
        added = "" if variant.endswith("bare") else f"{count - bare:>+10,.0f}"
        print(f"{variant:<28}  {count:>12,.0f}  {added:>10}")
    for kind in ("json", "html"):
        if f"{kind} gated, request log" in per_request:
            log_adds = per_request[f"{kind} gated, request log"] - per_request[f"{kind} gated, no choice yet"]
            print(f"{kind}: the request log adds {log_adds:+,.0f} instructions per request to the gate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
