"""Everything without a mouse: menu mnemonics and listed shortcuts that are really bound,
Tab reaches every control, F6 jumps between panes, shortcuts drive the compare view,
and the focus is visible (screenshot).
"""

from __future__ import annotations

import pytest
from guikit import pump_until, screenshot

pytestmark = pytest.mark.gui

KEYS = {"Enter": "Return", ",": "comma", "+": "plus", "-": "minus", "Esc": "Escape"}


def _sequence(accelerator: str) -> str:
    """``Ctrl+Shift+O`` -> ``<Control-O>`` (how the window binds it)."""
    *mods, key = accelerator.replace("++", "+plus").split("+")
    key = KEYS.get(key, key)
    if "Shift" in mods and len(key) == 1:
        mods.remove("Shift")
        key = key.upper()
    elif len(key) == 1:
        key = key.lower()
    if key.isdigit():
        key = f"Key-{key}"
    names = ["Control" if m == "Ctrl" else "Command" if m == "Cmd" else m for m in mods]
    return "<" + "-".join([*names, key]) + ">"


def _entries(menu):  # type: ignore[no-untyped-def]
    last = menu.index("end")
    for i in range(0, (last if last is not None else -1) + 1):
        if menu.type(i) in ("command", "radiobutton", "checkbutton", "cascade"):
            yield i


def test_menus_have_mnemonics_and_every_listed_shortcut_is_bound(app):
    window = app.window
    bar = window.menubar
    for i in _entries(bar):
        assert int(bar.entrycget(i, "underline")) >= 0, bar.entrycget(i, "label")
    listed = 0
    for name, menu in window.menus.items():
        for i in _entries(menu):
            label = menu.entrycget(i, "label")
            underline = int(menu.entrycget(i, "underline"))
            assert 0 <= underline < len(label), f"{name} > {label}: no mnemonic"
            accelerator = menu.entrycget(i, "accelerator")
            if not accelerator:
                continue
            listed += 1
            if accelerator == "Delete":  # on the file list, where the selection is
                assert window.files.tree.bind("<Delete>")
                continue
            sequence = _sequence(accelerator)
            assert sequence in window.shortcut_keys, f"{label}: {accelerator} not bound"
            assert app.root.bind(sequence), sequence
    assert listed >= 14
    # Mnemonics within one menu do not clash.
    for name, menu in window.menus.items():
        letters = [
            menu.entrycget(i, "label")[int(menu.entrycget(i, "underline"))].lower()
            for i in _entries(menu)
        ]
        assert len(letters) == len(set(letters)), f"{name}: {letters}"


def test_tab_reaches_every_control(app):
    window = app.window
    window.preview.set_view("split")
    app.root.update()
    seen = []
    widget = window.files.tree
    for _ in range(300):
        seen.append(widget)
        widget = widget.tk_focusNext()
        if widget is None or widget is window.files.tree:
            break
    names = {str(w) for w in seen}
    must = [
        window.drop.add_files_btn,
        window.drop.add_folder_btn,
        window.files.tree,
        window.preview.view_buttons["thumbs"],
        window.preview.view_buttons["side"],
        window.preview.compare.area,
        window.presets.combo,
        window.progress.dest_entry,
        window.progress.choose_btn,
        window.progress.convert_btn,
    ]
    missing = [str(w) for w in must if str(w) not in names]
    assert not missing, missing
    settings = [w for w in seen if str(w).startswith(str(window.settings))]
    assert len(settings) >= 8  # the settings column's controls are in the tab order too


def test_shortcuts_and_f6_without_a_mouse(app, corpus, shots_dir):
    window = app.window
    app.controller.add_paths([corpus / "photos" / "sklearn_china.jpg"])
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="listed")
    tree = window.files.tree
    tree.focus_force()
    app.root.update()
    mod = window.mod
    tree.event_generate(f"<{mod}-Key-1>")  # actual size: opens the compare view at 100 %
    app.root.update()
    assert window.preview.comparing and window.preview.compare.zoom == 1.0
    tree.event_generate(f"<{mod}-b>")
    app.root.update()
    assert window.preview.view_var.get() == "side" and window.preview.compare.mode == "side"
    tree.event_generate(f"<{mod}-t>")
    app.root.update()
    assert not window.preview.comparing
    tree.event_generate("<F6>")  # file list -> preview
    app.root.update()
    assert app.root.focus_get() is window.preview.view_buttons["thumbs"]
    for _ in range(2):
        app.root.focus_get().event_generate("<F6>")
        app.root.update()
    assert app.root.focus_get() is window.progress.convert_btn
    screenshot(app, shots_dir, "keyboard-focus-on-convert")
