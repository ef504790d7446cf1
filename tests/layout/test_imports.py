"""The package's import graph, read with the standard library's ``ast``: a DAG with the middleware on top.

Every ``import`` and ``from … import`` of every module counts, those under ``if TYPE_CHECKING:`` too
(a type-only import still ties a module to the one it names). Importing ``a.b.c`` ties a module to
``a.b.c`` only, not to the packages above it, which Python imports on the way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "consentgate"
MIDDLEWARE = "consentgate.middleware"
#: Entry points above the gate: commands that serve it as a user would (through the public API).
SERVES_THE_GATE = frozenset({"consentgate", "consentgate.cli.proxy"})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The package's modules that module ``name`` (at ``path``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # "from package import submodule" imports the submodule; "from module import name" the module.
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target for a in node.names]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                yield target


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: set(_imports(name, path, known)) for name, path in modules.items()}


def test_the_graph_is_read_from_real_imports() -> None:
    graph = _graph()
    # A few edges that must be there, so that a broken reader cannot pass the tests below by finding none.
    assert MIDDLEWARE in graph["consentgate"]
    assert "consentgate.consent.routes" in graph[MIDDLEWARE]
    assert "consentgate.errors" in graph["consentgate.web.router"]
    assert sum(len(edges) for edges in graph.values()) > 150


def test_no_module_imports_the_middleware() -> None:
    graph = _graph()
    importers = sorted(
        name for name, edges in graph.items() if MIDDLEWARE in edges and name not in SERVES_THE_GATE
    )
    assert importers == [], f"these modules import the middleware (give them only what they use): {importers}"


def test_the_import_graph_has_no_cycle() -> None:
    graph = _graph()
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> None:
        if name in path:
            cycle = [*path[path.index(name) :], name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        path.append(name)
        for target in sorted(graph[name]):
            visit(target)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_the_middleware_is_on_top() -> None:
    """Nothing but the package's own ``__init__`` and the serving commands reach the middleware, even indirectly."""
    graph = _graph()
    reaching = {name for name in graph if name not in SERVES_THE_GATE and _reaches(graph, name, MIDDLEWARE)}
    assert reaching == set()


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        for target in graph[name]:
            if target == goal:
                return True
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return False
