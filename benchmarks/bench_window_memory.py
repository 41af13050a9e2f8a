"""Benchmark: the window's memory after AI previews, and the whole app's during an AI batch.

    .venv/bin/python benchmarks/bench_window_memory.py [--photos 5]

The real window (``gui.app.App``) on its own Xvfb, in a temp ``SHH_CONVERTER_HOME``.
Each side runs in a fresh process, one after the other:

* ``release``: the product as shipped (the AI session dropped and the heap trimmed
  ``core.preview.RELEASE_AFTER_SECONDS`` after the last AI preview);
* ``keep`` (reference): the same with the release turned off, which is how the
  window behaved before (the session and the heap stayed for the rest of its life).

In each: the "Product cut-out" preset (u2netp), AI previews of ``--photos`` corpus
photos one after another (waiting for each to be shown), then the window's own RSS
is sampled every 0.25 s for 12 s while its Tk loop runs; then an AI batch of the
issue's 10-photo mix is converted through the window with the same preset, with the RSS of
the window's process and of the whole app (window + workers) sampled every 50 ms.
Goals (issue 14): the window's process <= 200 MB within 10 s of its last AI
preview; the whole app during an AI batch <= the AI memory target + 100 MB.
Prints the load average. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shh_converter.core.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "gui"))
sys.path.insert(0, str(REPO / "tests"))

PREVIEW_PHOTOS = [
    "Kleiber_by_Lukas_Baubkus.jpg",
    "plasma_ColorfulCups_2560x1600.jpg",
    "mate_Storm.jpg",
    "exif_Landscape_3.jpg",
    "mpl_grace_hopper.jpg",
]
BATCH_PHOTOS = [  # the mix, 0.3-20 MP
    "Kleiber_by_Lukas_Baubkus.jpg",
    "mate_LadyBird.jpg",
    "plasma_ColorfulCups_2560x1600.jpg",
    "mate_Storm.jpg",
    "mate_Dune.jpg",
    "exif_Landscape_3.jpg",
    "exif_Portrait_6.jpg",
    "sklearn_china.jpg",
    "mpl_grace_hopper.jpg",
    "skimage_astronaut.png",
]
MB = 2**20


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


class TreeSampler:
    """RSS of this process and of it plus its children, every ``every`` seconds, on a thread."""

    def __init__(self, every: float) -> None:
        import psutil

        self.me = psutil.Process()
        self.every = every
        self.own_peak = self.tree_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(self.every):
            try:
                own = self.me.memory_info().rss
                kids = sum(c.memory_info().rss for c in self.me.children(recursive=True))
            except psutil.Error:
                continue
            self.own_peak = max(self.own_peak, own)
            self.tree_peak = max(self.tree_peak, own + kids)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def child(mode: str, photos: int, work: Path) -> dict[str, Any]:
    """One side, in this (fresh) process: previews, then the batch."""
    import psutil
    from guikit import make_app, pump_for, pump_until

    from shh_converter.core import capacity, preview

    if mode == "keep":
        preview.RELEASE_AFTER_SECONDS = 1e9  # never within the run: the old behaviour
    me = psutil.Process()
    app = make_app()
    out: dict[str, Any] = {"mode": mode, "start_mb": me.memory_info().rss / MB}
    try:
        c, tree = app.controller, app.window.files.tree
        inputs = work / "preview-in"
        inputs.mkdir()
        files = []
        for name in PREVIEW_PHOTOS[:photos]:
            shutil.copy(CORPUS / "photos" / name, inputs / name)
            files.append(inputs / name)
        c.clear()
        c.add_paths(files)
        pump_until(app.root, lambda: c.pending_adds == 0, 120)
        app.window.presets.apply("Product cut-out")
        pump_for(app.root, 0.5)
        peak = 0.0
        for row in tree.get_children():
            before = c.preview.generation
            tree.selection_set(row)
            pump_until(
                app.root,
                lambda before=before: (
                    app.window.preview.ready is not None
                    and app.window.preview.ready.generation > before
                    and app.window.preview.state_text == "ready"
                ),
                300,
            )
            peak = max(peak, me.memory_info().rss / MB)
        out["previews"] = len(tree.get_children())
        out["at_last_preview_mb"] = me.memory_info().rss / MB
        out["preview_peak_mb"] = peak
        t0 = time.monotonic()
        samples = []
        while time.monotonic() - t0 < 12:
            pump_for(app.root, 0.25)
            samples.append((round(time.monotonic() - t0, 2), me.memory_info().rss / MB))
        out["after_s_mb"] = samples
        out["at_10s_mb"] = next(mb for s, mb in samples if s >= 10)
        out["lowest_by_10s_mb"] = min(mb for s, mb in samples if s <= 10)

        batch_in = work / "batch-in"
        batch_in.mkdir()
        batch_files = []
        for name in BATCH_PHOTOS:
            shutil.copy(CORPUS / "photos" / name, batch_in / name)
            batch_files.append(batch_in / name)
        c.clear()
        c.add_paths(batch_files)
        pump_until(app.root, lambda: c.pending_adds == 0, 120)
        app.window.presets.apply("Product cut-out")
        app.window.progress.dest_var.set(str(work / "out"))
        pump_for(app.root, 0.5)
        settings: Settings = c.current_settings()
        out["ai_target_mb"] = capacity.ai_budget_mb(settings)
        sampler = TreeSampler(0.05)
        c.convert()
        session = c.batch
        pump_until(app.root, lambda: not session.running, 1800)
        sampler.stop()
        out["batch_converted"] = session.last.converted if session.last else 0
        out["batch_window_peak_mb"] = sampler.own_peak / MB
        out["batch_tree_peak_mb"] = sampler.tree_peak / MB
    finally:
        app.controller.shutdown()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.photos, Path(args.work))))
        return 0
    from support import start_xvfb

    xvfb, display = start_xvfb()
    results = {}
    try:
        print(f"load average at the start: {_load()}")
        for mode in ("keep", "release"):
            with tempfile.TemporaryDirectory(prefix="shh-winmem-") as tmp:
                env = dict(os.environ, DISPLAY=display, SHH_CONVERTER_HOME=str(Path(tmp) / "home"))
                cmd = [sys.executable, __file__, "--child", mode, "--work", tmp]
                cmd += ["--photos", str(args.photos)]
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3000)
                if done.returncode != 0:
                    print(done.stderr[-3000:], file=sys.stderr)
                    return 1
                results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"load average at the end: {_load()}")
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    keep, rel = results["keep"], results["release"]
    print(f"{rel['previews']} AI previews in the real window (u2netp, 'Product cut-out'):")
    for name, r in (("before (kept, reference)", keep), ("now (released)", rel)):
        print(
            f"  {name:<26} window at start {r['start_mb']:5.0f} MB, at the last preview "
            f"{r['at_last_preview_mb']:5.0f} MB (peak {r['preview_peak_mb']:.0f}), 10 s later "
            f"{r['at_10s_mb']:5.0f} MB"
        )
    print(
        f"  10 s after: now / before = {rel['at_10s_mb'] / keep['at_10s_mb']:.2f}x (goal <= 200 MB)"
    )
    print(f"AI batch of {len(BATCH_PHOTOS)} photos through the window ('Product cut-out'):")
    for name, r in (("before (kept, reference)", keep), ("now (released)", rel)):
        print(
            f"  {name:<26} converted {r['batch_converted']}, window peak "
            f"{r['batch_window_peak_mb']:5.0f} MB, whole app peak "
            f"{r['batch_tree_peak_mb']:5.0f} MB (AI target {r['ai_target_mb']:.0f} MB + 100 = goal)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
