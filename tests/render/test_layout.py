"""The layout of `render`: its sub-packages follow the data flow and import each other without cycles.

Every import inside the package is read from the source with `ast`: module-level, inside functions and
under TYPE_CHECKING alike, and `importlib.import_module("render...")` calls with a literal name. Each
module belongs to a unit, the first name under `render` (`render.lines.views` -> `lines`,
`render.files` -> `files`); the units must form an acyclic graph, in the order of `LAYERS`, with the
command line on top, imported by nothing else in the package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

import render

ROOT = Path(render.__file__).resolve().parent
# From the bottom up: each unit imports only from units before it (and from itself).
LAYERS: tuple[str, ...] = ("errors", "files", "workers", "models", "lines", "datasets", "cli")


def module_names(root: Path, package: str = "render") -> dict[str, Path]:
    """Dotted name -> file of every module of the package whose folder is `root`."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imported(node: ast.AST, module: str, is_package: bool, known: Iterable[str]) -> list[str]:
    """The names of the modules an import statement (or import_module call) of `module` imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if is_package else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        # `from render.lines import views` imports the module render.lines.views
        return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [node.args[0].value]
    return []


def import_graph(root: Path, package: str = "render") -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (its own package's names only)."""
    names = module_names(root, package)
    graph = {}
    for module, path in names.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        imported = set()
        for node in ast.walk(tree):
            for name in _imported(node, module, is_package, names):
                if name == package or name.startswith(package + "."):
                    imported.add(name)
        graph[module] = imported - {module}
    return graph


def unit(module: str) -> str:
    """The sub-package or top-level module a module belongs to: the first name under the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def unit_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    units: dict[str, set[str]] = {}
    for module, imported in graph.items():
        units.setdefault(unit(module), set()).update(unit(m) for m in imported)
    return {u: deps - {u} for u, deps in units.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of a directed graph as [a, b, ..., a], or None when it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(ROOT)


def test_every_import_names_an_existing_module(graph) -> None:
    known = set(module_names(ROOT))
    missing = {m: sorted(i - known) for m, i in graph.items() if i - known}
    assert not missing, f"imports of modules that do not exist: {missing}"


def test_subpackages_import_each_other_without_cycles(graph) -> None:
    units = unit_graph(graph)
    assert find_cycle(units) is None, f"import cycle between parts of render: {find_cycle(units)}"


def test_modules_import_each_other_without_cycles(graph) -> None:
    assert find_cycle(graph) is None, f"import cycle between modules of render: {find_cycle(graph)}"


def test_cli_is_imported_by_nothing_else_in_render(graph) -> None:
    upward = {m: sorted(i) for m, i in graph.items() if unit(m) != "cli" and any(unit(x) == "cli" for x in i)}
    assert not upward, f"modules outside render.cli importing it: {upward}"


def test_units_follow_the_data_flow(graph) -> None:
    units = unit_graph(graph)
    assert set(units) - {"render"} == set(LAYERS), "a new part of render needs its place in LAYERS"
    assert not units.get("render"), "render/__init__.py imports nothing"
    upward = {
        f"{u} -> {d}"
        for u, deps in units.items()
        if u != "render"
        for d in deps
        if LAYERS.index(d) > LAYERS.index(u)
    }
    assert not upward, f"imports against the data flow {' < '.join(LAYERS)}: {sorted(upward)}"


def test_the_check_sees_the_imports_it_must(graph) -> None:
    # the reader finds function-level and import_module() imports, and `from package import module`
    assert "render.lines.tessellate" in graph["render.datasets.samples"]  # inside write_stl
    assert "render.lines.tessellate" in graph["render.datasets.dataset"]  # importlib.import_module
    assert {"render.cli.datasets", "render.cli.common"} <= graph["render.cli"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
