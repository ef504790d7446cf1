"""``consentgate declaration [CONFIG]``: write the cookie declaration a privacy policy needs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import ConsentGateError
from ..scan.declaration import LANGUAGES, build_declaration
from .args import DEFAULT_CONFIG, read_config

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``declaration`` command."""
    parser = subparsers.add_parser(
        "declaration",
        help="write the cookie declaration for the privacy policy",
        description=(
            "Write the cookie declaration: per category, every service the config enables with its "
            "provider, purpose, cookies and their lifetimes, and the provider's privacy link."
        ),
    )
    parser.add_argument(
        "config", nargs="?", help=f"the config file (default: ./{DEFAULT_CONFIG} if it exists, else defaults)"
    )
    parser.add_argument(
        "--format", choices=("html", "markdown", "json"), default="html", help="output (html)"
    )
    parser.add_argument(
        "--from-scan",
        metavar="SCAN_JSON",
        help="list only the services found by `consentgate scan --format json` (its output file)",
    )
    parser.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0], help="language (en)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the declaration to stdout."""
    only = _found_services(args.from_scan) if args.from_scan else None
    declaration = build_declaration(read_config(args.config), language=args.lang, only=only)
    if args.format == "json":
        text = json.dumps(declaration.to_json(), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "markdown":
        text = declaration.to_markdown()
    else:
        text = declaration.to_html()
    sys.stdout.write(text)
    return 0


def _found_services(path: str) -> set[str]:
    """The service ids a saved scan report lists."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        categories = data["categories"]
        return {service["id"] for services in categories.values() for service in services}
    except OSError as exc:
        raise ConsentGateError(f"cannot read the scan report {path!r}: {exc.strerror}.") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConsentGateError(
            f"{path!r} is not a scan report; make one with `consentgate scan URL --format json > {path}`."
        ) from None
