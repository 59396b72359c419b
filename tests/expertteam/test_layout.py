"""The composition shell stays small and readable (docs/architecture.md, "expertteam/"): the demo
story and the national-scale seed live in sub-packages of their own; inside ``expertteam`` imports
go one way (no module imports one that imports it back, however indirectly, imports inside
functions included), no file imports another file's private helper (``from .x import _y``), and
no function is longer than 60 lines.

Every check parses the source and names the file and line of what breaks the rule; each is also
run on a small bad example, so none of them can pass vacuously.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "expertteam"
MAX_FUNCTION_LINES = 60


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, module: str, is_package: bool):
    """(line, imported module, names) for every import, relative ones resolved."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            yield node.lineno, target, [alias.name for alias in node.names]


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """Module -> the modules of ``sources`` it imports: ``from pkg import mod`` imports the
    module ``pkg.mod`` (not what ``pkg/__init__.py`` imports), ``from pkg import name`` the package."""
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, (source, is_package) in sources.items():
        for _line, target, names in _imports(source, name, is_package):
            for imported in names or [None]:
                candidate = f"{target}.{imported}" if f"{target}.{imported}" in sources else target
                if candidate in sources and candidate != name:
                    graph[name].add(candidate)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other, directly or round a longer loop
    (strongly connected components of more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def private_imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, 'module._name') for every private name imported from another module of the app."""
    return [(line, f"{target}.{name}")
            for line, target, names in _imports(source, module, is_package)
            for name in names if name.startswith("_") and not name.startswith("__")]


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[int, str, int]]:
    """(line, name, length) of every function or method longer than ``limit`` lines."""
    return [(node.lineno, node.name, node.end_lineno - node.lineno + 1)
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > limit]


def _sources() -> dict[str, tuple[str, bool]]:
    return {_module(p): (p.read_text("utf-8"), p.name == "__init__.py") for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_checkers_catch_a_cycle_a_private_import_and_a_long_function():
    two_way = {"app.a": ("from .b import run\n", False), "app.b": ("def f():\n    from .a import go\n", False),
               "app.c": ("from app import a\n", False), "app": ("from .c import x\n", True)}
    assert cycles(import_graph(two_way)) == [["app.a", "app.b"]]
    two_way["app.c"] = ("from app import settings\n", False)  # a name of the package, not a module
    assert cycles(import_graph(two_way)) == [["app", "app.c"], ["app.a", "app.b"]]
    round_three = {"p.a": ("from .b import x\n", False), "p.b": ("from . import c\n", False),
                   "p.c": ("from p.a import y\n", False), "p": ("", True)}
    assert cycles(import_graph(round_three)) == [["p.a", "p.b", "p.c"]]
    assert private_imports("def f():\n    from .demo import _discuss, seed\n", "expertteam.demo_plan") == [
        (2, "expertteam.demo._discuss")]
    assert private_imports("from __future__ import annotations\n", "expertteam.cli") == []
    body = "def f():\n" + "    x = 1\n" * 60
    assert long_functions(body) == [(1, "f", 61)] and long_functions(body, limit=61) == []


def test_the_demo_and_the_scale_seed_are_sub_packages_of_their_own():
    assert (PACKAGE / "demo" / "__init__.py").is_file() and (PACKAGE / "scale" / "__init__.py").is_file()
    assert sorted(p.name for p in PACKAGE.glob("*.py") if p.name.startswith(("demo", "scale"))) == []


def test_no_import_cycle_inside_expertteam():
    assert cycles(import_graph(_sources())) == []


def test_no_private_helper_is_imported_across_files_of_expertteam():
    offenders = [f"{name}:{line} imports {what}" for name, (source, is_package) in _sources().items()
                 for line, what in private_imports(source, name, is_package)]
    assert offenders == []


def test_no_function_of_expertteam_is_over_60_lines():
    offenders = [f"{path.relative_to(ROOT)}:{line} {name} ({length} lines)"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 for line, name, length in long_functions(path.read_text("utf-8"))]
    assert offenders == []
