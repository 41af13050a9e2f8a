"""The project's own checks, so CI keeps them: ruff (lint + format) and mypy as configured
in pyproject.toml, over the whole tree."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support import REPO

CHECKS = {
    "ruff lint": [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
    "ruff format": [sys.executable, "-m", "ruff", "format", "--no-cache", "--check", "."],
    "mypy": [sys.executable, "-m", "mypy", "--cache-dir", "{tmp}/mypy-cache"],
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_tool_is_clean(name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    command = [part.replace("{tmp}", str(tmp_path)) for part in CHECKS[name]]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name} found problems:\n{done.stdout}\n{done.stderr}"
