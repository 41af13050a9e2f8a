"""Shared fixtures: per-user folders in a temp dir, the shared test corpus.

Every test runs with ``SHH_CONVERTER_HOME`` pointing into its own temp folder, so
nothing the app writes (config, logs, crash reports, models) reaches the real home
folder or the repository. Subprocesses inherit the variable.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus")).resolve()
SHARED_MODEL = REPO.parent / "shared" / "models" / "u2netp.onnx"


@pytest.fixture(autouse=True)
def app_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every per-user folder at a fresh temp dir for this test (and its subprocesses)."""
    from shh_converter import paths

    home = tmp_path_factory.mktemp("app-home")
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    paths.configure(home)
    yield home
    paths.configure(home)  # keep pointing at a temp dir, never at the real home


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.fail(f"test corpus not found at {CORPUS} (set SHH_CORPUS)", pytrace=False)
    return CORPUS


def manifest_rows() -> list[dict[str, str]]:
    """Rows of the corpus MANIFEST.tsv (file, source, license, kind, expected)."""
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def run_cli(*args: str, timeout: float = 300, **kwargs):  # type: ignore[no-untyped-def]
    """Run ``python -m shh_converter ARGS`` as a real subprocess; returns CompletedProcess."""
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "shh_converter", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=kwargs.pop("cwd", REPO),
        **kwargs,
    )
