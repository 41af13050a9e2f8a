"""The PyInstaller bundle really works: built from build_scripts/shh_converter.spec,
then used as a user would (console self-test and a conversion with AI removal, the
windowed executable on a real X display with drag and drop live).

Building takes ~30-60 s, once per run. What only Windows and macOS can check (the
Inno Setup installer, the .app bundle) is listed in installer/README.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from support import CORPUS, REPO, start_xvfb

pytestmark = pytest.mark.slow
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pyinstaller")
    done = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
         str(REPO / "build_scripts" / "shh_converter.spec")],
        cwd=work, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return work / "dist" / "SHH Converter"


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    proc, name = start_xvfb()
    yield name
    proc.terminate()
    proc.wait(10)


def _self_test(bundle: Path, env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    cli = bundle / f"shh-converter{EXE_SUFFIX}"
    done = subprocess.run([str(cli), "self-test"], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["frozen"] is True
    return {c["name"]: c["status"] for c in report["checks"]}


def test_frozen_self_test_without_a_display(bundle: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    checks = _self_test(bundle, env)
    assert checks == {"folders": "pass", "codecs": "pass", "onnxruntime": "pass",
                      "model": "pass", "tk": "skip"}  # fmt: skip


def test_frozen_self_test_on_a_display_checks_tk_images_and_dnd(bundle: Path, display: str) -> None:
    assert _self_test(bundle, dict(os.environ, DISPLAY=display))["tk"] == "pass"


def test_frozen_cli_removes_a_background(bundle: Path, tmp_path: Path) -> None:
    cli = bundle / f"shh-converter{EXE_SUFFIX}"
    src = CORPUS / "rembg" / "examples" / "car-3.jpg"
    done = subprocess.run(
        [str(cli), "convert", str(src), "-o", str(tmp_path), "--remove-bg", "--trim"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with Image.open(tmp_path / "car-3.webp") as im:
        alpha = im.getchannel("A")
        assert alpha.getextrema() == (0, 255) and im.size != Image.open(src).size


@pytest.mark.skipif(sys.platform != "linux", reason="X11 tools")
def test_frozen_window_shows_with_drag_and_drop(bundle: Path, display: str) -> None:
    env = dict(os.environ, DISPLAY=display)
    app = subprocess.Popen([str(bundle / "SHH Converter"), str(CORPUS / "photos/mate_Storm.jpg")],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", "^SHH Converter$"],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        window = found.stdout.split()[0]
        props = subprocess.run(["xprop", "-id", window], env=env, capture_output=True,
                               text=True, timeout=30, check=True)  # fmt: skip
        assert "XdndAware" in props.stdout  # tkdnd is live in the frozen window
    finally:
        app.terminate()  # SIGTERM: the app's graceful shutdown
        assert app.wait(15) == 0, app.stderr.read() if app.stderr else ""
    crash_dir = Path(os.environ["SHH_CONVERTER_HOME"]) / "crash-reports"
    assert not list(crash_dir.glob("*.json")), "the frozen app wrote a crash report"


def test_frozen_cli_speaks_the_chosen_language(bundle: Path) -> None:
    """The compiled catalogs travel in the bundle (build_scripts/shh_converter.spec)."""
    cli = bundle / f"shh-converter{EXE_SUFFIX}"
    env = dict(os.environ, SHH_CONVERTER_UI__LANGUAGE="de")
    done = subprocess.run([str(cli), "models", "verify"], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 geprüft, 0 beschädigt" in done.stdout
