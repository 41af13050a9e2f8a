"""Adding files: drops, the file dialogs and command-line paths become list rows.

Folders are expanded and headers read (pixel size) in a worker thread; rows come
back through the UI queue in chunks so thousands of files never freeze the window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog
from typing import Any

from . import backend

log = logging.getLogger(__name__)
PROBE_CHUNK = 100
IMAGE_TYPES = [
    ("Images", " ".join(f"*{e}" for e in sorted(backend.IMAGE_EXTENSIONS))),
    ("All files", "*"),
]


@dataclass(frozen=True)
class FilesProbed:
    rows: tuple[tuple[Path, tuple[int, int] | None, int], ...]


@dataclass(frozen=True)
class FilesDone:
    requested: int
    found: int


class FileAdder:
    """Scans what the user adds and feeds the file list (``files()`` returns the FileList)."""

    def __init__(
        self,
        root: Any,
        prefs: Any,
        post: Callable[[Any], None],
        files: Callable[[], Any],
        on_chosen: Callable[[list[Path]], None],
    ) -> None:
        self.root = root
        self.prefs = prefs
        self._post = post
        self._files = files
        self._on_chosen = on_chosen  # what dialog choices go through (the controller's add)
        self.pending = 0  # scans still running (tests and the benchmark wait on it)

    def add(self, paths: list[Path]) -> None:
        """Start a scan of ``paths`` (files and folders) in a worker thread."""
        names = ", ".join(p.name for p in paths[:5]) + (" …" if len(paths) > 5 else "")
        log.info("adding %d item(s): %s", len(paths), names)
        self.pending += 1
        threading.Thread(target=self._scan, args=(list(paths),), name="scan", daemon=True).start()

    def _scan(self, paths: list[Path]) -> None:
        """Worker: expand folders, read headers, post rows in chunks."""
        files: list[Path] = []
        try:
            files = backend.expand_inputs(paths)
            for start in range(0, len(files), PROBE_CHUNK):
                chunk = files[start : start + PROBE_CHUNK]
                self._post(FilesProbed(tuple((p, *backend.probe(p)) for p in chunk)))
        finally:
            self._post(FilesDone(len(paths), len(files)))

    def handle(self, msg: FilesProbed | FilesDone) -> None:
        """Tk thread: show scanned rows; the first file added gets selected (and previewed)."""
        files = self._files()
        if isinstance(msg, FilesProbed):
            was_empty = not files.iids
            files.add_rows(msg.rows)
            if was_empty and files.iids:
                files.select_first()
        else:
            self.pending -= 1
            log.info(
                "files added: %d found from %d dropped/chosen item(s)", msg.found, msg.requested
            )

    def files_dialog(self) -> list[Path]:
        """ "Add files…": the system dialog, then a scan of what was chosen."""
        initial = self.prefs.last_folder("input")
        names = filedialog.askopenfilenames(
            parent=self.root,
            title="Add images",
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
            title="Add a folder of images",
            mustexist=True,
            initialdir=str(initial) if initial else None,
        )
        if not folder:
            return None
        self.prefs.set_last_folder("input", Path(folder))
        self._on_chosen([Path(folder)])
        return Path(folder)
