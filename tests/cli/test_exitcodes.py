"""One exit-code table (``cli/exitcodes.py``): no other module defines an exit code."""

from __future__ import annotations

import ast

from support import REPO

from shh_converter.cli import exitcodes


def test_exit_codes_are_defined_once() -> None:
    table = {name: value for name, value in vars(exitcodes).items() if name.startswith("EXIT_")}
    assert table == {
        "EXIT_OK": 0,
        "EXIT_FAILED": 1,
        "EXIT_USAGE": 2,
        "EXIT_NO_ANSWER": 3,
        "EXIT_INTERRUPTED": 130,
        "EXIT_PIPE_CLOSED": 141,
    }
    elsewhere = []
    for path in sorted((REPO / "shh_converter").rglob("*.py")):
        if path.name == "exitcodes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Assign):
                continue
            for name in (n for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)):
                if name.id.startswith("EXIT_"):
                    elsewhere.append(f"{path.relative_to(REPO)}:{node.lineno} {name.id}")
    assert not elsewhere, elsewhere
