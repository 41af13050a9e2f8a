"""The window on the one batch path: the outputs list, per-output rows, folders mirrored and
never re-ingested, presets shared with the CLI, every engine event type handled."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest
from guikit import close_app, make_app, pump_until, screenshot
from PIL import Image
from support import run_cli

from shh_converter.core.events import EVENT_TYPES
from shh_converter.core.settings import OutputFormat

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gui


def _add(app, paths: list[Path]) -> None:  # type: ignore[no-untyped-def]
    app.controller.add_paths(paths)
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="files listed")


def _convert(app, dest: Path) -> None:  # type: ignore[no-untyped-def]
    app.window.progress.dest_var.set(str(dest))
    app.window.progress.convert_btn.invoke()
    pump_until(app.root, lambda: not app.controller.batch.running, 180, what="batch end")
    app.root.update()


def test_every_engine_event_type_has_a_handler(app) -> None:  # type: ignore[no-untyped-def]
    assert set(app.controller.batch.handlers) == set(EVENT_TYPES)


def test_outputs_list_add_duplicate_reorder_remove_and_sets(app) -> None:  # type: ignore[no-untyped-def]
    outputs, panel = app.window.outputs, app.window.settings
    assert len(outputs.outputs) == 1
    panel.format_box.set("JPEG")
    panel.format_box.event_generate("<<ComboboxSelected>>")
    app.root.update()
    assert outputs.outputs[0].encode.format == OutputFormat.JPEG  # the panel edits output 1
    outputs.buttons["Add"].invoke()
    assert len(outputs.outputs) == 2 and outputs.index == 1
    assert outputs.outputs[1].name_template == "{stem}-2.{ext}"
    panel.format_box.set("PNG")
    panel.format_box.event_generate("<<ComboboxSelected>>")
    app.root.update()
    assert [o.encode.format for o in outputs.outputs] == [OutputFormat.JPEG, OutputFormat.PNG]
    outputs.buttons["Duplicate"].invoke()
    assert len(outputs.outputs) == 3 and outputs.outputs[2].name_template == "{stem}-2-copy.{ext}"
    outputs.buttons["▲"].invoke()
    assert outputs.index == 1 and outputs.outputs[1].name_template == "{stem}-2-copy.{ext}"
    outputs.listbox.selection_clear(0, "end")
    outputs.listbox.selection_set(0)
    outputs.listbox.event_generate("<<ListboxSelect>>")
    app.root.update()
    assert panel.get_settings().encode.format == OutputFormat.JPEG  # the panel follows
    for _ in range(3):
        outputs.buttons["Remove"].invoke()
    assert len(outputs.outputs) == 1 and outputs.buttons["Remove"].instate(["disabled"])
    outputs.add_set("responsive")
    assert len(outputs.outputs) == 5
    assert outputs.listbox.get(1) == "2. WEBP · 480 px wide · name-{width}.webp"
    recipe = app.controller.current_recipe()
    assert [o.resize.width for o in recipe.outputs[1:]] == [480, 960, 1600, 1600]


def test_several_outputs_per_input_with_a_row_each(app, tmp_path, shots_dir) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in" / "photo.jpg"
    src.parent.mkdir()
    Image.linear_gradient("L").resize((800, 600)).convert("RGB").save(src)
    _add(app, [src])
    app.window.outputs.set_recipe(app.prefs.preset("Responsive images (srcset)"))
    dest = tmp_path / "out"
    _convert(app, dest)
    files = app.window.files
    assert files.status_of(src) == "done: 3 outputs"
    rows = files.output_rows(src)
    written = [(name, values[0]) for name, values in rows if values[2] == "done"]
    assert written == [
        ("photo-480.webp", "480×360"),
        ("photo-800.webp", "800×600"),
        ("photo-800.jpg", "800×600"),
    ]  # fmt: skip  (named by real widths: the 800 px photo is not enlarged to 960 or 1600)
    skipped = [values[2] for _name, values in rows if values[2] != "done"]
    assert skipped == ["skipped: same file as photo-800.webp: the source is only 800x600"]
    for name, _values in written:
        with Image.open(dest / name) as im:
            assert im.width == int(name.split("-")[1].split(".")[0])
    copy = app.window.outputs.copy_html_button
    assert copy.instate(["!disabled"])
    copy.invoke()
    html = app.root.clipboard_get()  # the real clipboard
    assert 'srcset="photo-480.webp 480w, photo-800.webp 800w"' in html
    assert '<img src="photo-800.jpg"' in html and 'width="800" height="600"' in html
    files.tree.item(files.iids[src], open=True)
    app.root.update()
    screenshot(app, shots_dir, "09-outputs")


def test_open_the_same_folder_twice_mirrors_and_never_reingests(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "shoot"
    for rel in ("a.jpg", "sub/a.jpg"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (120, 90), (200, 100, 50)).save(folder / rel)
    dest = folder / "converted"  # inside the folder, as the window suggests by default
    for _round in range(2):
        app.controller.clear()
        app.window.progress.dest_var.set(str(dest))
        _add(app, [folder])
        assert app.window.files.files() == [folder / "a.jpg", folder / "sub" / "a.jpg"]
        _convert(app, dest)
    made = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.webp"))
    assert made == ["a.webp", "sub/a.webp"]  # no "a (2).webp", no outputs taken as inputs
    assert app.controller.batch.last.skipped == 2  # the second round found them up to date


def test_a_preset_saved_by_the_cli_is_in_the_window(x_display, tmp_path) -> None:  # type: ignore[no-untyped-def]
    recipe = tmp_path / "thumbs.json"
    data = {"name": "Shop thumbnails", "outputs": [{"format": "webp", "w": 200, "suffix": "-t"}]}
    recipe.write_text(json.dumps(data), encoding="utf-8")
    assert run_cli("presets", "import", str(recipe)).returncode == 0
    app = make_app()
    try:
        assert "Shop thumbnails" in app.window.presets.combo.cget("values")
        app.window.presets.apply("Shop thumbnails")
        out = app.window.outputs.selected
        assert (out.resize.width, out.name_template) == (200, "{stem}-t.{ext}")
        app.window.outputs.add_set("social")
        app.controller.prefs.save_preset("Shop and social", app.controller.current_recipe())
        app.controller.prefs.save()
    finally:
        close_app(app)
    shown = run_cli("presets", "show", "Shop and social")
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)["outputs"]) == 4
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_size_cap_if_bigger_and_dates_from_the_panel(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    import numpy as np

    src = tmp_path / "photo.jpg"
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:600, 0:900]
    base = np.stack([x * 255 / 900, y * 255 / 600, np.full(x.shape, 100.0)], -1)
    noisy = np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8)
    Image.fromarray(noisy).save(src, quality=95)
    os.utime(src, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    _add(app, [src])
    panel = app.window.settings
    _convert(app, tmp_path / "plain")  # no cap: the chosen quality's file
    plain = (tmp_path / "plain" / "photo.webp").read_bytes()
    # A cap the chosen quality meets changes nothing (it never raises the quality) ...
    panel.v["max_kb"].set(str(len(plain) // 1000 + 30))
    app.root.update()
    _convert(app, tmp_path / "above")
    assert (tmp_path / "above" / "photo.webp").read_bytes() == plain
    # ... one it does not meet lowers the quality just enough.
    cap = len(plain) // 2000
    panel.v["max_kb"].set(str(cap))
    panel.v["keep_dates"].set(True)
    panel.v["if_bigger"].set("Skip it")
    app.root.update()
    s = app.controller.current_settings()
    assert (s.max_kb, s.keep_dates, s.if_bigger.value) == (cap, True, "skip")
    _convert(app, tmp_path / "out")
    out = tmp_path / "out" / "photo.webp"
    assert 0.9 * cap * 1000 <= out.stat().st_size <= cap * 1000
    assert out.stat().st_mtime_ns == src.stat().st_mtime_ns
    panel.v["max_kb"].set("0")
    app.root.update()
    assert app.controller.current_settings().max_kb is None


@pytest.mark.parametrize("perf", [True, False])
def test_the_window_batch_has_the_cli_sidecars(x_display, tmp_path, perf) -> None:  # type: ignore[no-untyped-def]
    """The same hooks as the CLI: each file in the log, with timing only when configured."""
    from shh_converter import paths
    from shh_converter.sidecars import config, logs

    cfg = config.load()
    cfg.set("performance.enable_performance_logging", perf)
    logs.setup(kind="gui", cfg=cfg)
    app = make_app(cfg)
    try:
        src = tmp_path / "a.jpg"
        Image.new("RGB", (64, 48), (10, 200, 30)).save(src)
        _add(app, [src])
        _convert(app, tmp_path / "out")
        logs.flush()
    finally:
        close_app(app)
    text = (paths.log_dir / "shh-converter.log").read_text(encoding="utf-8")
    assert "file a.jpg: converted" in text
    assert ("file a.jpg: converted in " in text) is perf


def test_the_window_starts_from_the_default_recipe_and_keeps_saved_settings(x_display) -> None:  # type: ignore[no-untyped-def]
    """First start: the one default recipe (the CLI's too). A later start: the saved settings
    exactly as saved, also where they differ from today's default (quality 85, no resize,
    enlarging on: what an earlier version's window could have saved)."""
    from shh_converter.core.settings import DEFAULT_SETTINGS, ResizeMode, Settings
    from shh_converter.sidecars import config

    app = make_app()
    try:
        shown = app.window.settings.get_settings()
        assert (shown.encode, shown.resize) == (DEFAULT_SETTINGS.encode, DEFAULT_SETTINGS.resize)
        assert app.controller.current_recipe().outputs[0].resize == DEFAULT_SETTINGS.resize
    finally:
        close_app(app)
    saved = Settings().to_dict()
    saved["encode"]["quality"] = 85
    saved["resize"].update(mode=ResizeMode.FIT.value, width=900, height=700, upscale=True)
    cfg = config.load()
    cfg.set("ui.settings", saved)
    cfg.set("ui.recipe", {"outputs": [saved]})
    cfg.save()
    app = make_app()
    try:
        shown = app.window.settings.get_settings()
        assert shown.encode.quality == 85 and shown.resize.upscale is True
        assert (shown.resize.mode, shown.resize.width, shown.resize.height) == (
            ResizeMode.FIT,
            900,
            700,
        )
    finally:
        close_app(app)
