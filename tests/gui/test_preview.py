"""Live preview in the real window: shown, follows settings, debounced, stale ones dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from guikit import pump_for, pump_until, screenshot

from shh_converter.gui import backend

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gui


def _list(app, paths: list[Path]) -> None:
    app.controller.add_paths(paths)
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="files listed")


def _select(app, path: Path) -> None:
    tree = app.window.files.tree
    iid = app.window.files.iids[path]
    tree.selection_set(iid)
    tree.focus(iid)
    tree.event_generate("<<TreeviewSelect>>")


def _wait_ready(app, after_generation: int = 0, timeout: float = 30) -> None:
    c, pane = app.controller, app.window.preview
    pump_until(
        app.root,
        lambda: (
            pane.ready is not None
            and pane.ready.generation > after_generation
            and pane.ready.generation == c.preview.generation
            and pane.state_text == "ready"
        ),
        timeout,
        what="preview shown",
    )


def test_preview_shows_before_and_after_with_sizes(app, corpus, shots_dir):
    src = corpus / "photos" / "plasma_ColorfulCups_2560x1600.jpg"
    _list(app, [src])
    app.window.presets.apply("Web 1600 WebP")
    _select(app, src)
    _wait_ready(app)
    pane = app.window.preview
    assert pane.before_caption.cget("text").startswith("2560×1600 · ")
    after = pane.after_caption.cget("text")
    assert after.startswith("1600×1000 · ≈") and "%" in after
    assert str(pane.before_label.cget("image")) and str(pane.after_label.cget("image"))
    shown = app.window.preview.ready
    assert shown.source == src and 0 < shown.encoded_bytes < src.stat().st_size
    assert max(shown.after.size) <= max(pane.box()) and max(shown.after.size) > 100
    screenshot(app, shots_dir, "02-preview")


def test_preview_follows_settings(app, corpus):
    src = corpus / "photos" / "sklearn_china.jpg"
    _list(app, [src])
    _select(app, src)
    _wait_ready(app)
    first = app.window.preview.ready
    panel = app.window.settings
    panel.v["resize"].set("Longest side")
    panel.v["size"].set("200")
    panel.v["format"].set("PNG")
    _wait_ready(app, first.generation)
    second = app.window.preview.ready
    w, h = second.output_size
    assert w == 200 and abs(h - 427 * 200 / 640) <= 1
    assert second.encoded_bytes != first.encoded_bytes
    assert app.window.preview.after_caption.cget("text").startswith(f"200×{h} · ")


def test_slider_moves_are_debounced(app, corpus, monkeypatch):
    computed: list[Path] = []  # previews the preview thread actually started to compute
    make_preview = backend.make_preview

    def counted(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        computed.append(source)
        return make_preview(source, *args, **kwargs)

    monkeypatch.setattr(backend, "make_preview", counted)
    src = corpus / "photos" / "mpl_grace_hopper.jpg"
    _list(app, [src])
    _select(app, src)
    _wait_ready(app)
    before = len(computed)
    generation = app.window.preview.ready.generation
    quality = app.window.settings.v["quality"]
    for q in range(40, 80, 2):  # a slider drag: 20 changes in quick succession
        quality.set(q)
        # Redraw between moves as a drag does, but run no timers: however slow this
        # machine is, the changes stay inside one debounce window.
        app.root.update_idletasks()
    _wait_ready(app, generation)
    pump_for(app.root, 0.4)
    assert len(computed) - before == 1


def test_stale_previews_are_dropped(app, corpus):
    a = corpus / "photos" / "plasma_MilkyWay_5120x2880.png"
    b = corpus / "photos" / "skimage_camera.png"
    _list(app, [a, b])
    _select(app, a)
    pump_for(app.root, 0.1)  # a's preview is under way
    _select(app, b)
    _wait_ready(app)
    pump_for(app.root, 0.5)
    assert app.window.preview.ready.source == b
    assert app.window.preview.before_caption.cget("text").startswith("512×512")


def test_unreadable_file_preview_says_why(app, corpus):
    bad = corpus / "corrupt" / "broken.png"
    _list(app, [bad])
    _select(app, bad)
    pump_until(app.root, lambda: app.window.preview.state_text == "failed", what="failed state")
    assert app.window.preview.after_label.cget("text").startswith("Cannot preview: ")


def test_ai_preview_shows_working_then_the_cut_out(app, corpus):
    """Real u2netp model: the window shows "working" at once and stays responsive."""
    src = corpus / "rembg" / "inputs" / "car-1.jpg"
    _list(app, [src])
    app.window.presets.apply("Product cut-out")
    app.controller.ui.reset_gap()
    _select(app, src)
    # The preset's settings reach the preview after a debounce: under load a plain
    # preview of the old settings can be "working" first, so wait for the AI one.
    caption = app.window.preview.after_caption
    pump_until(app.root, lambda: caption.cget("text") == "Removing background…", what="AI caption")
    assert app.window.preview.state_text == "working"
    _wait_ready(app, timeout=120)
    shown = app.window.preview.ready
    w, h = shown.output_size
    assert (w, h) != shown.input_size and max(w, h) <= 1200  # trimmed to the car, then resized
