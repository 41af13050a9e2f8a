"""No import cycles in ``shh_converter``, lazy imports included (issue 22).

A cycle marks a function living in the wrong module: one of the two modules needs
something from the other only because that something sits on the wrong side. The
check reads the source with ``ast`` (nothing is imported) and counts every import
that can run:

* module-level imports and imports inside functions and methods (lazy ones run too,
  only later);
* ``import shh_converter.x``, ``from . import x``, ``from .x import y``, ``from .. import y``
  (an edge to the submodule when ``y`` is one, else to the package);
* module names written as strings in a module that calls ``importlib.import_module``
  (the CLI's command table).

Imports under ``if TYPE_CHECKING:`` are left out: they never run, which is what they
are for. Importing a submodule also runs its parent package's ``__init__``; that edge
is left out too, since a package that imports its own submodules would otherwise count
as a cycle.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from support import REPO

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PACKAGE = "shh_converter"

Graph = dict[str, set[str]]


def module_files(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every ``.py`` under ``package_dir``."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _running_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``node`` except the bodies of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield other
                yield from _running_nodes(other)
            continue
        yield child
        yield from _running_nodes(child)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` (at ``path``) imports, at any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    strings: set[str] = set()
    dynamic = False
    for node in _running_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    found.add(submodule)
                elif base in modules:
                    found.add(base)
        elif isinstance(node, ast.Attribute) and node.attr == "import_module":
            dynamic = True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.add(node.value)
    if dynamic:
        found.update(strings & modules.keys())
    found.discard(name)
    return found


def import_graph(package_dir: Path) -> Graph:
    modules = module_files(package_dir)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: Graph) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(frozenset(group))
    return groups


def one_loop(graph: Graph, group: frozenset[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, for the message."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    for node in queue:
        for target in sorted(graph[node] & group):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    msg = f"{sorted(group)} is not a cycle"
    raise AssertionError(msg)


def describe(graph: Graph, group: frozenset[str]) -> str:
    return f"{sorted(group)}, e.g. {' -> '.join(one_loop(graph, group))}"


def test_the_package_has_no_import_cycles() -> None:
    graph = import_graph(REPO / PACKAGE)
    found = cycles(graph)
    loops = [describe(graph, group) for group in found]
    why = "import cycles (move the function each needs to the module it belongs to):"
    assert not loops, "\n".join([why, *loops])


def test_the_graph_reads_the_package() -> None:
    """The check above would pass on an empty graph."""
    graph = import_graph(REPO / PACKAGE)
    assert len(graph) > 80
    assert "shh_converter.core.errors" in graph["shh_converter.cli"]  # from ..core.errors import
    assert "shh_converter.cli.convert" in graph["shh_converter.cli"]  # importlib table
    assert "shh_converter.i18n" in graph["shh_converter.gui.window"]


def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_lazy_and_relative_imports_close_a_cycle(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "sub/__init__.py": "",
            "a.py": "from .sub import b\n",
            "sub/b.py": "def later():\n    from ..c import thing\n",
            "c.py": "def f():\n    from . import a\n",
            "d.py": "import pkg.c\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.d"] == {"pkg.c"}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.sub.b", "pkg.c"})]
    assert one_loop(graph, cycles(graph)[0]) == ["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from . import b\n",
            "b.py": (
                "import typing\nif typing.TYPE_CHECKING:\n    from . import a\n"
                "else:\n    from . import c\n"
            ),
            "c.py": "",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.b"] == {"pkg.c"}
    assert cycles(graph) == []
