"""``scripts/run.sh`` sets up once, then opens the app at once.

Run on the repository's own ``.venv`` (the one ``scripts/test.sh`` made): the set-up is
seen in the script's trace (``bash -x``), so the test asserts what ran, not how long.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

from shh_converter import __version__

VENV = REPO / ".venv"
STAMP = VENV / "shh-setup.sha256"
pytestmark = pytest.mark.skipif(
    Path(sys.prefix).resolve() != VENV.resolve(), reason="needs the repository's own .venv"
)


def _run_sh() -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", "-x", str(REPO / "scripts" / "run.sh"), "--version"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == __version__
    return done


def test_run_sh_sets_up_only_when_pyproject_or_the_lock_changed() -> None:
    STAMP.write_text("0" * 64 + "  pyproject.toml\n", encoding="utf-8")  # as after an edit
    first = _run_sh()
    assert "pip install" in first.stderr and "--no-build-isolation -e ." in first.stderr
    assert "pyproject.toml" in STAMP.read_text(encoding="utf-8")
    second = _run_sh()
    assert "sha256sum --check" in second.stderr  # it did look
    assert "pip install" not in second.stderr and "apt-get" not in second.stderr
