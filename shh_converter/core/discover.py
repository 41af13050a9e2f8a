"""Discovery: files and folders given by the user -> the files a batch takes, in order.

The one walk both front ends use (the CLI's arguments, the window's drops and
"Add folder"), so they agree on what a folder holds:

* A file named explicitly (argument, drop) is always taken, whatever its
  extension: the format is detected from the content later, so a non-image gets
  a clear per-file "not an image" failure.
* A folder contributes every regular file in it (``recursive``: in its
  subfolders too; the subfolder is kept so the planner mirrors it under the
  destination) except hidden and system files (``.*``, ``Thumbs.db``,
  ``desktop.ini``, Windows hidden/system attributes) -- which also covers our own
  ``.shh-partial-*`` temps and the resume ledger -- and except files the ledger of
  that folder lists as our outputs. The destination (and anything under it) is
  never walked, so outputs are never read back in as inputs.
* A missing input becomes an entry with an error, reported like any file.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .state import LedgerBook

log = logging.getLogger(__name__)

JUNK_NAMES = {"thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r"}


@dataclass(frozen=True)
class Found:
    """One input file found, and where it sits relative to the folder it was found in."""

    source: Path
    subdir: tuple[str, ...] = ()  # folder relative to the input folder (mirrored under dest)
    error: str | None = None


def key(path: Path) -> str:
    """Collision key: case-insensitive everywhere, so a plan is valid on Windows and macOS too."""
    return os.path.normcase(str(path)).casefold()


def discover(
    inputs: list[Path], dest: Path, recursive: bool, book: LedgerBook | None = None
) -> list[Found]:
    """Every input file under ``inputs``, each once, in the order given (folders sorted)."""
    book = book if book is not None else LedgerBook()
    seen: set[str] = set()
    found: list[Found] = []
    for raw in inputs:
        path = Path(os.path.abspath(raw))
        if path.is_dir():
            items = list(_walk(path, dest, recursive, book))
        elif path.is_file():
            items = [Found(path)]
        elif path.exists():
            items = [Found(path, error="not a regular file")]
        else:
            items = [Found(path, error="file not found")]
        for item in items:
            if key(item.source) not in seen:
                seen.add(key(item.source))
                found.append(item)
    return found


def _walk(root: Path, dest: Path, recursive: bool, book: LedgerBook) -> Iterator[Found]:
    """Regular, non-hidden files under ``root``, sorted, skipping the destination tree."""
    for folder, subdir in _folders(root, dest, recursive):
        # Destination == source folder: outputs of earlier runs sit beside the sources.
        ours = book.for_folder(folder).outputs() if folder == dest.joinpath(*subdir) else set()
        for entry in _sorted_entries(folder):
            if entry.is_file() and not _is_hidden(entry) and entry.name not in ours:
                yield Found(Path(entry.path), subdir)


def _folders(root: Path, dest: Path, recursive: bool) -> Iterator[tuple[Path, tuple[str, ...]]]:
    yield root, ()
    if not recursive:
        return
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, subdir = stack.pop(0)
        for entry in _sorted_entries(folder):
            if not entry.is_dir(follow_symlinks=False) or _is_hidden(entry):
                continue
            child = Path(entry.path)
            if child == dest:
                continue  # a destination inside the source: never read outputs back in
            yield child, (*subdir, entry.name)
            stack.append((child, (*subdir, entry.name)))


def _sorted_entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError as exc:
        log.warning("cannot list %s: %s", folder, exc)
        return []
    return sorted(entries, key=lambda e: (e.name.casefold(), e.name))


def _is_hidden(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith(".") or entry.name.casefold() in JUNK_NAMES:
        return True
    try:
        attrs = getattr(entry.stat(), "st_file_attributes", 0)  # Windows only
    except OSError:
        return True  # a broken link or a file that vanished: nothing to convert
    hidden = getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 2) | getattr(stat, "FILE_ATTRIBUTE_SYSTEM", 4)
    return bool(attrs & hidden)
