"""Helpers for driving the real window in tests (imported by the GUI tests)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def pump_until(
    root: Any, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition"
) -> None:
    """Run the Tk loop until ``predicate()`` is true (instead of sleep-then-assert)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        root.update()
        time.sleep(0.005)  # only lets worker threads and the X server run


def pump_for(root: Any, seconds: float) -> None:
    """Keep the window alive for a while (to let debounce timers fire, for example)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        root.update()
        time.sleep(0.005)


def make_app(cfg: Any = None) -> Any:
    """A real App on the test display, shown and drawn, with callback errors recorded."""
    from shh_converter.gui.app import App, make_root

    root, dnd = make_root()
    exposed: list[float] = []  # when the window was drawn (its <Expose> events)
    root.bind("<Expose>", lambda _e: exposed.append(time.perf_counter()), add="+")
    app = App(root, dnd=dnd, cfg=cfg)
    app.callback_errors = []
    app.exposed = exposed
    handler = root.report_callback_exception

    def record(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        app.callback_errors.append(exc)
        handler(exc_type, exc, tb)

    root.report_callback_exception = record
    pump_until(root, lambda: root.winfo_viewable() and exposed, what="window mapped and drawn")
    root.update()
    return app


def shown_zoom(cv: Any) -> float | None:
    """The zoom of the tile both canvases of compare view ``cv`` show (None until both do)."""
    tile = cv.tile
    if tile is None or cv.regions != [tile.region, tile.region]:
        return None
    return float(tile.zoom)


def close_app(app: Any) -> None:
    try:
        if app.root.winfo_exists():
            app.controller.shutdown()
    except Exception:  # tk already gone
        pass
    errors = app.callback_errors
    assert not errors, f"a Tk callback raised: {errors!r}"


def end_probe(app: Any, report: dict[str, Any]) -> int:
    """A probe's end (a child process): close the window, print the JSON report as the
    last line of stdout (``support.run_probe_on_screen`` reads it); the exit code."""
    import json

    app.controller.shutdown()
    close_app(app)
    print(json.dumps(report))
    return 0


def screenshot(app: Any, folder: Path, name: str, whole_screen: bool = False) -> Path:
    """Grab the window (menu bar included) or the whole screen (with dialogs) into
    ``folder/name.png``; fail if blank."""
    import subprocess

    from PIL import Image

    root = app.root
    root.update()
    out = folder / f"{name}.png"
    frame = root.wm_frame()  # the toplevel's wrapper: the menu bar is drawn there
    target = "root" if whole_screen else frame
    subprocess.run(["import", "-window", target, str(out)], check=True, timeout=30)
    img = Image.open(out).convert("RGB")
    colors = img.getcolors(maxcolors=1 << 20)
    assert any(lo != hi for lo, hi in img.getextrema()), f"blank screenshot {out}"
    assert colors is None or len(colors) > 5, f"blank screenshot {out}"
    return out


def add_and_wait(app: Any, paths: list[Path]) -> None:
    """Add files and folders as a drop does; return once every row is listed."""
    app.controller.add_paths(paths)
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="files listed")


def convert_and_wait(app: Any, dest: Path, timeout: float = 120) -> None:
    """Set *Save to*, press Convert, and return once the batch has ended."""
    app.window.progress.dest_var.set(str(dest))
    app.window.progress.convert_btn.invoke()
    assert app.controller.batch.running
    pump_until(app.root, lambda: not app.controller.batch.running, timeout, what="batch end")
    app.root.update()


def xdotool(*args: str) -> None:
    """Real X input (pointer motion, buttons, keys) through the X server, as a user's."""
    import subprocess

    subprocess.run(["xdotool", *args], check=True, timeout=10)


def move_pointer(app: Any, x: int, y: int) -> None:
    """Move the real pointer to screen point (``x``, ``y``) and wait until it is there
    (``mousemove --sync`` never returns when the pointer is there already)."""
    xdotool("mousemove", str(x), str(y))
    pump_until(app.root, lambda: app.root.winfo_pointerxy() == (x, y), what="the pointer")


def saved_settings(app: Any) -> bytes:
    """The window's settings as the app saves them: the config file's bytes after a save."""
    app.prefs.set_recipe(app.controller.current_recipe())
    app.prefs.save()
    return Path(app.prefs.cfg.path).read_bytes()


# Value widgets that Tk lets the wheel change, and the other kinds met in the column.
WHEEL_KINDS = ("TCombobox", "TSpinbox", "TScale", "TCheckbutton", "TEntry", "Listbox")


def column_pointer_spots(app: Any) -> list[tuple[int, int]]:
    """Screen points in the settings column, one for the first widget of each kind in
    :data:`WHEEL_KINDS`: in line with it, and at a height it passes under while the
    whole column scrolls from top to bottom (with the others in its line)."""
    from layout_probe import descendants

    column = app.window.settings_column
    column.canvas.yview_moveto(0)
    app.root.update()
    view = column.canvas.winfo_height()
    travel = max(column.inner.winfo_reqheight() - view, 0)  # how far the column scrolls
    spots = []
    for kind in WHEEL_KINDS:
        for w in descendants(column.inner):
            if w.winfo_class() == kind and w.winfo_viewable():
                at = w.winfo_rooty() - column.inner.winfo_rooty() + w.winfo_height() // 2
                offset = max(min(at, view // 2), at - travel)  # at + 0..travel reaches it
                x = w.winfo_rootx() + w.winfo_width() // 2
                spots.append((x, column.canvas.winfo_rooty() + offset))
                break
    return spots


def wheel_column_through(
    app: Any, x: int, y: int, at_bottom: Callable[[], Any] | None = None, limit: int = 300
) -> dict[str, Any]:
    """Hold the real pointer at screen point (``x``, ``y``) and turn the real wheel (X
    buttons 5, then 4) until the settings column has gone from its top to its bottom
    (where ``at_bottom()`` runs) and back. Each turn must move the column, else this
    fails. Returns the turns each way and the widget classes under the pointer."""
    root, canvas = app.root, app.window.settings_column.canvas
    canvas.yview_moveto(0)
    root.update()
    move_pointer(app, x, y)
    under: set[str] = set()
    turns = {}
    ends = {"5": lambda: canvas.yview()[1] >= 1.0, "4": lambda: canvas.yview()[0] <= 0.0}
    for button, at_end in ends.items():
        n = 0
        while not at_end():
            widget = root.winfo_containing(x, y)
            under.add(widget.winfo_class() if widget is not None else "")
            before = canvas.yview()
            xdotool("click", button)
            moved = lambda b=before: canvas.yview() != b  # noqa: E731
            pump_until(root, moved, timeout=5, what="the column to scroll")
            n += 1
            assert n < limit, "the column never reached its end"
        turns[button] = n
        if button == "5" and at_bottom is not None:
            at_bottom()
    return {"down": turns["5"], "up": turns["4"], "under": sorted(under)}


GTK_DRAG_SOURCE = Path(__file__).with_name("gtk_drag_source.py")


def xdnd_drag(app: Any, paths: list[Path], x: int, y: int, arrived: Callable[[], Any]) -> None:
    """Drag ``paths`` from another X client (a GTK window, as a file manager) and drop
    them at screen point (``x``, ``y``) through the X server (real XDND), pumping the
    window until ``arrived()`` is true."""
    import subprocess

    src = subprocess.Popen(
        ["/usr/bin/python3", str(GTK_DRAG_SOURCE), *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert src.stdout is not None and src.stdout.readline().strip() == "ready"
        cmd = ["xdotool", "mousemove", "--sync", "700", "50", "mousedown", "1"]
        for i in range(1, 11):  # several steps so XdndPosition/XdndStatus round trips happen
            step_x, step_y = 700 + (x - 700) * i // 10, 50 + (y - 50) * i // 10
            cmd += ["mousemove", "--sync", str(step_x), str(step_y), "sleep", "0.05"]
        xdo = subprocess.Popen([*cmd, "mouseup", "1"])
        try:
            pump_until(
                app.root, lambda: xdo.poll() is not None and arrived(), timeout=30, what="XDND drop"
            )
        finally:
            xdo.wait(10)
    finally:
        src.kill()
        src.wait()


def centre_of(widget: Any) -> tuple[int, int]:
    """The screen point at the middle of ``widget``."""
    return (
        widget.winfo_rootx() + widget.winfo_width() // 2,
        widget.winfo_rooty() + widget.winfo_height() // 2,
    )


def open_dialogs(app: Any, kind: type | None = None) -> list[Any]:
    """The dialogs open over the app's window, oldest first (``kind``: only that class).

    Read from Tk's own widget tree (the root's children, in the order they were made),
    so the app keeps no record of its dialogs for the tests' sake.
    """
    from shh_converter.gui.dialogs import Dialog

    wanted = kind or Dialog
    return [w for w in app.root.children.values() if isinstance(w, wanted) and w.winfo_exists()]


def last_dialog(app: Any, kind: type | None = None) -> Any:
    """The newest dialog open over the app's window (of ``kind``), or None."""
    found = open_dialogs(app, kind)
    return found[-1] if found else None
