"""GUI benchmark: launch time, Tk-loop stalls during an AI batch, preview latency, cancel.

Run:  .venv/bin/python benchmarks/bench_gui.py [--runs 5] [--batch 100] [--json out.json]

Starts its own Xvfb and works in a temp folder (SHH_CONVERTER_HOME too). Each
number is a median over ``--runs`` and is printed beside a reference measured in
the same run, with the ratio:

* launch: process start -> first ``<Map>`` of the root (and first ``<Expose>``)
  for the real app vs. a bare one-label ttk window. Budget 0.5 s.
* stall: longest gap between the UI queue's ``after()`` ticks (beyond its 15 ms
  interval) while a batch with AI background removal runs, vs. a bare Tk process
  ticking the same way beside it during the same batch (what the machine's CPU
  load alone does to any window). Budget 50 ms.
* preview: a settings change on a 12 MP JPEG -> before/after shown in the
  window, vs. the engine's ``make_preview`` alone at the same size (and at the
  engine's default 1024 px, what the window used before). Budget 300 ms.
* cancel: Cancel pressed -> the window has the batch's summary, vs. the runner
  alone cancelled the same way. Budget 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "gui"))
sys.path.insert(0, str(REPO / "tests"))


def start_xvfb() -> subprocess.Popen[bytes]:
    from support import start_xvfb as start

    proc, display = start()
    os.environ["DISPLAY"] = display
    return proc


# -- launch (child processes) ---------------------------------------------------------


def child_launch(mode: str, t0: float) -> None:
    """Runs in a fresh process: open the window, print seconds from ``t0`` to Map/Expose."""
    import tkinter as tk

    seen: dict[str, float] = {}

    def mark(kind: str) -> None:
        if kind not in seen:
            seen[kind] = time.time() - t0
        if "map" in seen and "expose" in seen:
            print(json.dumps(seen), flush=True)
            root.after(20, root.destroy)

    if mode == "bare":
        from tkinter import ttk

        root = tk.Tk()
        root.bind("<Map>", lambda e: mark("map") if e.widget is root else None)
        root.bind("<Expose>", lambda e: mark("expose"), add="+")
        ttk.Label(root, text="hello").pack()
    else:  # what gui_main and run_app do, with the two bindings added before tkdnd maps the root
        from shh_converter import i18n
        from shh_converter.sidecars import config

        i18n.setup(config.language_from())  # before the window's modules: labels on import
        from shh_converter.gui.app import App, load_config, make_root
        from shh_converter.sidecars import crash, logs

        cfg = load_config()
        logs.setup(kind="gui", cfg=cfg)
        crash.install_hooks()
        root, dnd = make_root()
        root.bind("<Map>", lambda e: mark("map") if e.widget is root else None)
        root.bind("<Expose>", lambda e: mark("expose"), add="+")
        App(root, dnd, cfg)
    root.mainloop()


def child_ticker() -> None:
    """A bare Tk process ticking every 15 ms; prints its longest stall when stdin closes.

    Run beside the app during the batch, it shows what the machine alone imposes
    on any window (CPU starvation), as opposed to what the app itself causes.
    """
    import tkinter as tk

    root = tk.Tk()
    state = {"last": time.perf_counter(), "max": 0.0, "stop": False}

    def wait_stdin() -> None:
        sys.stdin.read()
        state["stop"] = True

    def tick() -> None:
        now = time.perf_counter()
        state["max"] = max(state["max"], now - state["last"] - 0.015)
        state["last"] = now
        if state["stop"]:
            print(json.dumps({"max_gap": state["max"]}), flush=True)
            root.destroy()
            return
        root.after(15, tick)

    threading.Thread(target=wait_stdin, daemon=True).start()
    root.after(15, tick)
    root.mainloop()


def bench_launch(runs: int) -> dict[str, float]:
    out: dict[str, list[float]] = {"app_map": [], "app_expose": [], "bare_map": []}
    for _ in range(runs):
        for mode in ("bare", "app"):
            t0 = time.time()
            res = subprocess.run(
                [sys.executable, __file__, "--child", mode, repr(t0)],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            seen = json.loads(res.stdout.strip().splitlines()[-1])
            out[f"{mode}_map"].append(seen["map"])
            if mode == "app":
                out["app_expose"].append(seen["expose"])
    return {k: statistics.median(v) for k, v in out.items()}


# -- in-process measurements -------------------------------------------------------------


def _new_app():  # type: ignore[no-untyped-def]
    from guikit import make_app

    return make_app()


def _wait(app, cond, timeout: float = 600) -> None:  # type: ignore[no-untyped-def]
    from guikit import pump_until

    pump_until(app.root, cond, timeout)


def _add(app, files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    app.controller.clear()
    app.controller.add_paths(files)
    _wait(app, lambda: app.controller.pending_adds == 0)


def make_12mp(folder: Path) -> Path:
    from PIL import Image

    out = folder / "twelve_mp.jpg"
    with Image.open(CORPUS / "photos" / "Kleiber_by_Lukas_Baubkus.jpg") as im:
        im.convert("RGB").resize((4000, 3000)).save(out, quality=90)
    return out


def bench_preview(app, src: Path, runs: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from shh_converter.core.events import CancelToken
    from shh_converter.gui import backend
    from shh_converter.gui.preview import preview_side

    _add(app, [src])
    app.window.presets.apply("Web 1600 WebP")
    c, pane, tree = app.controller, app.window.preview, app.window.files.tree
    tree.selection_set(tree.get_children()[0])
    gui, engine, engine_1024 = [], [], []
    for i in range(runs + 1):
        app.window.settings.v["quality"].set(70 + i)  # a real change each time
        app.root.update()
        t0 = time.perf_counter()
        c.schedule_preview(0)
        target = c.preview.generation + 1
        _wait(
            app,
            lambda target=target: (
                pane.ready and pane.ready.generation == target and pane.state_text == "ready"
            ),
        )
        gui.append(time.perf_counter() - t0)
        settings = c.current_settings()
        t0 = time.perf_counter()
        backend.make_preview(src, settings, preview_side(pane.box()), CancelToken())
        engine.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        backend.make_preview(src, settings, 1024, CancelToken())
        engine_1024.append(time.perf_counter() - t0)
    # The first round pays for imports and caches: report the warm medians.
    return {
        "gui": statistics.median(gui[1:]),
        "engine": statistics.median(engine[1:]),
        "engine_1024": statistics.median(engine_1024[1:]),
        "gui_first": gui[0],
    }


def bench_cancel(app, files: list[Path], dest: Path, runs: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    gui, ref = [], []
    for i in range(runs):
        _add(app, files)
        app.window.settings.v["resize"].set("Original size")
        app.window.progress.dest_var.set(str(dest / f"gui{i}"))
        app.controller.convert()
        b = app.controller.batch
        _wait(app, lambda: sum(app.window.files.status_of(p) == "done" for p in files) >= 2)
        b.cancel()
        _wait(app, lambda b=b: not b.running, timeout=30)
        gui.append(b.finished_at - b.cancel_requested_at)
        ref.append(_runner_cancel(files, dest / f"ref{i}", app.controller.current_settings()))
    return {"gui": statistics.median(gui), "runner": statistics.median(ref)}


def _runner_cancel(files: list[Path], dest: Path, settings) -> float:  # type: ignore[no-untyped-def]
    from shh_converter.core import plan, runner
    from shh_converter.core.events import CancelToken, FileFinished

    token, done, finished = CancelToken(), [], []
    jobs = plan.plan_batch(files, dest, settings).jobs

    def on_event(e) -> None:  # type: ignore[no-untyped-def]
        if isinstance(e, FileFinished):
            done.append(e)

    t = threading.Thread(
        target=lambda: finished.append(runner.run_batch(jobs, settings, on_event, token))
    )
    t.start()
    while len(done) < 2:
        time.sleep(0.005)
    t0 = time.perf_counter()
    token.cancel()
    t.join()
    return time.perf_counter() - t0


def bench_stall(app, files: list[Path], dest: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from guikit import pump_for

    _add(app, files)
    app.window.presets.apply("Product cut-out")
    app.window.progress.dest_var.set(str(dest))
    pump_for(app.root, 0.5)  # the window redraws after the preset change: not the batch's
    ui = app.controller.ui
    ticker = subprocess.Popen(
        [sys.executable, __file__, "--child", "ticker", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    pump_for(app.root, 0.5)  # the ticker's window is up
    ui.reset_gap()
    t0 = time.perf_counter()
    app.controller.convert()
    b = app.controller.batch
    # Drive the loop like mainloop does; pump_until sleeps 5 ms per turn, as idle Tk would.
    _wait(app, lambda: not b.running, timeout=1800)
    batch_s = time.perf_counter() - t0
    busy_gap, worst = ui.max_gap_s, [(round(g * 1000), round(at - t0, 1)) for g, at in ui.worst]
    bare_gap = json.loads(ticker.communicate("", timeout=30)[0].strip())["max_gap"]
    converted = b.last.converted
    ui.reset_gap()
    pump_for(app.root, min(batch_s, 10))
    return {
        "busy_gap": busy_gap,
        "bare_gap": bare_gap,
        "idle_gap": ui.max_gap_s,
        "batch_s": batch_s,
        "converted": converted,
        "files": len(files),
        "worst_ms_at_s": worst,
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100, help="images in the AI batch")
    parser.add_argument("--stall-runs", type=int, default=3, help="AI batches for the stall")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--only",
        nargs="*",
        default=["launch", "preview", "cancel", "stall"],
        help="sections to run (default: all)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "ticker":
            child_ticker()
        else:
            child_launch(args.child[0], float(args.child[1]))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    os.environ["SHH_CONVERTER_HOME"] = str(work / "home")
    os.environ["SHH_CONVERTER_UPDATE_URL"] = "http://127.0.0.1:9/"  # no internet here
    from shh_converter import paths

    paths.configure(work / "home")
    xvfb = start_xvfb()
    try:
        results = run_all(args, work)
    finally:
        xvfb.terminate()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def run_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if "launch" in args.only:
        _print_launch(results, args.runs)
    inputs = work / "in"
    inputs.mkdir()
    app = _new_app()
    try:
        if "preview" in args.only:
            _print_preview(results, app, make_12mp(inputs), args.runs)
        if "cancel" in args.only:
            photos = _copies(CORPUS / "photos" / "plasma_Path_2560x1600.jpg", inputs / "c", 16)
            cc = results["cancel"] = bench_cancel(app, photos, work / "out-cancel", args.runs)
            print(
                f"cancel -> summary    gui {cc['gui'] * 1000:6.0f} ms   runner alone "
                f"{cc['runner'] * 1000:6.0f} ms   ratio {_ratio(cc['gui'], cc['runner'])}"
                f"   (budget 1000 ms)"
            )
        if "stall" in args.only:
            files = _ai_inputs(inputs / "ai", args.batch)
            _print_stall(results, app, files, work / "out-ai", args.stall_runs)
    finally:
        app.controller.shutdown()
    return results


def _print_launch(results: dict[str, Any], runs: int) -> None:
    launch = results["launch"] = bench_launch(runs)
    print(
        f"launch -> <Map>      app {launch['app_map'] * 1000:6.0f} ms   bare ttk "
        f"{launch['bare_map'] * 1000:6.0f} ms   "
        f"ratio {_ratio(launch['app_map'], launch['bare_map'])}"
        f"   (app first <Expose> {launch['app_expose'] * 1000:.0f} ms; budget 500 ms)"
    )


def _print_preview(results: dict[str, Any], app: Any, big: Path, runs: int) -> None:
    pv = results["preview"] = bench_preview(app, big, runs)
    print(
        f"preview 12 MP JPEG   gui {pv['gui'] * 1000:6.0f} ms   engine alone, same size "
        f"{pv['engine'] * 1000:6.0f} ms   ratio {_ratio(pv['gui'], pv['engine'])}   "
        f"(engine at 1024 px {pv['engine_1024'] * 1000:.0f} ms; first, cold "
        f"{pv['gui_first'] * 1000:.0f} ms; budget 300 ms)"
    )


def _print_stall(
    results: dict[str, Any], app: Any, files: list[Path], dest: Path, runs: int
) -> None:
    rounds = [bench_stall(app, files, dest / str(i)) for i in range(runs)]
    st = {k: statistics.median(r[k] for r in rounds) for k in rounds[0] if k != "worst_ms_at_s"}
    st["each_ms"] = [round(r["busy_gap"] * 1000) for r in rounds]
    st["bare_each_ms"] = [round(r["bare_gap"] * 1000) for r in rounds]
    st["worst_ms_at_s"] = [r["worst_ms_at_s"] for r in rounds]
    results["stall"] = st
    print(
        f"longest Tk stall     AI batch {st['busy_gap'] * 1000:6.1f} ms   bare Tk process "
        f"beside it {st['bare_gap'] * 1000:6.1f} ms   ratio "
        f"{_ratio(st['busy_gap'], st['bare_gap'])}   (app idle {st['idle_gap'] * 1000:.1f} ms;"
        f" {st['converted']:.0f}/{st['files']:.0f} converted in {st['batch_s']:.1f} s;"
        f" per batch: app {st['each_ms']} ms, bare {st['bare_each_ms']} ms; budget 50 ms)"
    )


def _copies(src: Path, folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True)
    out = []
    for i in range(n):
        out.append(folder / f"{src.stem}_{i:03d}{src.suffix}")
        shutil.copy(src, out[-1])
    return out


def _ai_inputs(folder: Path, n: int) -> list[Path]:
    """``n`` product-like photos (the rembg test images, cycled, under distinct names)."""
    sources = sorted((CORPUS / "rembg" / "inputs").glob("*.jpg"))
    sources += sorted(
        p for p in (CORPUS / "rembg" / "examples").glob("*.jpg") if "out" not in p.name
    )
    folder.mkdir(parents=True)
    out = []
    for i in range(n):
        src = sources[i % len(sources)]
        out.append(folder / f"{i:03d}_{src.name}")
        shutil.copy(src, out[-1])
    return out


if __name__ == "__main__":
    sys.exit(main())
