"""What a batch takes from the folders it is given, and where their outputs go (issue 20).

* Earlier outputs are never inputs, wherever the destination is: a folder holding
  a ledger is an output folder (``core/discover.py``), for the CLI, the watch and
  (tests/gui/test_input_folders.py) the window alike; naming such a folder
  explicitly re-encodes it.
* Each folder given keeps its name under the destination (``cp -r a b dest/``);
  loose files go directly into it; a clash that remains is noted on the output.
* A non-image found by walking a folder (a sidecar) is skipped, not a failure; one
  named explicitly still fails; content, not the name, says what is an image.

The CLI cases run the CLI in-process (exit codes, files on disk, --report); the
discovery rules are checked in-process where the helper is the unit.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from support import (
    convert_into,
    copy_photos,
    image_files,
    manifest_rows,
    sidecar_folder,
    wait_until,
)
from support.inprocess import cli_in_process

from shh_converter.core.discover import discover
from shh_converter.core.events import FileFinished
from shh_converter.core.settings import Settings
from shh_converter.core.state import STATE_NAME
from shh_converter.core.watch import Watcher, WatchOptions, WatchStarted

pytestmark = pytest.mark.timeout(300)


def sources_found(inputs: list[Path], dest: Path) -> list[str]:
    return sorted(f.source.name for f in discover(inputs, dest, recursive=True) if not f.error)


@pytest.fixture
def converted_before(tmp_path: Path) -> tuple[Path, list[Path]]:
    """``photos/`` (3 photos) converted once into ``photos/converted``, as the window does."""
    photos = tmp_path / "photos"
    sources = copy_photos(photos)
    convert_into([photos], photos / "converted")
    assert (photos / "converted" / STATE_NAME).is_file()
    assert len(image_files(photos / "converted")) == len(sources)
    return photos, sources


def test_earlier_outputs_are_not_inputs_when_the_destination_is_elsewhere(
    converted_before: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    photos, sources = converted_before
    elsewhere = tmp_path / "elsewhere"
    assert sources_found([photos], elsewhere) == sorted(s.name for s in sources)
    report = convert_into([photos], elsewhere, "--recursive")
    assert sorted(Path(f["source"]).name for f in report["files"]) == sorted(
        s.name for s in sources
    )
    assert image_files(elsewhere) == sorted(f"photos/{s.stem}.webp" for s in sources)


def test_naming_the_output_folder_itself_re_encodes_it(
    converted_before: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    photos, sources = converted_before
    converted = photos / "converted"
    outputs = sorted(f"{s.stem}.webp" for s in sources)
    assert sources_found([converted], tmp_path / "again") == outputs
    report = convert_into([converted], tmp_path / "again", "--format", "png")
    assert sorted(Path(f["source"]).name for f in report["files"]) == outputs


def test_outputs_beside_their_sources_are_left_out_in_every_folder(tmp_path: Path) -> None:
    """Converted in place (destination = the folder), a tree keeps its sources readable."""
    tree = tmp_path / "tree"
    top = copy_photos(tree, ("mpl_grace_hopper.jpg",))
    deeper = copy_photos(tree / "sub", ("debian_emblem-debian_256.png",))
    convert_into([tree], tree, "--recursive")
    assert (tree / "mpl_grace_hopper.webp").is_file()
    assert (tree / "sub" / "debian_emblem-debian_256.webp").is_file()
    (tree / "sub" / "new.png").write_bytes(deeper[0].read_bytes())  # arrives later
    found = sources_found([tree], tmp_path / "elsewhere")
    assert found == sorted([top[0].name, deeper[0].name, "new.png"])


def test_a_user_file_in_an_output_folder_is_still_an_input(
    converted_before: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """Only the files the ledger lists are ours; a photo the user put there is read."""
    photos, sources = converted_before
    mine = photos / "converted" / "mine.jpg"
    shutil.copy2(sources[0], mine)
    found = sources_found([photos], tmp_path / "elsewhere")
    assert found == sorted([*(s.name for s in sources), "mine.jpg"])


def test_a_watch_never_takes_earlier_outputs(
    converted_before: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    photos, sources = converted_before
    dest = tmp_path / "watched-out"
    finished: list[FileFinished] = []
    started = threading.Event()

    def record(event: object) -> None:
        if isinstance(event, FileFinished):
            finished.append(event)
        elif isinstance(event, WatchStarted):
            started.set()

    options = WatchOptions(quiet_seconds=0.2, rescan_seconds=60.0)
    watcher = Watcher([photos], dest, Settings(), record, options)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert started.wait(30)
        wait_for(finished, len(sources))
        # New outputs land in the output folder while the watch runs, then a new photo:
        # the watch converts the photo (so it has looked at both) and nothing else.
        convert_into([photos], photos / "converted", "--format", "png")
        copy_photos(photos, ("skimage_camera.png",))
        wait_for(finished, len(sources) + 1)
    finally:
        watcher.stop()
        thread.join(60)
    assert not thread.is_alive()
    names = sorted(e.result.source.name for e in finished)
    assert names == sorted([*(s.name for s in sources), "skimage_camera.png"]), names
    assert image_files(dest) == sorted(  # the watched folder keeps its name, as in convert
        [*(f"photos/{s.stem}.webp" for s in sources), "photos/skimage_camera.webp"]
    )


def wait_for(finished: list[FileFinished], count: int, timeout: float = 120) -> None:
    wait_until(lambda: len(finished) >= count, timeout, f"{count} files finished")


def test_each_folder_given_keeps_its_name_and_a_rerun_converts_nothing(
    corpus: Path, tmp_path: Path
) -> None:
    """``convert gif apng -o out``: no more ``iss634 (2).webp``; loose files go directly."""
    gif, apng = tmp_path / "gif", tmp_path / "apng"
    gif.mkdir()
    for name in ("iss634.gif", "chi.gif"):
        shutil.copy2(corpus / "gif" / name, gif / name)
    apng.mkdir()
    shutil.copy2(corpus / "apng" / "iss634.apng", apng / "iss634.apng")
    (apng / "deeper").mkdir()
    shutil.copy2(corpus / "apng" / "delay.png", apng / "deeper" / "delay.png")
    loose = copy_photos(tmp_path / "loose", ("mpl_grace_hopper.jpg",))[0]
    out = tmp_path / "out"
    first = convert_into([gif, apng, loose], out, "--recursive")
    layout = [
        "apng/deeper/delay.webp",
        "apng/iss634.webp",
        "gif/chi.webp",
        "gif/iss634.webp",
        "mpl_grace_hopper.webp",
    ]
    assert image_files(out) == layout
    assert first["totals"]["converted"] == 5
    assert all(f["note"] is None or "named" not in f["note"] for f in first["files"])
    again = convert_into([gif, apng, loose], out, "--recursive")
    assert {f["status"] for f in again["files"]} == {"skipped"}
    assert {f["error"] for f in again["files"]} == {"up to date"}
    assert image_files(out) == layout


def test_a_folder_holding_the_destination_maps_directly_into_it(tmp_path: Path) -> None:
    """The window's default (``photos/converted``): that folder's files go directly in."""
    photos = tmp_path / "photos"
    copy_photos(photos, ("mpl_grace_hopper.jpg",))
    other = tmp_path / "other"
    copy_photos(other, ("debian_emblem-debian_256.png",))
    convert_into([photos, other], photos / "converted")
    assert image_files(photos / "converted") == [
        "mpl_grace_hopper.webp",
        "other/debian_emblem-debian_256.webp",
    ]


def test_a_clash_that_remains_is_said_in_the_report(tmp_path: Path) -> None:
    """Two folders of one name (``a/pics``, ``b/pics``) still meet: the note says so."""
    first = copy_photos(tmp_path / "a" / "pics", ("mpl_grace_hopper.jpg",))[0]
    second = copy_photos(tmp_path / "b" / "pics", ("mpl_grace_hopper.jpg",))[0]
    out = tmp_path / "out"
    report = convert_into([first.parent, second.parent], out)
    assert image_files(out) == ["pics/mpl_grace_hopper (2).webp", "pics/mpl_grace_hopper.webp"]
    notes = {Path(f["source"]): f["note"] for f in report["files"]}
    assert notes[first] is None
    assert notes[second] == (
        f"named mpl_grace_hopper (2).webp: mpl_grace_hopper.webp is the output of {first}"
    )
    printed = cli_in_process("convert", str(first.parent), str(second.parent), "-o", str(out))
    assert printed.returncode == 0, printed.stderr  # up to date: the layout is stable
    assert image_files(out) == ["pics/mpl_grace_hopper (2).webp", "pics/mpl_grace_hopper.webp"]


# -- item 12: what walking a folder finds that is not an image -----------------------------


def test_non_images_in_a_folder_are_skipped_and_do_not_fail_the_batch(tmp_path: Path) -> None:
    photo, disguised, others = sidecar_folder(tmp_path / "shoot")
    out = tmp_path / "out"
    report = convert_into([photo.parent], out)  # asserts exit 0
    status = {Path(f["source"]).name: (f["status"], f["error"]) for f in report["files"]}
    assert status == {
        photo.name: ("converted", None),
        disguised.name: ("converted", None),  # content decides: a JPEG named .txt
        **{p.name: ("skipped", "not an image") for p in others},
    }
    assert all(f["output"] is None for f in report["files"] if f["status"] == "skipped")
    assert report["totals"]["failed"] == 0
    assert image_files(out) == ["shoot/mpl_grace_hopper.webp", "shoot/scan.webp"]
    again = cli_in_process("convert", str(photo.parent), "-o", str(out))
    assert again.returncode == 0, again.stderr
    for p in others:
        assert f"skipped: {p}: not an image" in again.stdout


def test_a_dry_run_says_the_same_of_non_images(tmp_path: Path) -> None:
    photo, _disguised, others = sidecar_folder(tmp_path / "shoot")
    done = cli_in_process("convert", str(photo.parent), "-o", str(tmp_path / "out"), "--dry-run")
    assert done.returncode == 0, done.stderr
    skipped = sorted(line for line in done.stdout.splitlines() if line.startswith("would skip"))
    assert skipped == sorted(f"would skip: {p}: not an image" for p in others)
    assert not (tmp_path / "out").exists()


def test_a_non_image_named_explicitly_still_fails(tmp_path: Path) -> None:
    _photo, _disguised, others = sidecar_folder(tmp_path / "shoot")
    done = cli_in_process("convert", str(others[2]), "-o", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr.startswith(f"failed: {others[2]}: "), done.stderr


def test_walking_the_corpus_ext_lies_keeps_content_sniffing_the_rule(
    corpus: Path, tmp_path: Path
) -> None:
    """MANIFEST: a lying extension converts by content; a non-image named like an image
    (a PDF named ``.png``) is still rejected with its reason, even found by walking."""
    rows = [r for r in manifest_rows() if r["file"].startswith("ext_lies/")]
    assert len(rows) == len(list((corpus / "ext_lies").iterdir())) >= 6
    folder = shutil.copytree(corpus / "ext_lies", tmp_path / "ext_lies")
    report = tmp_path / "report.json"
    done = cli_in_process(
        "convert", str(folder), "-o", str(tmp_path / "out"), "--report", str(report)
    )
    assert done.returncode == 1, done.stderr  # the rejected ones are failures
    files = json.loads(report.read_text(encoding="utf-8"))["files"]
    status = {Path(f["source"]).name: f for f in files}
    for row in rows:
        entry = status[Path(row["file"]).name]
        if row["expected"].startswith("convert"):
            assert entry["status"] == "converted", (row["file"], entry)
        else:
            assert row["expected"].startswith("reject"), row
            assert entry["status"] == "failed" and entry["error"].startswith("not an image")
