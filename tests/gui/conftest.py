"""GUI test fixtures: the real app object, screenshots, callback errors.

The display is ``x_display`` (``tests/conftest.py``): started by the tests, not by a
plugin, so GUI tests fail loudly when Xvfb is missing instead of silently skipping.
Every test using ``app`` fails if any Tk callback raised, even when the test's own
assertions passed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# For `import guikit`; appended, so `conftest`/`support` still resolve to tests/ first.
sys.path.append(str(Path(__file__).resolve().parent))
from guikit import close_app, make_app

if TYPE_CHECKING:
    from collections.abc import Iterator

SHOTS_ENV = "SHH_GUI_SCREENSHOTS"  # set to keep the screenshots somewhere to look at


@pytest.fixture(autouse=True)
def no_release_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The start-up update check goes to a closed local port, never to the internet."""
    monkeypatch.setenv("SHH_CONVERTER_UPDATE_URL", "http://127.0.0.1:9/releases/latest")


@pytest.fixture
def app(x_display: str) -> Iterator[Any]:
    a = make_app()
    yield a
    close_app(a)


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get(SHOTS_ENV)
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        return Path(wanted)
    return tmp_path_factory.mktemp("screenshots")
