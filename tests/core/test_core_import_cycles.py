"""No import cycle inside the engine (shh_converter/core), lazy imports included.

A cycle marks a function living in the wrong module: checks<->settings was
Settings.from_dict (callers now use checks.check_fields), plan<->recipe the name
templates (now core/naming.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import REPO

CORE = REPO / "shh_converter" / "core"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its body (functions too;
    ``from . import x`` counts as importing ``x``, not its package)."""
    modules = {_module_name(p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                up = here[: len(here) - node.level + 1] if node.level else []
                base = ".".join([*up, *([node.module] if node.module else [])])
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
                targets = subs if len(subs) == len(node.names) else [base, *subs]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop."""
    reach = {m: _reachable(graph, m) for m in graph}
    found: list[list[str]] = []
    for m in sorted(graph):
        group = sorted(n for n in graph if n in reach[m] and m in reach[n])
        if m in reach[m] and group not in found:
            found.append(group)
    return found


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph[m])
    return seen


def test_the_check_finds_a_lazy_cycle() -> None:
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert cycles(graph) == [["a", "b"]]


def test_the_engine_has_no_import_cycle() -> None:
    graph = import_graph(CORE)
    assert "shh_converter.core.checks" in graph and len(graph) > 40
    assert "shh_converter.core.settings" in graph["shh_converter.core.checks"]
    assert cycles(graph) == []
