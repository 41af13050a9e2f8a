"""The window takes folders the way the CLI does (issue 20, items 2 and 3).

Folders are added through the controller's ``add_paths`` (what a drop and *Add
folder…* call) and converted with the real Convert button; rows and files on disk
are checked. The rules themselves: tests/test_input_folders.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from guikit import add_and_wait, convert_and_wait, last_dialog, pump_until
from support import convert_into, copy_photos, image_files, sidecar_folder

from shh_converter.gui.dialogs import FailuresDialog

pytestmark = pytest.mark.gui


def test_a_folder_added_again_with_save_to_elsewhere_lists_only_its_sources(
    app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    photos = tmp_path / "photos"
    sources = copy_photos(photos)
    convert_into([photos], photos / "converted")  # the earlier session, default Save to
    elsewhere = tmp_path / "elsewhere"
    app.window.progress.dest_var.set(str(elsewhere))
    add_and_wait(app, [photos])
    assert app.window.files.files() == sorted(sources)  # not the 3 earlier .webp outputs
    convert_and_wait(app, elsewhere)
    assert image_files(elsewhere) == sorted(f"photos/{s.stem}.webp" for s in sources)


def test_dropped_folders_keep_their_names_and_a_clash_is_said_on_the_row(
    app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    first = copy_photos(tmp_path / "photos", ("mpl_grace_hopper.jpg",))[0]
    other = copy_photos(tmp_path / "orientation", ("mpl_grace_hopper.jpg",))[0]
    twin = copy_photos(tmp_path / "more" / "orientation", ("mpl_grace_hopper.jpg",))[0]
    add_and_wait(app, [first.parent])
    default = Path(app.window.progress.dest_var.get())
    assert default == first.parent / "converted"  # the first input's default Save to
    add_and_wait(app, [other.parent, twin.parent])  # dropped onto the list later
    convert_and_wait(app, default)
    assert image_files(default) == [
        "mpl_grace_hopper.webp",  # the folder holding Save to: directly into it
        "orientation/mpl_grace_hopper (2).webp",
        "orientation/mpl_grace_hopper.webp",
    ]
    files = app.window.files
    assert files.status_of(first) == files.status_of(other) == "done"
    assert files.status_of(twin) == (
        f"done (named mpl_grace_hopper (2).webp: mpl_grace_hopper.webp is the output of {other})"
    )
    convert_and_wait(app, default)  # again: everything up to date, nothing new
    assert {files.status_of(p) for p in (first, other, twin)} == {"skipped: up to date"}
    assert len(image_files(default)) == 3


def test_non_images_in_an_added_folder_are_listed_as_skipped(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo, disguised, others = sidecar_folder(tmp_path / "shoot")
    add_and_wait(app, [photo.parent])
    files = app.window.files
    assert sorted(files.files()) == sorted([photo, disguised, *others])
    for path in others:
        assert files.status_of(path) == "not an image, skipped"
    first_image = next(p for p in files.files() if p not in others)  # album.json is first
    assert files.selected() == [first_image]  # selected and previewed: not a sidecar
    convert_and_wait(app, tmp_path / "out")
    assert app.controller.batch.last.failed == 0
    assert files.status_of(photo) == files.status_of(disguised) == "done"
    for path in others:
        assert files.status_of(path) == "not an image, skipped"
    assert last_dialog(app, FailuresDialog) is None


def test_the_first_image_of_an_added_folder_is_selected_not_a_sidecar_before_it(
    app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "shoot"
    folder.mkdir()
    for name in ("0-album.json", "1-notes.txt"):  # listed before the photo
        (folder / name).write_text('{"title": "holiday"}\n', encoding="utf-8")
    photo = copy_photos(folder, ("mpl_grace_hopper.jpg",))[0]
    add_and_wait(app, [folder])
    files = app.window.files
    first = files.tree.get_children()[0]
    assert files.paths[first] == folder / "0-album.json"  # the order has a sidecar first
    assert files.tree.selection() == (files.iids[photo],)
    preview = app.window.preview
    pump_until(app.root, lambda: preview.state_text == "ready", what="the photo's preview")
    assert not preview.after_label.cget("text").startswith("Cannot preview")


def test_a_folder_of_non_images_selects_nothing_to_preview(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _photo, _disguised, others = sidecar_folder(tmp_path / "shoot")
    only = tmp_path / "notes"
    only.mkdir()
    for path in others:  # the xmp, json and txt without the photos
        path.rename(only / path.name)
    add_and_wait(app, [only])
    assert len(app.window.files.iids) == 3
    assert app.window.files.tree.selection() == ()
    assert app.window.preview.after_label.cget("text") == "Select a file to preview it"
