"""The window's process gives an AI preview's memory back once the previews stop.

A real u2netp preview in a fresh process (so nothing else holds onnxruntime's
memory), RSS read with psutil before and after the release.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from support import run_python

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(180)

CHILD = """
import sys, time, psutil
from pathlib import Path
from shh_converter.core import preview
from shh_converter.core.background import ai as bg_ai
from shh_converter.core.settings import BackgroundRemoval, Settings

preview.RELEASE_AFTER_SECONDS = 0.5
rss = lambda: psutil.Process().memory_info().rss / 2**20
ai = Settings(background_removal=BackgroundRemoval(enabled=True))
base = rss()
shown = preview.make_preview(Path(sys.argv[1]), ai, 1024)
assert shown.after.mode == "RGBA"
loaded = rss()
assert bg_ai._sessions, "the preview made a session"
deadline = time.monotonic() + 20
while bg_ai._sessions:
    assert time.monotonic() < deadline, "the session was never released"
    time.sleep(0.05)
time.sleep(0.3)  # the release thread trims the heap right after dropping the session
released = rss()
again = preview.make_preview(Path(sys.argv[1]), ai, 1024)  # loads the model again
print(round(base), round(loaded), round(released), again.after.mode)
"""


def test_ai_preview_memory_is_given_back(corpus: Path) -> None:
    photo = corpus / "photos" / "Kleiber_by_Lukas_Baubkus.jpg"  # 20 MP
    done = run_python("-c", CHILD, str(photo), timeout=150)
    assert done.returncode == 0, done.stderr
    *numbers, mode = done.stdout.split()
    base, loaded, released = (int(n) for n in numbers)
    assert mode == "RGBA"
    # What stays is onnxruntime's code (~30-40 MB mapped), not the session or the image buffers.
    assert released <= loaded and released - base < 60, (base, loaded, released)  # MB
