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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine loads lazily, off the Tk thread
    from collections.abc import Callable, Collection, Iterable, Sequence

    from ..core.discover import Found
    from ..core.events import CancelToken, Event
    from ..core.recipe import Recipe
    from ..core.settings import Settings

log = logging.getLogger(__name__)


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


def discover(paths: Iterable[Path], dest: Path | None) -> list[Found]:
    """The files under dropped or chosen ``paths``: the engine's one discovery.

    Folders are walked recursively (the planner mirrors their tree); ``dest`` and
    this program's outputs are never listed, so opening the same folder again does
    not take the last run's results for inputs. Unreadable entries come back with
    their reason in ``Found.error``.
    """
    from ..core.discover import discover as walk

    target = dest if dest is not None else Path(os.devnull)
    return walk([Path(p) for p in paths], Path(os.path.abspath(target)), recursive=True)


def probe(path: Path) -> tuple[tuple[int, int] | None, int]:
    """(pixel size from the header, upright as the camera's orientation turns it, as the
    preview and the outputs show it; or None, file size in bytes). Cheap: no decoding.

    The engine's one header peek (``imageio.upright_size``, the planner's too); an
    unreadable header gives None and the batch reports the real reason."""
    from ..core.imageio import upright_size

    try:
        size = path.stat().st_size
    except OSError:
        return None, 0
    return upright_size(path), size


def run_batch(
    roots: Sequence[Path],
    files: Collection[Path],
    dest: Path,
    recipe: Recipe,
    post: Callable[[Event], None],
    cancel: CancelToken,
    *,
    cfg: Any,
    monitor: Any = None,
    warm: Any = None,
) -> None:
    """Run a batch (blocking; call from a worker thread) through the engine's one door.

    ``roots``: what the user dropped or opened (folders as folders, so the planner
    mirrors their tree); ``files``: the rows still listed. The same sidecar hooks
    as the CLI (log file, performance details, memory screen and guard, configured
    workers); every event is then posted to the window. ``warm``: the window's
    ``runner.BatchRunner``, whose workers outlive the batch.
    """
    from ..core.batch import Session
    from ..sidecars import startup

    with (
        startup.batch_hooks(recipe.shared, cfg, monitor) as hooks,
        Session(recipe, hooks, warm=warm) as session,
        WorkerPriority(),
    ):
        session.run(roots, dest, post, cancel, recursive=True, only=files)


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
