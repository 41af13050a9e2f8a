"""Benchmark: the frozen bundle -- window visible, first cut-out, size.

    .venv/bin/python benchmarks/bench_frozen.py [--bundle "dist/SHH Converter"] [--runs 5]

Without ``--bundle`` it builds one first (PyInstaller, a minute or two). Starts its
own Xvfb. Medians over ``--runs``, each beside a reference measured in the same run:

* window visible: process start -> the "SHH Converter" top-level window is mapped
  and viewable on the X server (polled every 2 ms through Xlib), for the frozen
  windowed executable vs. the same app from the source tree (``python -m
  shh_converter``) and a bare one-label Tk window. Goal <= 0.5 s.
* first cut-out: ``shh-converter convert PHOTO --remove-bg`` with a fresh per-user
  folder each run (no caches: what a first run after installing does), frozen vs.
  source. Goal <= 5 s.
* size: the bundle folder in MiB (goal <= 250), by component.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))
sys.path.insert(0, str(REPO / "tests"))
from support import start_xvfb  # noqa: E402
from test_frozen import bundle_components  # noqa: E402

PHOTO = CORPUS / "rembg" / "examples" / "animal-1.jpg"
BARE_TK = (
    "import tkinter as tk; from tkinter import ttk; r = tk.Tk(); r.title('SHH Converter'); "
    "ttk.Label(r, text='hello').pack(); r.mainloop()"
)


class XWatcher:
    """Polls the X server (ctypes Xlib) for a viewable top-level window with a given name."""

    def __init__(self) -> None:
        lib = ctypes.util.find_library("X11")
        if not lib:
            msg = "libX11 not found"
            raise SystemExit(msg)
        self.x = ctypes.CDLL(lib)
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x.XQueryTree.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
            ctypes.POINTER(ctypes.c_uint),
        ]  # fmt: skip
        self.x.XFetchName.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.POINTER(ctypes.c_char_p),
        ]
        self.x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p]
        self.x.XFree.argtypes = [ctypes.c_void_p]
        self.display = self.x.XOpenDisplay(None)
        if not self.display:
            msg = "cannot open the X display"
            raise SystemExit(msg)
        self.root = self.x.XDefaultRootWindow(self.display)

    def _viewable(self, window: int) -> bool:
        attrs = (ctypes.c_char * 256)()  # XWindowAttributes; map_state is an int at offset 92
        self.x.XGetWindowAttributes(self.display, window, attrs)
        return int.from_bytes(bytes(attrs[92:96]), sys.byteorder) == 2  # IsViewable

    def visible(self, name: bytes) -> bool:
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children = ctypes.POINTER(ctypes.c_ulong)()
        count = ctypes.c_uint()
        self.x.XQueryTree(
            self.display, self.root, ctypes.byref(root), ctypes.byref(parent),
            ctypes.byref(children), ctypes.byref(count),
        )  # fmt: skip
        try:
            for i in range(count.value):
                title = ctypes.c_char_p()
                named = self.x.XFetchName(self.display, children[i], ctypes.byref(title))
                if named and title.value:
                    matched = title.value == name
                    self.x.XFree(title)
                    if matched and self._viewable(children[i]):
                        return True
        finally:
            if children:
                self.x.XFree(children)
        return False


def time_to_window(watch: XWatcher, command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not watch.visible(b"SHH Converter"):
            if proc.poll() is not None:
                msg = f"{command[0]} exited: {proc.stderr.read()[-2000:]!r}"
                raise SystemExit(msg)  # type: ignore[union-attr]
            if time.perf_counter() - started > 60:
                msg = f"no window from {command}"
                raise SystemExit(msg)
            time.sleep(0.002)
        return time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(20)


def first_cutout(command: list[str], base_env: dict[str, str], out: Path) -> float:
    env = dict(base_env, SHH_CONVERTER_HOME=tempfile.mkdtemp(prefix="bench-frozen-home-"))
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "convert", str(PHOTO), "-o", str(out), "--remove-bg"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return took


def build(work: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
         str(REPO / "build_scripts" / "shh_converter.spec")],
        check=True,
    )  # fmt: skip
    return work / "dist" / "SHH Converter"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-frozen-"))
    bundle = args.bundle or build(work)
    print(f"load average before: {os.getloadavg()}")
    xvfb, display = start_xvfb()
    env = dict(os.environ, DISPLAY=display, SHH_CONVERTER_HOME=str(work / "home"))
    env["SHH_CONVERTER_UPDATE_URL"] = "http://127.0.0.1:9/"  # no internet
    os.environ["DISPLAY"] = display
    try:
        watch = XWatcher()
        gui = [str(bundle / "SHH Converter")]
        source = [sys.executable, "-m", "shh_converter"]
        bare = [sys.executable, "-c", BARE_TK]
        times: dict[str, list[float]] = {"frozen": [], "source": [], "bare Tk": []}
        for _ in range(args.runs):  # interleaved, so load changes hit all three alike
            times["frozen"].append(time_to_window(watch, gui, env))
            times["source"].append(time_to_window(watch, source, dict(env, PYTHONPATH=str(REPO))))
            times["bare Tk"].append(time_to_window(watch, bare, env))
        med = {k: statistics.median(v) for k, v in times.items()}
        print("window visible (process start -> viewable), median ms:")
        for k, v in med.items():
            print(f"  {k:<8} {v * 1000:7.0f}   ratio to frozen {v / med['frozen']:.2f}")
        cut: dict[str, list[float]] = {"frozen": [], "source": []}
        cli = [str(bundle / "shh-converter")]
        for i in range(args.runs):
            cut["frozen"].append(first_cutout(cli, env, work / f"out-f{i}"))
            cut["source"].append(first_cutout(source, env, work / f"out-s{i}"))
        cmed = {k: statistics.median(v) for k, v in cut.items()}
        print(f"first cut-out ({PHOTO.name}, fresh per-user folder), median s:")
        for k, v in cmed.items():
            print(f"  {k:<8} {v:7.2f}   ratio to source {v / cmed['source']:.2f}")
        sizes = bundle_components(bundle)
        print(f"bundle size {sum(sizes.values()) / 2**20:.0f} MiB:")
        for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<22} {size / 2**20:6.1f} MiB")
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
