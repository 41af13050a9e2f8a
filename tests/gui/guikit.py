"""Helpers for driving the real window in tests (imported by the GUI tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


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
    exposed: list[object] = []
    root.bind("<Expose>", lambda e: exposed.append(e), add="+")
    app = App(root, dnd=dnd, cfg=cfg)
    app.callback_errors = []
    handler = root.report_callback_exception

    def record(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        app.callback_errors.append(exc)
        handler(exc_type, exc, tb)

    root.report_callback_exception = record
    pump_until(root, lambda: root.winfo_viewable() and exposed, what="window mapped and drawn")
    root.update()
    return app


def close_app(app: Any) -> None:
    try:
        if app.root.winfo_exists():
            app.controller.shutdown()
    except Exception:  # tk already gone
        pass
    errors = app.callback_errors
    assert not errors, f"a Tk callback raised: {errors!r}"


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
