"""XML rewrite throughput next to the HTML rewrite's, on the same marketing page.

``bench_rewriter.py``'s generated marketing page (vendor tags in the head, sections with responsive
images, inline SVG icons, a YouTube embed every twelfth section, a JSON data script), and the same
page as well-formed XHTML (html5lib reads it into a tree and it is written out as XML: every element
closed, script and style text escaped). Each is fed in 64 KB chunks, every optional category
blocked, no injection, the plan's caches warm (a server serving its pages again):

- ``html``: :class:`~consentgate.gate.rewrite.Rewriter` on the HTML page;
- ``xml``: :class:`~consentgate.gate.xml.XmlRewriter` on the XHTML page;
- ``copy``: the XHTML page cut and joined, the floor of any streaming pass.

CPU time of this process, median of rounds, as MB/s and ms per MB. The XHTML page is written to
``--cache`` once (html5lib is slow), so that the instruction counts can be taken without it::

    .venv/bin/python bench/bench_xml.py [--size-mb 2] [--rounds 9]
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.ONLY \\
        .venv/bin/python bench/bench_xml.py --only ONLY --rounds 1   # ONLY: none, html, xml

(the instructions of ``html`` or ``xml`` less those of ``none`` are one cold and one warm pass).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench_rewriter import BLOCKED, CATALOG, CHUNK, CONFIG, marketing_page

from consentgate.gate.rewrite import RewritePlan, Rewriter
from consentgate.gate.xml import XmlRewriter


def xhtml_page(html: bytes, cache: Path) -> bytes:
    """``html`` as well-formed XHTML (kept in ``cache``)."""
    if cache.exists():
        return cache.read_bytes()
    import xml.etree.ElementTree as ElementTree

    import html5lib

    ElementTree.register_namespace("", "http://www.w3.org/1999/xhtml")
    ElementTree.register_namespace("svg", "http://www.w3.org/2000/svg")
    tree = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=True)
    written: bytes = ElementTree.tostring(tree, encoding="utf-8")
    page = b'<?xml version="1.0" encoding="UTF-8"?>\n' + written.split(b"?>", 1)[-1]
    cache.write_bytes(page)
    return page


def _chunks(page: bytes) -> list[bytes]:
    return [page[i : i + CHUNK] for i in range(0, len(page), CHUNK)]


def _html(plan: RewritePlan, parts: list[bytes]) -> bytes:
    rewriter = Rewriter(plan, BLOCKED)
    return b"".join([rewriter.feed(p) for p in parts]) + rewriter.finish()


def _xml(plan: RewritePlan, parts: list[bytes]) -> bytes:
    rewriter = XmlRewriter(plan, BLOCKED)
    out = b"".join([rewriter.feed(p) for p in parts]) + rewriter.finish()
    assert rewriter.stopped is None, rewriter.stopped
    return out


def _copy(plan: RewritePlan, parts: list[bytes]) -> bytes:
    return b"".join([bytes(p) for p in parts])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", choices=("none", "html", "xml", "copy"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/consentgate-bench-xml.xhtml"))
    args = parser.parse_args()
    html = marketing_page(int(args.size_mb * 1024 * 1024))
    cache = args.cache.with_name(f"{args.cache.stem}-{len(html)}{args.cache.suffix}")
    xhtml = xhtml_page(html, cache)
    plan = RewritePlan(CATALOG, categories=CONFIG.category_names)
    runs: dict[str, tuple[Callable[[RewritePlan, list[bytes]], bytes], list[bytes]]] = {
        "copy": (_copy, _chunks(xhtml)),
        "html": (_html, _chunks(html)),
        "xml": (_xml, _chunks(xhtml)),
    }
    if args.only is not None:
        if args.only != "none":
            function, parts = runs[args.only]
            for _ in range(args.rounds):
                function(plan, parts)
        return
    for function, parts in runs.values():
        function(plan, parts)  # the plan's caches filled
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (function, parts) in runs.items():
            start = time.process_time()
            function(plan, parts)
            times[name].append(time.process_time() - start)
    print(f"HTML page {len(html) / 1e6:.2f} MB, XHTML page {len(xhtml) / 1e6:.2f} MB, {args.rounds} rounds")
    for name, (_function, parts) in runs.items():
        size = sum(len(p) for p in parts) / 1e6
        median = statistics.median(times[name])
        print(f"{name:5} {size / median:8.1f} MB/s {1000 * median / size:8.2f} ms/MB")


if __name__ == "__main__":
    main()
