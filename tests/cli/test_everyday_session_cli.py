"""Issue 20's everyday session in the CLI, one step after another on the same folders (the
window's: tests/gui/test_everyday_session.py); the conversions run in-process, the Ctrl-C
and its re-run as real processes.

Each rule alone has its own test; this one combines them the way a session does:

* earlier outputs not re-read with -o elsewhere: test_input_folders.py
  ``test_earlier_outputs_are_not_inputs_when_the_destination_is_elsewhere``; here with
  ``--recursive`` (the outputs are in a subfolder of the folder walked) and two more
  folders whose files share a stem;
* folders keep their names: ``test_each_folder_given_keeps_its_name_and_a_rerun_converts_nothing``;
* no enlarging: test_cli_convert.py ``test_nothing_is_enlarged_unless_asked`` (README's first
  example on two made-up images); here that example on the session's folders;
* --max-kb: test_cli_recipes.py ``test_max_kb_is_a_cap_from_the_command_line`` (one file);
  here a whole batch with files on both sides of the cap;
* responsive names: ``test_names_say_real_widths_and_the_report_has_the_picture_html``;
  here on a folder with a portrait turned by EXIF and sidecars;
* favicon sets: tests/core/test_outputs.py (in-process); here two logos with one name in
  two folders, by the CLI;
* non-images skipped: ``test_non_images_in_a_folder_are_skipped_and_do_not_fail_the_batch``;
* interrupted then re-run: test_cli_convert.py ``test_ctrl_c_exits_130_and_leaves_only_whole_files``
  (no re-run) and ``test_rerun_after_a_hard_kill_finishes_only_the_rest`` (SIGKILL); here
  Ctrl-C, then the re-run finishing only what was left.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from support import (
    convert_into,
    copy_corpus,
    copy_photos,
    ctrl_c_after_first_file,
    fitted,
    image_files,
    run_cli,
    sidecar_folder,
    upright_size,
)

pytestmark = pytest.mark.slow

PHOTOS = (
    "mpl_grace_hopper.jpg",
    "debian_emblem-debian_256.png",
    "sklearn_china.jpg",
    "exif_Portrait_6.jpg",  # 1800x1200 stored, upright 1200x1800
    "plasma_Grey_2560x1600.jpg",
)
README_FIRST_EXAMPLE = ("--recursive", "--resize", "max-side", "--size", "1600")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def session(tmp_path: Path) -> dict[str, Any]:
    """photos/ (with sidecars) converted once into photos/converted, as a first step;
    orientation/ and heif_avif/ beside it (both hold a hopper)."""
    photos = tmp_path / "photos"
    copy_photos(photos, PHOTOS)
    _photo, _disguised, sidecars = sidecar_folder(photos)
    images = sorted(p for p in photos.iterdir() if p not in sidecars)
    report = convert_into([photos], photos / "converted")  # exit 0 with the sidecars in it
    status = {Path(f["source"]): (f["status"], f["error"]) for f in report["files"]}
    assert status == {
        **{p: ("converted", None) for p in images},
        **{p: ("skipped", "not an image") for p in sidecars},
    }
    assert image_files(photos / "converted") == sorted(f"{p.stem}.webp" for p in images)
    heif = copy_corpus(tmp_path / "heif_avif", "heif_avif", ("hopper.heif", "transparency.avif"))
    turned = ("hopper.jpg", "hopper_orientation_6.jpg")
    orientation = copy_corpus(tmp_path / "orientation", "orientation", turned)
    folders = [photos, heif[0].parent, orientation[0].parent]
    expected = {f"{src.parent.name}/{src.stem}.webp": src for src in images + heif + orientation}
    return {"folders": folders, "images": images, "sidecars": sidecars, "expected": expected}


def test_folders_elsewhere_then_a_cap(session: dict[str, Any], tmp_path: Path) -> None:
    folders, expected = session["folders"], session["expected"]
    elsewhere = tmp_path / "elsewhere"
    report = convert_into(folders, elsewhere, *README_FIRST_EXAMPLE)
    sources = {Path(f["source"]) for f in report["files"]}
    assert not [s for s in sources if "converted" in s.parts]  # the earlier outputs
    assert sources == {*expected.values(), *session["sidecars"]}
    assert image_files(elsewhere) == sorted(expected)  # each folder by its name, no "(2)"
    for rel, src in expected.items():
        with Image.open(elsewhere / rel) as im:
            assert im.size == fitted(upright_size(src), 1600), rel

    # The same batch with a cap half the files are under at the chosen quality.
    sizes = sorted((elsewhere / rel).stat().st_size for rel in expected)
    cap_kb = int(0.9 * sizes[-2]) // 1000  # the two biggest over it, by 10 % and more
    capped = tmp_path / "capped"
    report = convert_into(folders, capped, *README_FIRST_EXAMPLE, "--max-kb", str(cap_kb))
    entries = {
        Path(f["output"]).relative_to(capped).as_posix(): f for f in report["files"] if f["output"]
    }
    assert sorted(entries) == image_files(capped) == sorted(expected)
    under = [rel for rel in expected if (elsewhere / rel).stat().st_size <= cap_kb * 1000]
    assert under and len(under) < len(expected), sizes
    for rel in expected:
        size, entry = (capped / rel).stat().st_size, entries[rel]
        if rel in under:  # a cap, not a target: the chosen quality's file, one encode
            assert (capped / rel).read_bytes() == (elsewhere / rel).read_bytes(), rel
            assert entry["encodes"] == 1, entry
        else:
            assert size < (elsewhere / rel).stat().st_size, rel
            in_range = 0.9 * cap_kb * 1000 <= size <= cap_kb * 1000
            note = entry["note"] or ""
            assert note.startswith("quality lowered to" if in_range else "limit"), entry


def test_responsive_and_favicon_sets(session: dict[str, Any], tmp_path: Path) -> None:
    photos = session["folders"][0]
    web = tmp_path / "web"
    report = convert_into([photos], web, "--set", "responsive")  # sidecars: exit 0 still
    made = [f for f in report["files"] if f["output"]]
    assert made and {Path(f["source"]) for f in made} == set(session["images"])
    for source in session["images"]:
        outputs = [Path(f["output"]) for f in made if Path(f["source"]) == source]
        assert len({sha(p) for p in outputs}) == len(outputs), outputs  # no two the same
        for out in outputs:
            with Image.open(out) as im:  # the number in the name is the real width
                assert out.stem.rsplit("-", 1)[1] == str(im.size[0]), out
                assert im.size[0] <= upright_size(source)[0], out  # never enlarged
    assert sorted(image_files(web)) == sorted(
        Path(f["output"]).relative_to(web).as_posix() for f in made
    )

    # Two logos of one name, each in its own folder: a set per folder, no "(2)".
    logos = [
        copy_photos(tmp_path / brand, (name,))[0].rename(tmp_path / brand / "logo.png")
        for brand, name in (
            ("brand-a", "mpl_logo2.png"),
            ("brand-b", "debian_emblem-debian_256.png"),
        )
    ]
    site = tmp_path / "site"
    convert_into([logo.parent for logo in logos], site, "--set", "favicon")
    icons = ["apple-touch-icon.png", "favicon.ico", "icon-192.png", "icon-512.png"]
    assert image_files(site) == sorted(
        f"{brand}/logo/{name}"
        for brand in ("brand-a", "brand-b")
        for name in [*icons, "site.webmanifest"]
    )
    for brand in ("brand-a", "brand-b"):
        manifest = json.loads((site / brand / "logo" / "site.webmanifest").read_text("utf-8"))
        assert [i["src"] for i in manifest["icons"]] == ["icon-192.png", "icon-512.png"]
        with Image.open(site / brand / "logo" / "apple-touch-icon.png") as im:
            alpha = im.convert("RGBA").getchannel("A").getextrema()
            assert im.size == (180, 180) and alpha == (255, 255), brand  # opaque for iOS


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX-only here")
def test_ctrl_c_then_the_rerun_finishes_only_what_was_left(
    session: dict[str, Any], tmp_path: Path
) -> None:
    folders, expected = session["folders"], session["expected"]
    out = tmp_path / "out"
    # One worker: after the first file, at most the one in flight and one queued behind
    # it can still finish, so the interrupt always leaves files to do.
    args = ["convert", *map(str, folders), "-o", str(out), *README_FIRST_EXAMPLE, "--jobs", "1"]
    code, err = ctrl_c_after_first_file(*args)
    assert code == 130, err
    before = {rel: (out / rel).stat().st_mtime_ns for rel in image_files(out)}
    assert 1 <= len(before) <= 3 and set(before) <= set(expected), before
    assert not [p for p in out.rglob("*") if ".shh-partial" in p.name]
    for rel in before:
        with Image.open(out / rel) as im:
            im.load()  # whole files only

    report = tmp_path / "r.json"
    rerun = run_cli(*args, "--report", str(report))
    assert rerun.returncode == 0, rerun.stderr
    files = json.loads(report.read_text(encoding="utf-8"))["files"]
    status = {
        Path(f["output"]).relative_to(out).as_posix(): (f["status"], f["error"])
        for f in files
        if f["output"]
    }
    assert sorted(status) == image_files(out) == sorted(expected)  # nothing twice, no "(2)"
    for rel in expected:
        if rel in before:
            assert status[rel] == ("skipped", "up to date")
            assert (out / rel).stat().st_mtime_ns == before[rel]
        else:
            assert status[rel] == ("converted", None)
