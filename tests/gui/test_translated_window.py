"""The real window in German and Japanese: screenshots, and no label cut off.

German has the longest words, Japanese needs a CJK font (``fonts-ipafont-gothic``,
installed by ``scripts/test.sh``) and is the widest per character. Each language
runs in a child process (labels are translated when the window's modules are
imported): ``layout_probe.py`` checks the main window with three files added on
screens of 1024×640 and 1366×768, ``dialog_probe.py`` Preferences (both tabs) and
the download offer. Set ``SHH_GUI_SCREENSHOTS`` to keep the screenshots to look at.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import run_python, start_xvfb

from shh_converter import i18n

pytestmark = pytest.mark.gui

HERE = Path(__file__).parent
LANGUAGES = ["de", "ja"]
SCREENS = ["1024x640", "1366x768"]


def run_probe(script: str, language: str, display: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "DISPLAY": display, i18n.ENV: language}
    done = run_python(str(HERE / script), *args, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.fixture
def three_files(corpus: Path, tmp_path: Path) -> list[str]:
    names = ["Foto eins.jpg", "写真.png", "third.webp"]
    sources = ["photos/sklearn_china.jpg", "png/pil123rgba.png", "webp/flower2.webp"]
    for name, src in zip(names, sources, strict=True):
        shutil.copy(corpus / src, tmp_path / name)
    return [str(tmp_path / n) for n in names]


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_main_window_translated_and_nothing_cut_off(
    language: str, screen: str, three_files: list[str], shots_dir: Path
) -> None:
    shot = shots_dir / f"window-{language}-{screen}.png"
    proc, display = start_xvfb(f"{screen}x24")
    try:
        report = run_probe("layout_probe.py", language, display, "--shot", str(shot), *three_files)
    finally:
        proc.terminate()
        proc.wait(10)
    assert shot.stat().st_size > 10_000
    assert not report["problems"], f"cut off, see {shot}:\n" + "\n".join(report["problems"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_dialogs_translated_and_nothing_cut_off(
    language: str, x_display: str, shots_dir: Path
) -> None:
    report = run_probe("dialog_probe.py", language, x_display, "--shots", str(shots_dir))
    assert report["language"] == language
    assert report["samples"]["download"] == {"de": "Herunterladen", "ja": "ダウンロード"}[language]
    if language == "ja":
        assert report["fonts"], "no Japanese font: apt-get install fonts-ipafont-gothic"
    assert report["checked"] > 15
    assert not report["problems"], "cut off:\n" + "\n".join(report["problems"])
    assert len(report["shots"]) == 3 and all(
        Path(s).stat().st_size > 5_000 for s in report["shots"]
    )
