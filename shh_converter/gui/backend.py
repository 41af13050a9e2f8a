"""The GUI's one door to the engine and the sidecars.

Everything here is called from worker threads (never the Tk thread), and every
engine import is done lazily inside the functions: importing the engine pulls in
numpy, and rembg/onnxruntime only load when background removal runs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.events import BatchFinished, CancelToken, Event
from ..core.jobs import Job
from ..core.settings import Settings

log = logging.getLogger(__name__)

# What the file list accepts from a dropped folder (the planner has the final word).
_EXTENSIONS = (
    ".jpg .jpeg .jpe .jfif .png .apng .gif .webp .bmp .dib .tif .tiff .heic .heif .hif .avif "
    ".avifs .ico .cur .psd .tga .qoi .jp2 .j2k .mpo .ppm .pgm .pbm .pnm .icns"
)
IMAGE_EXTENSIONS = frozenset(_EXTENSIONS.split(" "))


@dataclass
class PreviewResult:
    """What the preview pane shows (the engine's Preview, or the fallback's)."""

    before: Any  # PIL.Image.Image
    after: Any  # PIL.Image.Image
    encoded_bytes: int
    output_size: tuple[int, int]
    input_size: tuple[int, int]


def warm_up() -> None:
    """Import the engine now (in a thread, after the window shows) so the first preview is quick."""
    from ..core import convert, preview  # noqa: F401  (numpy, Pillow plugins)


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given, plus the image files inside given folders (recursively, sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(
                    Path(folder) / name
                    for name in sorted(files)
                    if Path(name).suffix.lower() in IMAGE_EXTENSIONS and not name.startswith(".")
                )
        elif path.exists():
            found.append(path)
        else:
            log.warning("not found: %s", path)
    return found


def probe(path: Path) -> tuple[tuple[int, int] | None, int]:
    """(pixel size from the header or None, file size in bytes). Cheap: no decoding."""
    from PIL import Image

    try:
        size = path.stat().st_size
    except OSError:
        return None, 0
    try:
        with Image.open(path) as im:
            return im.size, size
    except Exception:  # any unreadable header: the batch will report the real reason
        return None, size


def check_background(settings: Settings) -> None:
    """Raise one ``BackgroundRemovalError`` for the batch if removal cannot start at all."""
    from ..core import background

    background.preflight(settings.background_removal)


def plan_jobs(files: Sequence[Path], dest: Path, settings: Settings) -> list[Job]:
    """One Job per file, outputs in ``dest`` (the planner decides names and conflicts)."""
    from ..core import plan

    return list(plan.plan_batch(list(files), dest, settings).jobs)


def run_jobs(
    jobs: list[Job],
    settings: Settings,
    post: Callable[[Event], None],
    cancel: CancelToken,
    *,
    monitor: Any = None,
    workers: int | None = None,
) -> BatchFinished:
    """Run the batch (blocking; call from a worker thread).

    Each runner event is logged (per-file results, memory, the batch summary) and
    then posted to the window. ``monitor`` (a MemoryMonitor) holds back new jobs
    while memory is short.
    """
    from ..core import runner
    from ..sidecars import logs

    logger = logs.EventLogger(settings, monitor)

    def on_event(event: Event) -> None:
        logger(event)
        post(event)

    guard = monitor.may_start_job if monitor is not None else None
    with WorkerPriority():
        return runner.run_batch(
            jobs, settings, on_event, cancel, workers=workers, memory_guard=guard
        )


class WorkerPriority:
    """While a batch runs, put our worker processes below normal priority.

    The encoders and the AI model keep every core busy; at normal priority they
    starve the window's thread and the Tk loop stalls for tenths of a second.
    A background thread lowers each new child process once (workers are spawned,
    and respawned after a crash, by the runner). Cross-platform through psutil:
    ``nice`` 10 on macOS/Linux, BELOW_NORMAL on Windows.
    """

    def __init__(self, fast: float = 0.05, slow: float = 1.0, fast_for: float = 2.0) -> None:
        # Listing child processes reads every /proc entry: poll quickly only while the
        # workers are being spawned, then rarely (a crashed worker gets respawned).
        self.fast, self.slow, self.fast_for = fast, slow, fast_for
        self.lowered: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="worker-priority", daemon=True)

    def __enter__(self) -> WorkerPriority:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(1.0)

    def _loop(self) -> None:
        import psutil

        me = psutil.Process()
        level = getattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS", 10)
        fast_until = time.monotonic() + self.fast_for
        while not self._stop.is_set():
            try:
                children = me.children(recursive=True)
            except psutil.Error:
                children = []
            for child in children:
                if child.pid in self.lowered:
                    continue
                self.lowered.add(child.pid)
                try:
                    child.nice(level)
                except psutil.Error as exc:
                    log.debug("cannot lower the priority of %s: %s", child.pid, exc)
            self._stop.wait(self.fast if time.monotonic() < fast_until else self.slow)


def make_preview(
    source: Path, settings: Settings, max_side: int, cancel: CancelToken
) -> PreviewResult:
    """Before/after images at preview scale with the estimated output size."""
    from ..core import preview

    p = preview.make_preview(source, settings, max_side=max_side, cancel=cancel)
    return PreviewResult(p.before, p.after, p.encoded_bytes, p.output_size, p.input_size)
