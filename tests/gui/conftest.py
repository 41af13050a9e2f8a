"""GUI test fixtures: a private Xvfb, the real app object, screenshots, callback errors.

The display is started here (not by a plugin), so GUI tests fail loudly when Xvfb
is missing instead of silently skipping. Every test using ``app`` fails if any
Tk callback raised, even when the test's own assertions passed.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# For `import guikit`; appended, so `conftest`/`support` still resolve to tests/ first.
sys.path.append(str(Path(__file__).resolve().parent))
from guikit import close_app, make_app

SHOTS_ENV = "SHH_GUI_SCREENSHOTS"  # set to keep the screenshots somewhere to look at


@pytest.fixture(autouse=True)
def no_release_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The start-up update check goes to a closed local port, never to the internet."""
    monkeypatch.setenv("SHH_CONVERTER_UPDATE_URL", "http://127.0.0.1:9/releases/latest")


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    """A private Xvfb; ``-displayfd`` picks a free display number once it accepts clients."""
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb missing: apt-get install -y xvfb (see scripts/test.sh)", pytrace=False)
    r, w = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    num = b""
    while not num.endswith(b"\n"):
        chunk = os.read(r, 16) if select.select([r], [], [], 30)[0] else b""
        if not chunk:
            proc.kill()
            pytest.fail("Xvfb did not start", pytrace=False)
        num += chunk
    os.close(r)
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = ":" + num.decode().strip()
    yield os.environ["DISPLAY"]
    proc.terminate()
    proc.wait(10)
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old


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
