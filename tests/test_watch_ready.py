"""When a file counts as complete: real corpus files, cut short at several points."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shh_converter.core.watch_ready import ArrivalTracker, looks_complete

WHOLE = [
    "photos/Kleiber_by_Lukas_Baubkus.jpg",
    "png/transparent.png",
    "gif/transparent.gif",
    "webp/transparent.webp",
    "photos/pug.heic",
]


@pytest.mark.parametrize("name", WHOLE)
def test_whole_files_look_complete_and_cut_ones_do_not(
    corpus: Path, tmp_path: Path, name: str
) -> None:
    data = (corpus / name).read_bytes()
    whole = tmp_path / Path(name).name
    whole.write_bytes(data)
    assert looks_complete(whole)
    for fraction in (0.0, 0.1, 0.5, 0.9, 0.999):
        cut = tmp_path / f"cut-{fraction}{whole.suffix}"
        cut.write_bytes(data[: int(len(data) * fraction)])
        assert not looks_complete(cut), f"{name} cut at {fraction:.1%} looks complete"


def test_a_jpeg_with_data_after_its_end_marker_is_complete(corpus: Path, tmp_path: Path) -> None:
    motion = tmp_path / "motion.jpg"  # like a motion photo: a video appended after the JPEG
    motion.write_bytes((corpus / "jpeg" / "flower.jpg").read_bytes() + b"\x00\x00ftypmp42" * 500)
    assert looks_complete(motion)


def test_a_non_image_is_handed_on_so_its_error_is_reported(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.jpg"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 1000)
    assert looks_complete(pdf)  # the converter then says "not an image (PDF document)"


def test_the_tracker_waits_for_quiet_then_hands_the_file_over_once(
    corpus: Path, tmp_path: Path
) -> None:
    path = tmp_path / "a.png"
    shutil.copy(corpus / "png" / "transparent.png", path)
    tracker = ArrivalTracker(quiet=0.5, give_up=10)
    tracker.touch("a", path, now=100.0)
    assert tracker.ready(100.2) == ([], [])  # not quiet long enough yet
    ready, gone = tracker.ready(100.6)
    assert [p for p, _sig in ready] == [path] and gone == []
    assert tracker.ready(200.0) == ([], []) and len(tracker) == 0


def test_the_tracker_keeps_waiting_for_a_cut_file_then_gives_up(
    corpus: Path, tmp_path: Path
) -> None:
    path = tmp_path / "a.png"
    path.write_bytes((corpus / "png" / "transparent.png").read_bytes()[:500])
    tracker = ArrivalTracker(quiet=0.5, give_up=10)
    tracker.touch("a", path, now=0.0)
    for now in (1.0, 3.0, 6.0, 9.0):
        ready, _gone = tracker.ready(now)
        assert ready == [], f"a cut file was handed over at {now} s"
    ready = []
    for now in (12.0, 16.0, 22.0, 30.0):
        ready += tracker.ready(now)[0]
    assert [p for p, _sig in ready] == [path]  # once, so its error is reported


def test_the_tracker_restarts_the_quiet_period_when_the_file_grows(tmp_path: Path) -> None:
    path = tmp_path / "a.gif"
    path.write_bytes(b"GIF89a")
    tracker = ArrivalTracker(quiet=0.5, give_up=10)
    tracker.touch("a", path, now=0.0)
    with path.open("ab") as fh:
        fh.write(b"\x00" * 100)
    assert tracker.ready(0.6) == ([], [])  # changed since the touch: the clock restarts
    path.unlink()
    assert tracker.ready(5.0) == ([], [path])
