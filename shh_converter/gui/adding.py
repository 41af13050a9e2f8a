"""Adding files: drops, the file dialogs and command-line paths become list rows.

Folders are walked by the engine's one discovery (``core/discover.py``, the same
as the CLI's: the destination and our own outputs are never listed) and headers
read (pixel size) in a worker thread; rows come back through the UI queue in
chunks so thousands of files never freeze the window. An entry that cannot be
read (a broken link, no permission) becomes a failed row with its reason.
"""

from __future__ import annotations

import gc
import logging
import threading
import tkinter as tk
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog
from typing import TYPE_CHECKING

from ..core.discover import READABLE_EXTENSIONS
from ..i18n import _
from . import backend

if TYPE_CHECKING:
    from collections.abc import Callable

    from .filelist import FileList
    from .prefs import Prefs

log = logging.getLogger(__name__)
PROBE_CHUNK = 100
IMAGE_TYPES = [
    (_("Images"), " ".join(f"*{e}" for e in sorted(READABLE_EXTENSIONS))),
    (_("All files"), "*"),
]


@dataclass(frozen=True)
class FilesProbed:
    """Rows in discovery order: (path, pixel size, bytes, why it cannot be read, why skipped)."""

    rows: tuple[tuple[Path, tuple[int, int] | None, int, str | None, str | None], ...]


@dataclass(frozen=True)
class FilesMeasured:
    """Pixel sizes read from headers, for rows already listed."""

    rows: tuple[tuple[Path, tuple[int, int] | None], ...]


@dataclass(frozen=True)
class FilesDone:
    requested: int
    found: int


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class FileAdder:
    """Scans what the user adds and feeds the file list (``files()`` returns the FileList)."""

    def __init__(
        self,
        root: tk.Misc,
        prefs: Prefs,
        post: Callable[[FilesProbed | FilesMeasured | FilesDone], None],
        files: Callable[[], FileList],
        on_chosen: Callable[[list[Path]], None],
        destination: Callable[[], Path | None] = lambda: None,
    ) -> None:
        self.root = root
        self.prefs = prefs
        self._post = post
        self._files = files
        self._on_chosen = on_chosen  # what dialog choices go through (the controller's add)
        self._destination = destination  # never listed (the last run's outputs are there)
        self.pending = 0  # scans still running (tests and the benchmark wait on it)
        # Rows came into an empty list and no image among them is selected yet: the first
        # image that comes is (a sidecar listed first has nothing to preview).
        self._select_image = False

    def add(self, paths: list[Path]) -> None:
        """Start a scan of ``paths`` (files and folders) in a worker thread."""
        names = ", ".join(p.name for p in paths[:5]) + (" …" if len(paths) > 5 else "")
        log.info("adding %d item(s): %s", len(paths), names)
        self.pending += 1
        dest = self._destination()
        args = (list(paths), dest)
        threading.Thread(target=self._scan, args=args, name="scan", daemon=True).start()

    def _scan(self, paths: list[Path], dest: Path | None) -> None:
        """Worker: walk folders, post rows in chunks, then read headers for the dimensions.

        Rows first (name, size: a stat each), dimensions after (a header read each), so
        50,000 files are listed in seconds and their dimensions fill in behind.
        """
        files: list[Path] = []
        try:
            found = backend.discover(paths, dest)
            # The rows are long-lived: out of the cyclic GC's way, or every full collection
            # walks all of them (~100 ms with 50,000 files, a stall of the Tk thread).
            gc.freeze()
            files = [f.source for f in found]
            for start in range(0, len(found), PROBE_CHUNK):
                chunk = found[start : start + PROBE_CHUNK]
                rows = tuple((f.source, None, _size(f.source), f.error, f.skip) for f in chunk)
                self._post(FilesProbed(rows))
            readable = [f.source for f in found if not (f.error or f.skip)]
            for start in range(0, len(readable), PROBE_CHUNK):
                batch = readable[start : start + PROBE_CHUNK]
                self._post(FilesMeasured(tuple((p, backend.probe(p)[0]) for p in batch)))
        finally:
            self._post(FilesDone(len(paths), len(files)))

    def handle(self, msg: FilesProbed | FilesMeasured | FilesDone) -> None:
        """Tk thread: show scanned rows; the first image added gets selected (and previewed)."""
        files = self._files()
        if isinstance(msg, FilesMeasured):
            files.set_dims(msg.rows)
        elif isinstance(msg, FilesProbed):
            was_empty = not files.iids
            files.add_rows((path, dims, size) for path, dims, size, _why, _skip in msg.rows)
            for path, _dims, _size, why, skip in msg.rows:
                if why:  # a broken link, no permission, gone: its reason, the rest goes on
                    files.set_status(path, "failed", text=_("failed: {reason}").format(reason=why))
                elif skip:  # a sidecar or a note beside the photos: listed, never converted
                    files.set_status(path, "skipped", text=_("not an image, skipped"))
            self._select_image = self._select_image or was_empty
            if self._select_image and not files.tree.selection():
                images = (row[0] for row in msg.rows if not (row[3] or row[4]))
                first = next(images, None)
                if first is not None:
                    files.select(first)
                    self._select_image = False
        else:
            self.pending -= 1
            self._select_image = self._select_image and self.pending > 0
            log.info(
                "files added: %d found from %d dropped/chosen item(s)", msg.found, msg.requested
            )

    def files_dialog(self) -> list[Path]:
        """ "Add files…": the system dialog, then a scan of what was chosen."""
        initial = self.prefs.last_folder("input")
        names = filedialog.askopenfilenames(
            parent=self.root,
            title=_("Add images"),
            filetypes=IMAGE_TYPES,
            initialdir=str(initial) if initial else None,
        )
        paths = [Path(n) for n in self.root.tk.splitlist(names)] if names else []
        if paths:
            self.prefs.set_last_folder("input", paths[0].parent)
            self._on_chosen(paths)
        return paths

    def folder_dialog(self) -> Path | None:
        """ "Add folder…": the system folder dialog, then a scan of the folder."""
        initial = self.prefs.last_folder("input")
        folder = filedialog.askdirectory(
            parent=self.root,
            title=_("Add a folder of images"),
            mustexist=True,
            initialdir=str(initial) if initial else None,
        )
        if not folder:
            return None
        self.prefs.set_last_folder("input", Path(folder))
        self._on_chosen([Path(folder)])
        return Path(folder)
