"""Result rows you can act on (issue 20.13): double-click opens the output; the row's
menu opens it, shows it in its folder, copies its path (the real clipboard), retries a
failed file and removes rows; the output-name template typed in the window names the
files. The desktop's opener is the one thing not run: ``xdg-open`` on the PATH is a
small program that writes down what it was asked to open."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from typing import TYPE_CHECKING

import pytest
from guikit import last_dialog, move_pointer, pump_until, xdotool

from shh_converter.gui.dialogs import FailuresDialog

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A recording ``xdg-open`` first on the PATH; the file it writes its arguments to."""
    log = tmp_path / "opened.txt"
    tool = tmp_path / "bin" / "xdg-open"
    tool.parent.mkdir()
    tool.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"with open({str(log)!r}, 'a', encoding='utf-8') as fh:\n"
        "    fh.write(sys.argv[1] + '\\n')\n",
        encoding="utf-8",
    )
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def row_point(files, iid: str) -> tuple[int, int]:
    x, y, width, height = files.tree.bbox(iid, "#0")
    return files.tree.winfo_rootx() + x + width // 2, files.tree.winfo_rooty() + y + height // 2


def menu_action(app, iid: str, name: str) -> None:
    """Right-click the row with the real pointer; pick ``name`` from the menu it posts."""
    files = app.window.files
    x, y = row_point(files, iid)
    move_pointer(app, x, y)
    xdotool("click", "3")
    pump_until(app.root, lambda: files.menu.winfo_ismapped(), what="the row's menu")
    index = files.menu_entries.index(name)
    state = files.menu.entrycget(index, "state")
    files.menu.unpost()
    app.root.update()
    assert state == "normal", f"{name} is {state}"
    files.menu.invoke(index)
    app.root.update()


def test_open_show_copy_retry_remove_and_the_name_template(app, corpus, tmp_path, opened):
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = inputs / "hopper.jpg"
    shutil.copy(corpus / "photos" / "mpl_grace_hopper.jpg", good)
    broken = inputs / "broken.jpg"
    shutil.copy(corpus / "corrupt" / "truncated_jpeg.jpg", broken)
    app.controller.add_paths([good, broken])
    files = app.window.files
    pump_until(app.root, lambda: len(files.files()) == 2, what="rows")
    panel = app.window.settings
    panel.name_entry.delete(0, "end")
    panel.name_entry.insert(0, "{stem}-web.{ext")  # not valid yet: the last good one stays
    assert panel.get_settings().name_template == "{stem}.{ext}"
    assert panel.name_entry.instate(["invalid"]) and panel.name_problem.winfo_manager()
    panel.name_entry.insert("end", "}")
    assert panel.get_settings().name_template == "{stem}-web.{ext}"
    assert not panel.name_entry.instate(["invalid"])
    dest = tmp_path / "out"
    app.window.progress.dest_var.set(str(dest))
    app.controller.convert()
    pump_until(app.root, lambda: not app.controller.batch.running, 120, what="the batch")
    app.root.update()
    output = dest / "hopper-web.webp"
    assert output.is_file() and files.status_of(good) == "done"
    good_row, broken_row = files.iids[good], files.iids[broken]
    assert files.output_of(good_row) == output

    # Double-click with the real pointer: the output opens.
    x, y = row_point(files, good_row)
    move_pointer(app, x, y)
    xdotool("click", "--repeat", "2", "--delay", "80", "1")
    pump_until(app.root, lambda: lines_of(opened) == [str(output)], what="the output opened")
    menu_action(app, good_row, "show")
    pump_until(app.root, lambda: len(lines_of(opened)) == 2, what="its folder opened")
    assert lines_of(opened)[1] == str(dest)
    menu_action(app, good_row, "copy")
    assert app.root.clipboard_get() == str(output)

    # Retry: the failed file, fixed meanwhile, is converted alone.
    assert files.status_of(broken).startswith("failed")
    first = output.stat().st_mtime_ns
    shutil.copy(corpus / "png" / "pil123rgba.png", broken)  # content decides, not the name
    last_dialog(app, FailuresDialog).destroy()
    menu_action(app, broken_row, "retry")
    assert app.controller.batch.running
    pump_until(app.root, lambda: not app.controller.batch.running, 120, what="the retry")
    app.root.update()
    assert files.status_of(broken) == "done" and (dest / "broken-web.webp").is_file()
    assert files.status_of(good) == "done" and output.stat().st_mtime_ns == first

    menu_action(app, broken_row, "remove")
    assert files.files() == [good]
