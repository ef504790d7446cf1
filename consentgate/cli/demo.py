"""``consentgate demo``: the Callwise example site behind the gate, served by uvicorn.

The site lives in ``examples/marketing_site/`` of the source checkout (it is not part of the
installed package), so the command finds it beside the package directory.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import sys
from pathlib import Path
from types import ModuleType
from typing import cast

from starlette.types import ASGIApp

from ..errors import ConsentGateError
from .args import bind_socket

__all__ = [
    "DEFAULT_DATABASE",
    "build_demo_app",
    "demo_secret",
    "find_demo_dir",
    "key_file_for",
    "load_demo_module",
    "register",
    "run",
]

DEFAULT_DATABASE = "sqlite:///./consentgate-demo.db"
#: The signing key, if set; otherwise the demo keeps one in a key file beside its database.
SECRET_ENV = "CONSENTGATE_SECRET_KEY"  # noqa: S105 - the variable's name, not a secret
_KEY_SUFFIX = ".key"
_MODULE_NAME = "consentgate_demo_site"


def find_demo_dir() -> Path:
    """The demo site's directory in the source checkout (the package's parent holds ``examples/``)."""
    site = Path(__file__).resolve().parents[2] / "examples" / "marketing_site"
    if not (site / "app.py").is_file():
        raise ConsentGateError(
            f"the demo site is not at {site}; `consentgate demo` runs from a source checkout "
            "(git clone the repository and install it with `pip install -e .`)."
        )
    return site


def load_demo_module() -> ModuleType:
    """Import ``examples/marketing_site/app.py`` (once) and return the module."""
    loaded = sys.modules.get(_MODULE_NAME)
    if loaded is not None:
        return loaded
    path = find_demo_dir() / "app.py"
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for a non-file path
        raise ConsentGateError(f"cannot load the demo site from {path}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[_MODULE_NAME]
        raise
    return module


def build_demo_app(secret_key: str, database: str = DEFAULT_DATABASE) -> ASGIApp:
    """The demo site behind the gate, recording choices in ``database``."""
    return cast(ASGIApp, load_demo_module().build_app(secret_key, database))


def key_file_for(database: str) -> Path:
    """Where the demo keeps its signing key: beside a SQLite database (``demo.db`` → ``demo.db.key``),
    else ``consentgate-demo.key`` in the working directory."""
    if database.startswith("sqlite:///"):
        return Path(database[len("sqlite:///") :] + _KEY_SUFFIX)
    return Path("consentgate-demo" + _KEY_SUFFIX)


def demo_secret(database: str) -> str:
    """The demo's signing key: ``CONSENTGATE_SECRET_KEY``, else the key file of :func:`key_file_for`,
    made once with mode 0600, so that visitors' choices stay valid when the demo restarts."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env
    path = key_file_for(database)
    try:
        # O_EXCL: made once, never overwritten; 0600 from the start (no window with wider rights).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConsentGateError(
            f"cannot create the demo's key file {path} ({exc.strerror}); set {SECRET_ENV}."
        ) from None
    else:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConsentGateError(
            f"cannot read the demo's key file {path} ({exc}); delete it or set {SECRET_ENV}."
        ) from None
    if not key:
        raise ConsentGateError(f"the demo's key file {path} is empty; delete it or set {SECRET_ENV}.")
    return key


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser(
        "demo",
        help="serve the example marketing site behind the gate",
        description="Serve Callwise, the example marketing site, behind the consent gate.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument(
        "--database", default=DEFAULT_DATABASE, help=f"consent ledger URL (default: {DEFAULT_DATABASE})"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve the demo until interrupted."""
    import uvicorn

    secret_key = demo_secret(args.database)
    app = build_demo_app(secret_key, args.database)
    sock = bind_socket(args.host, args.port, "pass another --port or --host.")
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"consentgate demo: Callwise on http://{shown_host}:{args.port}/ "
        f"(consent ledger {args.database}); Ctrl+C stops it.",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="auto"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0
