"""Helpers shared by the tests (import as ``from support import ...``).

Kept out of ``conftest.py`` on purpose: with several ``conftest.py`` files in the
tree, ``import conftest`` would find whichever pytest loaded first.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus")).resolve()
SHARED_MODEL = REPO.parent / "shared" / "models" / "u2netp.onnx"


def manifest_rows() -> list[dict[str, str]]:
    """Rows of the corpus MANIFEST.tsv (file, source, license, kind, expected)."""
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def run_cli(*args: str, timeout: float = 300, **kwargs):  # type: ignore[no-untyped-def]
    """Run ``python -m shh_converter ARGS`` as a real subprocess; returns CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "shh_converter", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=kwargs.pop("cwd", REPO),
        **kwargs,
    )
