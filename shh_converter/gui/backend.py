"""The GUI's one door to the engine and the sidecars.

Everything here is called from worker threads (never the Tk thread), and every
engine import is done lazily inside the functions: importing the engine pulls in
numpy, and rembg/onnxruntime only load when background removal runs.

Where a part built by another engineer is not in the tree yet, a small fallback
named ``_fallback_*`` keeps the window usable; each one is logged when used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.events import BatchFinished, CancelToken, EventCallback
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
                dirs.sort()
                found.extend(
                    Path(folder) / name
                    for name in sorted(files)
                    if Path(name).suffix.lower() in IMAGE_EXTENSIONS
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


def plan_jobs(files: Sequence[Path], dest: Path, settings: Settings) -> list[Job]:
    """One Job per file, outputs in ``dest`` (the planner decides names and conflicts)."""
    try:
        from ..core import plan
    except ImportError:
        return _fallback_plan(files, dest, settings)
    return list(plan.plan_batch(list(files), dest, settings).jobs)


def run_jobs(
    jobs: list[Job],
    settings: Settings,
    on_event: EventCallback,
    cancel: CancelToken,
    memory_guard: Callable[[], bool] | None = None,
) -> BatchFinished:
    """Run the batch (blocking; call from a worker thread)."""
    try:
        from ..core import runner
    except ImportError:
        return _fallback_run(jobs, settings, on_event, cancel)
    kwargs: dict[str, Any] = {}
    if memory_guard is not None:
        kwargs["memory_guard"] = memory_guard
    return runner.run_batch(jobs, settings, on_event, cancel, **kwargs)


def make_preview(
    source: Path, settings: Settings, max_side: int, cancel: CancelToken
) -> PreviewResult:
    """Before/after images at preview scale with the estimated output size."""
    from ..core import preview

    p = preview.make_preview(source, settings, max_side=max_side, cancel=cancel)
    return PreviewResult(p.before, p.after, p.encoded_bytes, p.output_size, p.input_size)


# -- fallbacks while the planner/runner modules are not in the tree ----------


def _fallback_plan(files: Sequence[Path], dest: Path, settings: Settings) -> list[Job]:
    log.warning("core.plan missing: using the GUI's simple planner")
    taken: set[Path] = set()
    jobs = []
    for index, src in enumerate(files):
        out = dest / f"{src.stem}.{settings.extension}"
        n = 2
        while out in taken or out.exists():
            out = dest / f"{src.stem} ({n}).{settings.extension}"
            n += 1
        taken.add(out)
        jobs.append(Job(index=index, source=src, output=out))
    return jobs


def _fallback_run(
    jobs: list[Job], settings: Settings, on_event: EventCallback, cancel: CancelToken
) -> BatchFinished:
    import time

    from ..core import convert
    from ..core.events import BatchStarted, FileFinished, FileStarted, Progress

    log.warning("core.runner missing: using the GUI's one-at-a-time runner")
    start, results, error = time.monotonic(), [], None
    bytes_in = bytes_out = 0
    try:
        on_event(BatchStarted("gui", len(jobs), 1))
        for job in jobs:
            if cancel.cancelled:
                break
            job.output.parent.mkdir(parents=True, exist_ok=True)
            on_event(FileStarted(job))
            result = convert.convert_job(job, settings).replace(index=job.index)
            results.append(result)
            bytes_in += result.bytes_in
            bytes_out += result.bytes_out
            on_event(FileFinished(result))
            elapsed = time.monotonic() - start
            eta = elapsed / len(results) * (len(jobs) - len(results))
            on_event(Progress(len(results), len(jobs), bytes_in, bytes_out, elapsed, eta))
    except Exception as exc:  # a bug in the runner itself: still finish the batch
        log.exception("batch failed")
        error = f"{type(exc).__name__}: {exc}"
    finished = BatchFinished(
        "gui", tuple(results), cancel.cancelled, time.monotonic() - start, error
    )
    on_event(finished)
    return finished
