"""Small untruths the window no longer tells (issue 20.10): dimensions after the camera's
rotation, Watched folders opening its own tab, Delete on a built-in preset saying why,
old news cleared from the status line, a Save-to that is a file named plainly."""

from __future__ import annotations

import shutil

import pytest
from guikit import last_dialog, pump_until

from shh_converter.gui import controller as controller_mod

pytestmark = pytest.mark.gui


def test_dimensions_are_after_the_exif_rotation(app, corpus):
    src = corpus / "photos" / "exif_Portrait_6.jpg"  # stored 1800x1200, shown upright
    app.controller.add_paths([src])
    files = app.window.files
    listed = lambda: src in files.iids and files.tree.set(files.iids[src], "dims")  # noqa: E731
    pump_until(app.root, listed, what="its dimensions")
    assert files.tree.set(files.iids[src], "dims") == "1200×1800"
    files.tree.selection_set(files.iids[src])
    preview = app.window.preview
    pump_until(app.root, lambda: preview.state_text == "ready", timeout=60, what="the preview")
    assert preview.ready.input_size == (1200, 1800)  # the preview says the same


def test_watched_folders_opens_its_own_tab(app):
    menu = app.window.menus["File"]
    commands = [i for i in range(menu.index("end") + 1) if menu.type(i) == "command"]
    index = next(i for i in commands if menu.entrycget(i, "label") == "Watched folders…")
    menu.invoke(index)
    dialog = last_dialog(app)
    app.root.update()
    assert dialog.tabs.notebook.select() == str(dialog.tabs.watching)
    dialog.destroy()


def test_delete_on_a_built_in_preset_says_why(app, monkeypatch):
    told = []
    monkeypatch.setattr(controller_mod.messagebox, "showinfo", lambda *a, **k: told.append(a))
    bar = app.window.presets
    bar.apply("Web 1600 WebP")
    bar.delete_btn.invoke()
    assert told and "built in" in told[0][1]
    assert "Web 1600 WebP" in bar.combo.cget("values")


def test_old_news_goes_when_files_are_added(app, corpus):
    progress = app.window.progress
    app.controller.convert()
    assert progress.summary == "Add some images first."
    app.controller.add_paths([corpus / "photos" / "mpl_grace_hopper.jpg"])
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="the file listed")
    assert progress.summary == "Add images, choose settings, press Convert."


def test_save_to_a_file_is_said_plainly(app, corpus, tmp_path):
    src = tmp_path / "a.jpg"
    shutil.copy(corpus / "photos" / "mpl_grace_hopper.jpg", src)
    app.controller.add_paths([src])
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="the file listed")
    app.window.progress.dest_var.set(str(src))  # a file, not a folder
    app.controller.convert()
    assert not app.controller.batch.running
    assert app.window.progress.summary == f"destination {src} exists and is not a folder"
    assert "Errno" not in app.window.progress.summary


def test_advanced_options_hide_the_encoder_jargon_until_ticked(app):
    """Near-lossless, exact, effort, Huffman, MozJPEG pass, encoder: hidden by default,
    shown once Preferences' "Show advanced options" is ticked and saved."""
    from shh_converter.core import formats

    encoder = app.window.settings.encoder

    def shown() -> set[str]:
        app.root.update()
        return {
            key.split(".", 1)[1]
            for key, widgets in encoder._widgets.items()
            if "." in key and any(w.winfo_manager() for w in widgets)
        }

    assert not shown() & formats.ADVANCED_OPTIONS
    assert {"alpha_quality"} <= shown()  # the rest stay
    app.window.settings.v["format"].set("JPEG")
    assert "progressive" in shown() and "optimize_huffman" not in shown()
    app.controller.preferences()
    dialog = last_dialog(app)
    dialog.switches["ui.show_advanced_options"].set(True)
    dialog.save_btn.invoke()
    assert app.prefs.show_advanced
    assert {"optimize_huffman", "mozjpeg_pass", "jpeg_encoder"} <= shown()
