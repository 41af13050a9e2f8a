"""Run by ``test_translated_window.py`` in a child process: the real window (three files
added) and its dialogs (Preferences' tabs, the download offer) in the language of
``$SHH_CONVERTER_UI__LANGUAGE``: screenshots, and what is cut off, as JSON.

Cut off means: a text widget got less than it asks for or lies outside its window
(``layout_probe.cut_off`` for the main window, which knows its scrolled column); a
widget of fixed width (``width=N`` characters) whose text needs more than that (Tk
then clips it silently, and its requested width does not show it); a combobox value
or a table cell wider than its box or column.

A child process because the window's modules translate their labels when they are
imported: each language needs a fresh interpreter.

    python tests/gui/translation_probe.py --shots DIR [FILE...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tkinter as tk
from pathlib import Path
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from guikit import close_app, last_dialog, make_app, pump_for, pump_until  # noqa: E402
from layout_probe import TEXT_CLASSES, descendants, table_cut_off  # noqa: E402
from layout_probe import cut_off as window_cut_off  # noqa: E402

CJK_FONTS = ("IPAGothic", "IPAPGothic", "Noto Sans CJK JP", "Noto Sans JP", "TakaoGothic")


def cut_off(top: Any) -> tuple[int, list[str]]:
    """(widgets checked, problems): text widgets narrower or lower than they ask, or
    outside their window; combobox and table texts wider than their box or column."""
    top.update()
    tx, ty, tw, th = top.winfo_rootx(), top.winfo_rooty(), top.winfo_width(), top.winfo_height()
    checked, problems = 0, []
    default = tkfont.nametofont("TkDefaultFont")
    for w in descendants(top):
        if not w.winfo_viewable():
            continue
        cls = w.winfo_class()
        x, y, width, height = w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()
        if cls in TEXT_CLASSES:
            checked += 1
            name = f"{cls} {str(w)[-40:]} {str(w.cget('text'))!r}"
            if width + 1 < w.winfo_reqwidth() or height + 1 < w.winfo_reqheight():
                problems.append(f"{name}: {width}x{height} < asked {w.winfo_reqwidth()}x"
                                f"{w.winfo_reqheight()}")  # fmt: skip
            if x < tx - 1 or y < ty - 1 or x + width > tx + tw + 1 or y + height > ty + th + 1:
                problems.append(f"{name}: outside its window")
        elif cls == "TCombobox":
            checked += 1
            longest = max((default.measure(v) for v in w.cget("values")), default=0)
            if longest > width - 22:  # the arrow button takes ~20 px
                problems.append(f"combobox {str(w)[-40:]}: text {longest} px > {width - 22} px")
        elif cls == "Treeview":
            checked += 1
            problems += table_cut_off(w)
    return checked, problems


def natural_width(w: Any) -> int:
    """The width ``w`` would ask for without its fixed ``width``: a twin's request."""
    if isinstance(w, ttk.Widget):
        twin = type(w)(w.master, text=w.cget("text"), style=w.cget("style"))
    else:
        twin = type(w)(w.master, text=w.cget("text"), font=w.cget("font"))
    try:
        return int(twin.winfo_reqwidth())
    finally:
        twin.destroy()


def fixed_width_cut_off(top: Any) -> list[str]:
    """Text widgets given ``width=N`` whose text needs more room than that."""
    problems = []
    for w in descendants(top):
        if w.winfo_class() not in TEXT_CLASSES or not w.winfo_viewable():
            continue
        try:
            fixed = int(str(w.cget("width")) or 0)
        except (ValueError, tk.TclError):
            continue
        if fixed <= 0 or not str(w.cget("text")) or str(w.cget("image")):
            continue
        need, got = natural_width(w), w.winfo_width()
        if need > got + 1:
            problems.append(f"{w.winfo_class()} {str(w)[-40:]} {str(w.cget('text'))!r}: text "
                            f"needs {need} px, fixed width gives {got}")  # fmt: skip
    return problems


def shoot(top: Any, path: Path) -> None:
    top.update()
    subprocess.run(["import", "-window", top.wm_frame(), str(path)], check=True, timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=Path, required=True)
    parser.add_argument("--tag", default="")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    app = make_app()
    root = app.root
    from shh_converter import i18n
    from shh_converter.gui import models_page

    lang = i18n.current_language()
    report: dict[str, Any] = {
        "language": lang,
        "fonts": sorted(set(tkfont.families(root)) & set(CJK_FONTS)),
        "samples": {
            "download": i18n._("Download"),
            "preferences": i18n._("Preferences"),
            "fill": app.window.settings.color_shown.get(),  # the window's, not the engine's word
            "preset": app.window.presets.shown("Product cut-out"),
        },
        "checked": 0,
        "problems": [],
        "shots": [],
    }

    def check(top: Any, what: str) -> None:
        pump_for(root, 0.2)
        if top is root:
            checked, problems = len(descendants(root)), window_cut_off(app)
        else:
            checked, problems = cut_off(top)
        problems += fixed_width_cut_off(top)
        report["checked"] += checked
        report["problems"] += [f"{what}: {p}" for p in problems]
        shot = args.shots / f"{lang}{args.tag}-{what}.png"
        shoot(top, shot)
        report["shots"].append(str(shot))

    if args.files:
        app.controller.add_paths(args.files)  # what a drop does
        pump_until(root, lambda: len(app.window.files.files()) == len(args.files), what="rows")
    check(root, "window")
    app.controller.extras.preferences()
    prefs = last_dialog(app)
    check(prefs, "preferences-general")
    prefs.tabs.show_models()
    check(prefs, "preferences-models")
    prefs.destroy()
    offer = models_page.DownloadOffer(root, "u2net", app.controller.ui.post)
    check(offer, "download-offer")
    offer.destroy()
    app.controller.shutdown()
    close_app(app)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
