"""Issue 20's everyday session, played on the real window from one start.

One person's ordinary session combines features that each pass their own tests: a
folder converted, the settings column scrolled with the real wheel, two more folders
dropped by real XDND (one on the preview), *Save to* changed and the first folder
added again, a size cap, a cancel mid-batch and a second Convert that finishes the
rest. After each step every output on disk is checked (names, count, dimensions with
Pillow) and, after the wheel, the settings as saved. The single features' own tests:
tests/gui/test_wheel.py, test_window.py (drops), test_input_folders.py,
test_outputs.py (cap) and test_batch.py (cancel).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from guikit import (
    WHEEL_KINDS,
    add_and_wait,
    centre_of,
    column_pointer_spots,
    convert_and_wait,
    last_dialog,
    pump_until,
    saved_settings,
    screenshot,
    wheel_column_through,
    xdnd_drag,
)
from PIL import Image
from support import copy_corpus, copy_photos, fitted, image_files, sidecar_folder, upright_size
from wheel_probe import SHORT

from shh_converter.core.settings import OutputFormat
from shh_converter.gui.dialogs import FailuresDialog

pytestmark = [pytest.mark.gui, pytest.mark.slow]

# Small photos, one of them turned by its EXIF orientation and one bigger than 1600 px
# on both counts; the 14.7-megapixel PNG is the one a cancel catches in flight (as an
# AVIF at its own size it takes seconds, the others well under one).
PHOTOS = (
    "mpl_grace_hopper.jpg",
    "debian_emblem-debian_256.png",
    "sklearn_china.jpg",
    "exif_Portrait_6.jpg",
    "plasma_MilkyWay_5120x2880.png",
)
SLOW = "plasma_MilkyWay_5120x2880.png"
LONGEST = 1600  # the default recipe's longest side (Web 1600 WebP)
VALUE_KINDS = {"TCombobox", "TSpinbox", "TScale"}


def check_outputs(
    dest: Path, expected: dict[str, Path], fmt: str, longest: int | None = LONGEST
) -> None:
    """``dest`` holds exactly ``expected`` (relative name -> its source), each a whole
    ``fmt`` image of the source's upright size fitted to ``longest``."""
    assert image_files(dest) == sorted(expected)
    assert not [p for p in dest.rglob("*") if ".shh-partial" in p.name]
    for rel, src in expected.items():
        with Image.open(dest / rel) as im:
            im.load()  # a whole file
            assert im.format == fmt, rel
            assert im.size == fitted(upright_size(src), longest), rel


def outputs_of(sources: list[Path], under: str, ext: str) -> dict[str, Path]:
    return {f"{under}{src.stem}.{ext}": src for src in sources}


def mtimes(folder: Path) -> dict[str, int]:
    return {rel: (folder / rel).stat().st_mtime_ns for rel in image_files(folder)}


def test_the_everyday_session(app, tmp_path: Path, shots_dir: Path) -> None:  # type: ignore[no-untyped-def]
    root, w = app.root, app.window
    files, panel, progress = w.files, w.settings, w.progress
    photos = tmp_path / "photos"
    copy_photos(photos, PHOTOS)
    _photo, _disguised, non_images = sidecar_folder(photos)  # + scan.txt (a JPEG), sidecars
    photo_images = sorted(p for p in photos.iterdir() if p not in non_images)
    untouched = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in photos.iterdir()}

    # 1. Add a folder and convert, into the default Save to.
    add_and_wait(app, [photos])
    assert sorted(files.files()) == sorted(photo_images + non_images)
    # The row selected (and previewed) at once is a photo, not album.json listed first.
    assert files.selected() == [next(p for p in files.files() if p not in non_images)]
    first_dest = Path(progress.dest_var.get())
    assert first_dest == photos / "converted"
    convert_and_wait(app, first_dest)
    check_outputs(first_dest, outputs_of(photo_images, "", "webp"), "WEBP")
    done = app.controller.batch.last
    assert (done.converted, done.failed) == (len(photo_images), 0)
    for path in non_images:
        assert files.status_of(path) == "not an image, skipped"
    assert last_dialog(app, FailuresDialog) is None
    first_outputs = mtimes(first_dest)

    # 2. Scroll the whole settings column with the real wheel, the pointer over each
    # kind of value widget: the settings as saved stay byte for byte the same.
    size = (root.winfo_width(), root.winfo_height())
    root.geometry(SHORT)  # short enough that the column scrolls
    pump_until(root, lambda: w.settings_column.scrolls, what="the settings column to scroll")
    before = saved_settings(app)
    spots = column_pointer_spots(app)
    kinds = [k for k in WHEEL_KINDS if k in VALUE_KINDS]
    under: set[str] = set()
    for kind in kinds:
        run = wheel_column_through(app, *spots[WHEEL_KINDS.index(kind)])
        assert run["down"] >= 3 and run["up"] >= 3, run
        under.update(run["under"])
    assert under >= VALUE_KINDS, f"value widgets never under the pointer: {under}"
    assert saved_settings(app) == before
    root.geometry(f"{size[0]}x{size[1]}")
    pump_until(root, lambda: (root.winfo_width(), root.winfo_height()) == size, what="size back")

    # 3. Drop two more folders by real XDND, one on the preview, one on the file list;
    # their files share a stem (hopper) and each folder keeps its own name.
    heif = copy_corpus(tmp_path / "heif_avif", "heif_avif", ("hopper.heif", "transparency.avif"))
    turned = ("hopper.jpg", "hopper_orientation_6.jpg")
    orientation = copy_corpus(tmp_path / "orientation", "orientation", turned)
    listed = len(files.files())
    for folder, target in ((heif, w.preview), (orientation, files.tree)):
        listed += len(folder)
        x, y = centre_of(target)
        xdnd_drag(app, [folder[0].parent], x, y, lambda n=listed: len(files.files()) == n)
        pump_until(root, lambda: app.controller.pending_adds == 0, what="files listed")
    assert app.controller.roots == [photos, heif[0].parent, orientation[0].parent]
    screenshot(app, shots_dir, "scenario-1-after-drops")
    convert_and_wait(app, first_dest)
    expected = {
        **outputs_of(photo_images, "", "webp"),
        **outputs_of(heif, "heif_avif/", "webp"),
        **outputs_of(orientation, "orientation/", "webp"),
    }
    check_outputs(first_dest, expected, "WEBP")
    assert not [name for name in image_files(first_dest) if "(2)" in name]
    assert {rel: mtimes(first_dest)[rel] for rel in first_outputs} == first_outputs
    for src in photo_images:
        assert files.status_of(src) == "skipped: up to date"
    for src in heif + orientation:  # a note may follow ("not smaller than the source")
        assert files.status_of(src).startswith("done"), files.status_of(src)

    # 4. Save to elsewhere, the first folder added again: only its sources are listed
    # (not the outputs now in photos/converted), and they convert under photos/.
    all_rows = sorted(files.files())
    elsewhere = tmp_path / "elsewhere"
    progress.dest_var.set(str(elsewhere))
    add_and_wait(app, [photos])
    assert sorted(files.files()) == all_rows
    assert not [p for p in files.files() if first_dest in p.parents]
    assert Path(progress.dest_var.get()) == elsewhere
    convert_and_wait(app, elsewhere)
    reference = {
        **outputs_of(photo_images, "photos/", "webp"),
        **outputs_of(heif, "heif_avif/", "webp"),
        **outputs_of(orientation, "orientation/", "webp"),
    }
    check_outputs(elsewhere, reference, "WEBP")
    assert app.controller.batch.last.converted == len(reference)

    # 5. A cap of N KB with some outputs under it at the chosen quality, some over.
    sizes = sorted((elsewhere / rel).stat().st_size for rel in reference)
    cap_kb = int(0.9 * sizes[-2]) // 1000  # the two biggest over it, by 10 % and more
    panel.v["max_kb"].set(str(cap_kb))
    root.update()
    assert app.controller.current_settings().max_kb == cap_kb
    capped = tmp_path / "capped"
    convert_and_wait(app, capped)
    check_outputs(capped, reference, "WEBP")
    under_cap = [rel for rel in reference if (elsewhere / rel).stat().st_size <= cap_kb * 1000]
    over_cap = [rel for rel in reference if rel not in under_cap]
    assert under_cap and over_cap, sizes
    for rel in under_cap:  # a cap, not a target: the chosen quality's file, byte for byte
        assert (capped / rel).read_bytes() == (elsewhere / rel).read_bytes(), rel
    for rel in over_cap:
        size_now, row = (capped / rel).stat().st_size, files.status_of(reference[rel])
        assert size_now < (elsewhere / rel).stat().st_size, rel
        in_range = 0.9 * cap_kb * 1000 <= size_now <= cap_kb * 1000
        assert "quality lowered to" in row if in_range else "not reached" in row, (rel, row)
    panel.v["max_kb"].set("0")
    root.update()
    assert app.controller.current_settings().max_kb is None

    # 6. Cancel mid-batch: AVIF at each photo's own size, cancelled as soon as the big
    # one has started (it takes seconds, far longer than the cancel's grace).
    panel.v["resize"].set("Original size")
    s = panel.get_settings()
    panel.set_settings(
        dataclasses.replace(s, encode=dataclasses.replace(s.encode, format=OutputFormat.AVIF))
    )
    root.update()
    avif = tmp_path / "avif"
    slow = photos / SLOW
    progress.dest_var.set(str(avif))
    progress.convert_btn.invoke()
    pump_until(root, lambda: files.status_of(slow) == "working", 120, what="the big file started")
    progress.cancel_btn.invoke()
    pump_until(root, lambda: not app.controller.batch.running, 30, what="the cancel")
    root.update()
    done = app.controller.batch.last
    assert done.cancelled
    assert files.status_of(slow) == "cancelled"
    assert last_dialog(app, FailuresDialog) is None
    rows = files.files()
    statuses = {p: files.status_of(p) for p in rows}
    stopped = [p for p, st in statuses.items() if st in ("cancelled", "not converted (cancelled)")]
    finished = len(rows) - len(stopped)
    summary = progress.summary_label.cget("text")
    assert summary.startswith(f"Cancelled after {finished} of {len(rows)}: "), summary
    assert progress.count_label.cget("text") == f"{finished} of {len(rows)}"  # the same count
    assert float(progress.bar.cget("value")) == finished
    assert "failed" not in "".join(statuses.values())
    made = [src for src, st in statuses.items() if st.startswith("done")]
    all_avif = {
        **outputs_of(photo_images, "photos/", "avif"),
        **outputs_of(heif, "heif_avif/", "avif"),
        **outputs_of(orientation, "orientation/", "avif"),
    }
    check_outputs(avif, {r: s for r, s in all_avif.items() if s in made}, "AVIF", None)
    screenshot(app, shots_dir, "scenario-2-after-cancel")

    # 7. Convert again: what was left is converted, nothing twice.
    earlier = mtimes(avif)
    convert_and_wait(app, avif, timeout=300)
    check_outputs(avif, all_avif, "AVIF", None)
    assert {rel: mtimes(avif)[rel] for rel in earlier} == earlier
    for src in all_avif.values():
        row = files.status_of(src)
        assert row == "skipped: up to date" if src in made else row.startswith("done"), row
    done = app.controller.batch.last
    assert (done.converted, done.failed) == (len(all_avif) - len(made), 0)
    assert progress.summary_label.cget("text").startswith("Done: ")
    preview = w.preview  # paused for the batch, back after it
    pump_until(root, lambda: preview.state_text == "ready", 60, what="the preview back")
    assert "paused" not in str(preview.after_label.cget("text"))
    screenshot(app, shots_dir, "scenario-3-end")
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in untouched} == untouched
