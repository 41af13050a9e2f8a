"""Converting from the real window: outputs on disk, row statuses, summary, cancel, close."""

from __future__ import annotations

import shutil
import time
from typing import TYPE_CHECKING

import pytest
from guikit import last_dialog, pump_for, pump_until, screenshot
from PIL import Image

from shh_converter.gui import controller as controller_mod
from shh_converter.gui.dialogs import FailuresDialog

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gui

GOOD = [
    "photos/mpl_grace_hopper.jpg",
    "photos/plasma_Grey_2560x1600.jpg",
    "png/pil123rgba.png",
    "names/цветок фото.jpg",
    "orientation/hopper_orientation_6.jpg",
]
BAD = "corrupt/truncated_jpeg.jpg"


def _add(app, paths: list[Path]) -> None:
    app.controller.add_paths(paths)
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="files listed")
    assert app.window.files.files() == paths


def _start(app, dest: Path) -> None:
    app.window.progress.dest_var.set(str(dest))
    app.window.progress.convert_btn.invoke()
    assert app.controller.batch.running


def _wait_done(app, timeout: float = 120) -> None:
    pump_until(app.root, lambda: not app.controller.batch.running, timeout, what="batch end")
    app.root.update()


def _no_partials(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if ".shh-partial" in p.name]


def test_convert_real_images_outputs_rows_and_summary(app, corpus, tmp_path, shots_dir):
    inputs = [corpus / f for f in GOOD] + [corpus / BAD]
    _add(app, inputs)
    app.window.presets.apply("Web 1600 WebP")
    dest = tmp_path / "out put"
    _start(app, dest)
    _wait_done(app)
    dialog = last_dialog(app, FailuresDialog)
    pump_until(app.root, lambda: dialog.winfo_viewable(), what="failures dialog shown")
    pump_for(app.root, 0.3)  # let it paint before the screen is grabbed
    screenshot(app, shots_dir, "04-summary", whole_screen=True)
    files = app.window.files
    for src in inputs[:-1]:
        assert files.status_of(src) == "done", files.status_of(src)
        out = dest / f"{src.stem}.webp"
        with Image.open(out) as im:
            im.load()
            assert im.format == "WEBP" and max(im.size) <= 1600
        row_size = files.tree.set(files.iids[src], "size")
        assert "→" in row_size and row_size.endswith("B")
    with Image.open(dest / "plasma_Grey_2560x1600.webp") as im:
        assert im.size == (1600, 1000)
    with Image.open(dest / "hopper_orientation_6.webp") as im:  # EXIF rotation applied
        assert im.size[0] < im.size[1] or im.size == (128, 128)
    bad = files.status_of(inputs[-1])
    assert bad.startswith("failed: ") and len(bad) > len("failed: ") + 3
    assert not (dest / "truncated_jpeg.webp").exists()
    done = app.controller.batch.last
    assert (done.converted, done.failed, done.cancelled) == (5, 1, False)
    summary = app.window.progress.summary_label.cget("text")
    assert summary.startswith("Done: 5 converted, 0 skipped, 1 failed") and "saved" in summary
    assert app.window.progress.count_label.cget("text") == "6 of 6"
    rows = dialog.tree.get_children()
    assert [dialog.tree.item(r, "text") for r in rows] == ["truncated_jpeg.jpg"]
    assert dialog.tree.set(rows[0], "reason") == bad.removeprefix("failed: ")
    assert app.window.progress.convert_btn.instate(["!disabled"])
    _no_partials(dest)
    for src in inputs:
        assert src.is_file()  # sources untouched (the corpus is read-only anyway)


@pytest.fixture
def many_big(corpus, tmp_path) -> list[Path]:
    folder = tmp_path / "big"
    folder.mkdir()
    first = folder / "p000.jpg"
    shutil.copy(corpus / "photos" / "plasma_Path_2560x1600.jpg", first)
    for i in range(1, 24):
        shutil.copy(first, folder / f"p{i:03d}.jpg")
    return sorted(folder.iterdir())


def test_cancel_mid_batch_stops_fast_and_leaves_only_complete_files(
    app, many_big, tmp_path, shots_dir
):
    _add(app, many_big)
    app.window.settings.v["resize"].set("Original size")
    dest = tmp_path / "dest"
    _start(app, dest)
    files = app.window.files
    pump_until(
        app.root,
        lambda: any(files.status_of(p) == "done" for p in many_big),
        timeout=60,
        what="first file done",
    )
    screenshot(app, shots_dir, "03-progress")
    app.root.focus_force()
    app.root.update()
    app.window.files.tree.focus_set()
    app.window.files.tree.event_generate("<Escape>")  # the keyboard shortcut
    app.root.update()
    assert app.controller.batch.cancel_requested_at is not None
    t0 = time.perf_counter()
    _wait_done(app, timeout=10)
    took = time.perf_counter() - t0
    assert took < 2.0, f"cancel took {took:.2f}s"  # the benchmark holds it to 1 s, median
    done = app.controller.batch.last
    assert done.cancelled and 0 < done.converted < len(many_big)
    outputs = sorted(dest.glob("*.webp"))
    assert len(outputs) == done.converted
    for out in outputs:
        with Image.open(out) as im:
            im.load()  # complete files only
            assert im.size == (2560, 1600)
    _no_partials(dest)
    statuses = [files.status_of(p) for p in many_big]
    assert statuses.count("done") == done.converted
    assert "not converted (cancelled)" in statuses
    assert app.window.progress.summary_label.cget("text").startswith("Cancelled after ")


def slow_avif(app) -> None:
    """AVIF at speed 0: a 2560x1600 photo takes far longer than the cancel's grace."""
    import dataclasses

    panel = app.window.settings
    s = panel.get_settings()
    panel.set_settings(
        dataclasses.replace(s, encode=dataclasses.replace(s.encode, format="avif", avif_speed=0))
    )


def test_cancel_is_not_a_failure(app, corpus, tmp_path):
    """The file in flight is "cancelled" (not failed, no failures dialog), the summary
    says after how many, and the preview paused for the batch comes back (issue 20.8)."""
    big = corpus / "photos" / "plasma_Path_2560x1600.jpg"
    small = [corpus / "png" / "pil123rgba.png"]  # 162x150: quick even at speed 0
    inputs = [*small, big]
    _add(app, inputs)
    slow_avif(app)
    files, preview = app.window.files, app.window.preview
    files.tree.selection_set(files.iids[small[0]])
    pump_until(app.root, lambda: preview.state_text == "working", what="a preview on its way")
    _start(app, tmp_path / "out")
    assert preview.after_label.cget("text") == "Preview paused: converting…"
    pump_until(
        app.root,
        lambda: (
            all(files.status_of(p) == "done" for p in small) and files.status_of(big) == "working"
        ),
        timeout=120,
        what="the small files done, the big one in flight",
    )
    app.window.progress.cancel_btn.invoke()
    _wait_done(app, timeout=20)
    done = app.controller.batch.last
    assert done.cancelled and done.converted == 1
    assert files.status_of(big) == "cancelled"
    assert files.tree.item(files.iids[big], "tags") == ("cancelled",)
    summary = app.window.progress.summary_label.cget("text")
    assert summary.startswith("Cancelled after 1 of 2: 1 converted, 0 skipped, 0 failed"), summary
    assert last_dialog(app, FailuresDialog) is None
    pump_until(app.root, lambda: preview.state_text == "ready", timeout=60, what="preview back")
    assert "paused" not in str(preview.after_label.cget("text"))
    assert not list((tmp_path / "out").glob("plasma_Path*"))
    _no_partials(tmp_path / "out")


def test_close_during_batch_asks_then_quits_cleanly(app, many_big, tmp_path, monkeypatch):
    answers, asked = [False, True], []

    def askyesno(title, message, **kw):
        asked.append(message)
        return answers.pop(0)

    monkeypatch.setattr(controller_mod.messagebox, "askyesno", askyesno)
    _add(app, many_big)
    dest = tmp_path / "dest"
    _start(app, dest)
    app.controller.request_close()  # the user says "no": the batch goes on
    assert asked == ["Cancel the batch and quit?"]
    assert app.controller.batch.running and not app.controller.closing
    app.controller.request_close()  # now "yes"
    t0 = time.perf_counter()
    gone = []
    app.root.bind("<Destroy>", lambda e: gone.append(e.widget) if e.widget is app.root else None)
    pump_until(app.root, lambda: gone, timeout=6, what="window destroyed")
    assert time.perf_counter() - t0 < 5.0
    _no_partials(dest)
    for out in dest.glob("*.webp"):
        with Image.open(out) as im:
            im.load()


def test_convert_with_nothing_listed_says_so(app):
    app.window.progress.convert_btn.invoke()
    assert not app.controller.batch.running
    assert app.window.progress.summary_label.cget("text") == "Add some images first."


def test_damaged_model_stops_the_batch_with_one_message(app, corpus, tmp_path):
    from shh_converter import paths

    paths.ensure(paths.models_dir)
    (paths.models_dir / "u2netp.onnx").write_bytes(b"not a model")  # shadows the bundled one
    inputs = [corpus / f for f in GOOD[:2]]
    _add(app, inputs)
    app.window.presets.apply("Product cut-out")
    dest = tmp_path / "out"
    _start(app, dest)
    _wait_done(app)
    done = app.controller.batch.last
    assert done.error and "damaged" in done.error and done.results == ()
    summary = app.window.progress.summary_label.cget("text")
    assert "damaged" in summary
    assert not dest.exists() or not any(dest.iterdir()), "nothing saved with its background"
    assert all(app.window.files.status_of(src) != "done" for src in inputs)


def test_second_batch_runs_on_the_first_ones_warm_workers(app, corpus, tmp_path):
    """The window keeps its worker processes between batches (same pids), lets them go
    after its idle time, and the batch after that starts fresh ones."""
    import psutil

    inputs = [corpus / f for f in GOOD[:3]]
    _add(app, inputs)
    warm = app.controller.batch.warm
    assert warm.pids() == []  # nothing spawned before the first Convert
    _start(app, tmp_path / "one")
    _wait_done(app)
    first = warm.pids()
    assert first and all(psutil.pid_exists(pid) for pid in first)
    app.window.presets.apply("Web 1600 WebP")  # other settings: sent to the same workers
    _start(app, tmp_path / "two")
    _wait_done(app)
    assert app.controller.batch.last.converted == 3
    assert all((tmp_path / "two" / f"{p.stem}.webp").is_file() for p in inputs)
    assert warm.pids() == first
    warm.idle_seconds = 0.2
    _start(app, tmp_path / "three")  # its end starts the short idle clock
    _wait_done(app)
    pump_until(app.root, lambda: warm.pids() == [], 30, what="idle workers let go")
    pump_until(app.root, lambda: not any(psutil.pid_exists(p) for p in first), 30, what="exit")
    warm.idle_seconds = 120.0
    _start(app, tmp_path / "four")
    _wait_done(app)
    assert app.controller.batch.last.converted == 3
    fresh = warm.pids()
    assert fresh and not set(fresh) & set(first)
