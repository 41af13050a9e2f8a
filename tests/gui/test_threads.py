"""Heavy imports happen off the Tk thread and only after the window shows (audited, for real)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from support import run_python

pytestmark = pytest.mark.gui
HEAVY = ("numpy", "onnxruntime", "rembg", "scipy", "requests", "psutil")

SCRIPT = textwrap.dedent(
    """
    import json, sys, threading, time
    sys.path.insert(0, {gui_tests!r})
    seen = []  # (module, thread name, seconds since start)
    t0 = time.perf_counter()

    def hook(event, args):
        if event == "import" and args[0].split(".")[0] in {heavy!r}:
            seen.append((args[0], threading.current_thread().name, time.perf_counter() - t0))

    sys.addaudithook(hook)
    from guikit import make_app, open_dialogs, pump_until
    app = make_app()
    shown = app.exposed[0] - t0  # the first <Expose>: the window is on screen
    app.controller.add_paths([__import__("pathlib").Path({image!r})])
    pump_until(app.root, lambda: app.controller.pending_adds == 0)
    app.window.presets.apply("Product cut-out")
    pane = app.window.preview
    pump_until(app.root, lambda: pane.state_text == "ready" and pane.ready
               and pane.ready.generation == app.controller.preview.generation,
               timeout=120)
    app.window.progress.dest_var.set({dest!r})
    app.controller.convert()
    pump_until(app.root, lambda: not app.controller.batch.running, timeout=120)
    app.controller.check_updates()
    answered = ("Updates", "Update available")  # the check's answer, whichever it is
    pump_until(app.root, lambda: any(d.title() in answered for d in open_dialogs(app)), 30)
    app.controller.shutdown()
    done = app.controller.batch.last.converted
    print(json.dumps({{"shown": shown, "seen": seen, "converted": done}}))
    """
)


def test_heavy_imports_never_on_the_tk_thread(x_display, corpus, tmp_path):
    script = SCRIPT.format(
        gui_tests=str(Path(__file__).parent), heavy=HEAVY,
        image=str(corpus / "rembg" / "inputs" / "car-1.jpg"), dest=str(tmp_path / "out"),
    )  # fmt: skip
    res = run_python("-c", script, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    seen = report["seen"]
    imported = {name.split(".")[0] for name, _thread, _t in seen}
    assert {"numpy", "onnxruntime", "requests", "psutil"} <= imported  # they did load, somewhere
    on_tk = sorted({name for name, thread, _t in seen if thread == "MainThread"})
    assert on_tk == [], f"imported on the Tk thread: {on_tk}"
    before_shown = sorted({name for name, _thread, t in seen if t < report["shown"]})
    assert before_shown == [], f"imported before the window showed: {before_shown}"
    assert report["converted"] == 1
