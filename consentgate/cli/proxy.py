"""``consentgate proxy``: the gate in front of any website, served by uvicorn.

``consentgate proxy --upstream URL [--listen HOST:PORT] [--workers N] [--config FILE]``. Each worker
process builds its own app (its own ``httpx`` connection pool, its own store connections) with
:func:`worker_app`, a uvicorn factory that reads what the command decided from the environment
(:data:`UPSTREAM_ENV`, :data:`CONFIG_ENV`, :data:`SECRET_ENV`); so ``--workers N`` and a process
manager that starts ``uvicorn consentgate.cli.proxy:worker_app --factory`` itself work alike.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import Config, load_config
from ..config.proxy_section import check_upstream
from ..errors import ConfigError
from .args import bind_socket, config_path, description, usage

__all__ = ["CONFIG_ENV", "SECRET_ENV", "UPSTREAM_ENV", "parse_listen", "register", "run", "worker_app"]

#: The signing key of the consent cookie (the same in every worker and on every machine).
SECRET_ENV = "CONSENTGATE_SECRET_KEY"  # noqa: S105 - the variable's name, not a secret
#: The upstream URL (overrides ``proxy.upstream`` of the config).
UPSTREAM_ENV = "CONSENTGATE_PROXY_UPSTREAM"
#: The config file (TOML); unset or empty: the defaults.
CONFIG_ENV = "CONSENTGATE_CONFIG"
DEFAULT_LISTEN = "127.0.0.1:8000"


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``PORT`` as (host, port); ValueError with a sentence otherwise."""
    host, port = "127.0.0.1", text
    if text.startswith("["):
        end = text.find("]:")
        if end < 0:
            raise ValueError(f"--listen {text!r}: write an IPv6 address as [::1]:8000")
        host, port = text[1:end], text[end + 2 :]
    elif ":" in text:
        host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"--listen {text!r} is not HOST:PORT with a port 1-65535, e.g. 127.0.0.1:8000")
    return host, int(port)


def _proxy_config(config_file: str | None, upstream: str | None) -> Config:
    config = load_config(config_file) if config_file else load_config()
    if upstream:
        config = load_config(config, proxy={**_section(config), "upstream": upstream})
    if not config.proxy.upstream:
        raise ConfigError(
            "no upstream to forward to; pass --upstream URL or set 'proxy.upstream' in the config."
        )
    return config


def _section(config: Config) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(config.proxy)


class _Served:
    """The gated proxy as served: lifespan closes the proxy's client and the gate's store and log."""

    def __init__(self, config: Config, secret_key: str) -> None:
        from .. import ConsentMiddleware  # the public API, as a user serves it
        from ..proxy import ProxyApp

        self.proxy = ProxyApp(config=config)
        self.gate = ConsentMiddleware(self.proxy, secret_key=secret_key, config=config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.gate(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.proxy.client()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.proxy.aclose()
                await self.gate.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def worker_app() -> ASGIApp:
    """The gated proxy for one worker process, from the environment (a uvicorn ``--factory``)."""
    secret_key = os.environ.get(SECRET_ENV, "")
    if not secret_key:
        raise ConfigError(f"{SECRET_ENV} is not set; every worker must sign with the same key.")
    config = _proxy_config(os.environ.get(CONFIG_ENV) or None, os.environ.get(UPSTREAM_ENV) or None)
    return _Served(config, secret_key)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``proxy`` command."""
    parser = subparsers.add_parser(
        "proxy", help="serve any website (an upstream URL) behind the gate", description=description(run)
    )
    parser.add_argument("--upstream", help="the origin to forward to, e.g. http://127.0.0.1:8080")
    parser.add_argument(
        "--listen", default=DEFAULT_LISTEN, help=f"HOST:PORT to serve on (default {DEFAULT_LISTEN})"
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--config", help="config file (default: ./consentgate.toml if it exists)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve any website behind the consent gate: every request goes to --upstream (or the config's
    proxy.upstream), the gate's own routes are answered here. The consent cookie is signed with
    CONSENTGATE_SECRET_KEY (set it, the same on every worker and machine, so choices survive restarts)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    try:
        host, port = parse_listen(args.listen)
        if args.upstream is not None:
            check_upstream(args.upstream, "--upstream")
    except (ValueError, ConfigError) as exc:
        return usage(str(exc))
    if args.workers < 1:
        return usage(f"--workers {args.workers}: give 1 or more worker processes")
    config_file = config_path(args.config)
    config = _proxy_config(config_file, args.upstream)  # checked once here: a bad config is one line
    if not os.environ.get(SECRET_ENV):
        os.environ[SECRET_ENV] = secrets.token_urlsafe(32)
        print(
            f"consentgate proxy: {SECRET_ENV} is not set; signing with a new random key "
            "(visitors' choices will not survive a restart).",
            file=sys.stderr,
        )
    os.environ[CONFIG_ENV] = os.path.abspath(config_file) if config_file else ""
    os.environ[UPSTREAM_ENV] = config.proxy.upstream
    sock = bind_socket(host, port, "pass another --listen.")
    shown = f"[{host}]" if ":" in host else host
    print(
        f"consentgate proxy: http://{shown}:{port}/ -> {config.proxy.upstream} "
        f"({args.workers} worker{'s' if args.workers > 1 else ''}, consent ledger {config.database}); "
        "Ctrl+C stops it.",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn's own X-Forwarded-For handling is off: the gate's trusted-proxy rules decide.
    options: dict[str, Any] = {
        "log_level": "warning",
        "lifespan": "on",
        "proxy_headers": False,
        "server_header": False,
        "date_header": False,
        "access_log": False,
    }
    try:
        if args.workers == 1:
            server = uvicorn.Server(uvicorn.Config(worker_app(), **options))
            server.run(sockets=[sock])
        else:
            uv_config = uvicorn.Config(
                "consentgate.cli.proxy:worker_app", factory=True, workers=args.workers, **options
            )
            Multiprocess(uv_config, sockets=[sock]).run()
    finally:
        sock.close()
    return 0
