"""The real window in German and Japanese: screenshots, and no label cut off.

German has the longest words, Japanese needs a CJK font (``fonts-ipafont-gothic``,
installed by ``scripts/test.sh``) and is the widest per character. Each language
runs in a child process (labels are translated when the window's modules are
imported): ``translation_probe.py`` opens the main window with three files added,
then Preferences (both tabs) and the download offer, on screens of 1024×640 and
1366×768. Set ``SHH_GUI_SCREENSHOTS`` to keep the screenshots to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support import run_probe_on_screen

from shh_converter import i18n

pytestmark = pytest.mark.gui

HERE = Path(__file__).parent
LANGUAGES = ["de", "ja"]
SCREENS = ["1024x640", "1366x768"]


def run_probe(language: str, screen: str, shots: Path, files: list[str]) -> dict[str, Any]:
    """``translation_probe.py`` on a fresh Xvfb of ``screen``; its JSON report."""
    args = ["--shots", str(shots), f"--tag=-{screen}", *files]
    env = {i18n.ENV: language}
    return run_probe_on_screen(HERE / "translation_probe.py", screen, *args, **env)


@pytest.fixture
def three_files(corpus: Path, tmp_path: Path) -> list[str]:
    names = ["Foto eins.jpg", "写真.png", "third.webp"]
    sources = ["photos/sklearn_china.jpg", "png/pil123rgba.png", "webp/flower2.webp"]
    for name, src in zip(names, sources, strict=True):
        shutil.copy(corpus / src, tmp_path / name)
    return [str(tmp_path / n) for n in names]


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_window_and_dialogs_translated_and_nothing_cut_off(
    language: str, screen: str, three_files: list[str], shots_dir: Path
) -> None:
    report = run_probe(language, screen, shots_dir, three_files)
    assert report["language"] == language
    assert report["samples"]["download"] == {"de": "Herunterladen", "ja": "ダウンロード"}[language]
    assert report["samples"]["preferences"] != "Preferences"  # the window's own strings too
    assert report["samples"]["fill"] == {"de": "transparent", "ja": "透明"}[language]
    assert (
        report["samples"]["preset"]
        == {"de": "Produkt freigestellt", "ja": "商品の切り抜き"}[language]
    )
    if language == "ja":
        assert report["fonts"], "no Japanese font: apt-get install fonts-ipafont-gothic"
    assert report["checked"] > 50
    assert len(report["shots"]) == 4
    assert all(Path(s).stat().st_size > 5_000 for s in report["shots"])
    shots = ", ".join(report["shots"])
    assert not report["problems"], f"cut off (see {shots}):\n" + "\n".join(report["problems"])
