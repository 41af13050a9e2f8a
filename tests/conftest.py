"""Shared fixtures: per-user folders in a temp dir, the shared test corpus.

Every test runs with ``SHH_CONVERTER_HOME`` pointing into its own temp folder, so
nothing the app writes (config, logs, crash reports, models) reaches the real home
folder or the repository. Subprocesses inherit the variable.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

import pytest
from hypothesis import configuration as hypothesis_configuration
from support import CORPUS, as_display, start_xvfb

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Tests expect English whatever the machine's LANG (tests/test_i18n.py and the translated
# window tests choose other languages explicitly).
os.environ.setdefault("SHH_CONVERTER_UI__LANGUAGE", "en")

# Hypothesis keeps its examples and caches in ./.hypothesis by default: tests write
# nothing into the repository, so it gets a temp folder.
hypothesis_configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="shh-hypothesis-"))


@pytest.fixture(autouse=True)
def app_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point every per-user folder at a fresh temp dir for this test (and its subprocesses)."""
    from shh_converter import paths

    home = tmp_path_factory.mktemp("app-home")
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    paths.configure(home)
    yield home
    paths.configure(home)  # keep pointing at a temp dir, never at the real home


@pytest.fixture(autouse=True)
def pillow_pixel_limit() -> Iterator[None]:
    """Each test leaves Pillow's bomb limit as it found it.

    The engine sets ``Image.MAX_IMAGE_PIXELS`` from the settings it decodes with (Pillow
    has no per-call limit, and in the app one session has one limit); a test's tiny limit
    would otherwise make the next test's header peeks fail in the same process (with
    pytest-xdist the order of files differs from a serial run).
    """
    from PIL import Image

    saved = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = saved


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    """One private Xvfb for the whole session, ``$DISPLAY`` while it runs (``-displayfd``
    picks a free display number once it accepts clients).

    Started here, not by a plugin, so a test that needs it fails loudly when Xvfb is
    missing. It lives until the end: a server stopped while a Tk interpreter of this
    process may still hold a connection to it would make Xlib end the whole process.
    """
    try:
        proc, display = start_xvfb()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    with as_display(proc, display):
        yield display


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.fail(f"test corpus not found at {CORPUS} (set SHH_CORPUS)", pytrace=False)
    return CORPUS
