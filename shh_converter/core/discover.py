"""Discovery: files and folders given by the user -> the files a batch takes, in order.

The one walk both front ends use (the CLI's arguments, the window's drops and
"Add folder"), so they agree on what a folder holds:

* A file named explicitly (argument, drop) is always taken, whatever its
  extension: the format is detected from the content later, so a non-image gets
  a clear per-file "not an image" failure.
* A file found by walking a folder whose name is not an image's
  (:data:`READABLE_EXTENSIONS`: ``.xmp`` and ``.json`` sidecars, ``.txt``) is
  sniffed: unless its first bytes are an image's (a JPEG named ``.txt`` is still
  converted), it is :data:`~.jobs.NOT_AN_IMAGE` (``Found.skip``): listed as
  skipped, never a failure. A file whose name says image but whose content is not
  (a PDF named ``.png``) still fails with its reason: something is wrong with it.
* A folder contributes every regular file in it (``recursive``: in its
  subfolders too) except hidden and system files (``.*``, ``Thumbs.db``,
  ``desktop.ini``, Windows hidden/system attributes) -- which also covers our own
  ``.shh-partial-*`` temps and the resume ledger. Links to folders are not
  followed (no loops, no walking out of the tree).
* **Where its outputs go** (:func:`folder_base`): a folder given keeps its own
  name under the destination, its tree mirrored (``cp -r a b dest/``): ``a/x.jpg``
  -> ``dest/a/x.webp``, ``a/sub/y.png`` -> ``dest/a/sub/y.webp``. Only when the
  destination is that folder or inside it (the window's default, ``a/converted``)
  do its files go directly into the destination (``a/converted/x.webp``), as a
  folder converted in place always did. Loose files go directly into the
  destination. :attr:`Found.subdir` is the folder under the destination.
* **Our outputs are never inputs**, wherever the destination is. A folder that
  holds a ledger (:mod:`.state`) is an output folder: the files it lists are left
  out, in every folder the walk meets. The exception is the folder the user names
  itself (the argument, the dropped or chosen folder): there only the outputs made
  from files inside that folder (converted in place, beside their sources) are
  left out, so naming an output folder such as ``photos/converted`` explicitly
  re-encodes what is in it. The destination (and anything under it) is never
  walked.
* Nothing the walk meets stops it. An entry that cannot be read -- a symbolic
  link loop, a dangling link, a folder or file without permission, a name the
  file system cannot decode, a pipe or device -- becomes one :class:`Found` with
  an ``error`` (reported like any failed file, with :func:`describe_os_error`'s
  reason), and the walk goes on with the next entry.
* A missing input becomes an entry with an error, reported like any file.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .jobs import NOT_AN_IMAGE
from .sniff import looks_like_image
from .state import JOURNAL_NAME, STATE_NAME, Ledger, LedgerBook

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator

log = logging.getLogger(__name__)

JUNK_NAMES = {"thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r"}
# What the window's "Add files…" dialog offers (content decides what is really read).
READABLE_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".apng",
        ".gif",
        ".webp",
        ".bmp",
        ".dib",
        ".tif",
        ".tiff",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
        ".avifs",
        ".ico",
        ".cur",
        ".psd",
        ".tga",
        ".qoi",
        ".jp2",
        ".j2k",
        ".mpo",
        ".ppm",
        ".pgm",
        ".pbm",
        ".pnm",
        ".icns",
        ".jxl",
    }
)
HIDDEN_ATTRIBUTES = getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 2) | getattr(
    stat, "FILE_ATTRIBUTE_SYSTEM", 4
)
_REASONS = {
    errno.ELOOP: "symbolic link loop",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "path too long",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EIO: "input/output error (damaged disk or lost network drive)",
}


@dataclass(frozen=True)
class Found:
    """One input file found, and where it sits relative to the folder it was found in."""

    source: Path
    subdir: tuple[str, ...] = ()  # the folder under the destination (see folder_base)
    error: str | None = None
    skip: str | None = None  # a walked file that is not an image (NOT_AN_IMAGE)


def key(path: Path | str) -> str:
    """Collision key: case- and normalisation-insensitive everywhere.

    So a plan is valid on Windows and macOS too: their file systems take ``A.webp``
    and ``a.webp`` -- and macOS also ``é`` composed (NFC) and decomposed (NFD) -- for
    the same name.
    """
    return unicodedata.normalize("NFC", os.path.normcase(os.fspath(path))).casefold()


def describe_os_error(exc: OSError, path: Path | None = None) -> str:
    """A short reason for a user ("symbolic link loop", "permission denied", ...).

    ``ENOENT`` on a path that is itself a link means the link's target is gone.
    """
    if exc.errno == errno.ENOENT:
        if path is not None and os.path.islink(path):
            return "broken link: its target does not exist"
        return "file not found"
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return exc.strerror or type(exc).__name__


def discover(
    inputs: list[Path], dest: Path, recursive: bool, book: LedgerBook | None = None
) -> list[Found]:
    """Every input file under ``inputs``, each once, in the order given (folders sorted)."""
    book = book if book is not None else LedgerBook()
    dest = Path(os.path.abspath(dest))
    seen: set[object] = set()
    found: list[Found] = []
    for raw in inputs:
        path = Path(os.path.abspath(raw))
        kind, error = _classify(path)
        if kind == "dir":
            items = list(_walk(path, path, dest, recursive, book))
        else:
            items = [(Found(path, error=error), _identity(path))]
        for item, identity in items:
            if identity not in seen:
                seen.add(identity)
                found.append(item)
    return found


def discover_within(
    folder: Path, root: Path, dest: Path, book: LedgerBook | None = None
) -> list[Found]:
    """The files under ``folder``, a folder inside the given folder ``root`` (recursive).

    What :func:`discover` of ``root`` would find there (a watch looks again at a
    folder that appeared, without walking the whole tree): ``folder`` is not one the
    user named, so every ledger in it counts.
    """
    folder, root = Path(os.path.abspath(folder)), Path(os.path.abspath(root))
    dest = Path(os.path.abspath(dest))
    book = book if book is not None else LedgerBook()
    return [item for item, _identity in _walk(folder, root, dest, True, book)]


def folder_base(root: Path, dest: Path) -> tuple[str, ...]:
    """The folder under ``dest`` that mirrors the given folder ``root`` (see the module doc).

    ``(root's name,)``; ``()`` when ``dest`` is ``root`` or inside it (and for a
    drive's root, which has no name).
    """
    if inside(dest, root) or not root.name:
        return ()
    return (root.name,)


def inside(path: Path | str, folder: Path | str) -> bool:
    """True when ``path`` is ``folder`` or anything under it (compared as :func:`key` does)."""
    inner, outer = key(path), key(folder)
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def our_outputs(
    folder: Path, names: Collection[str], root: Path, dest: Path, book: LedgerBook
) -> set[str]:
    """The names in ``folder`` that this program made there: never inputs.

    ``names``: what ``folder`` holds (its ledger is only read when it has one);
    ``root``: the folder the user gave, which ``folder`` is or lies in. In ``root``
    itself only outputs made from files inside ``root`` count (see the module doc),
    unless ``root`` is also the destination.
    """
    if STATE_NAME not in names and JOURNAL_NAME not in names:
        return set()
    ledger = book.for_folder(folder)
    if folder != root or folder == dest:
        return ledger.outputs()
    return _made_inside(ledger, root)


def _made_inside(ledger: Ledger, root: Path) -> set[str]:
    return {name for name, entry in ledger.entries.items() if inside(entry.source, root)}


def _identity(path: Path, info: os.stat_result | None = None) -> object:
    """What makes two inputs the same file: its device and inode (file index on Windows).

    Not the name folded for case: ``A.png`` and ``a.png`` are two files on Linux
    (both are converted; the planner keeps their outputs apart), and a folder given
    twice, or a file given by two spellings of its path, is still taken once.
    ``info``: the file's stat when the walk has it already (one stat per file, not
    two; on Windows a folder listing has no file index, so it is asked for then).
    """
    if info is None or not info.st_ino:
        try:
            info = os.stat(path)
        except OSError:
            return os.path.normcase(str(path))
    return (info.st_dev, info.st_ino) if info.st_ino else os.path.normcase(str(path))


def _classify(path: Path) -> tuple[str, str | None]:
    """("dir" | "file" | "bad", reason) for an input named by the user."""
    undecodable = _undecodable_name(path.name)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return "bad", describe_os_error(exc, path)
    if stat.S_ISDIR(mode):
        return "dir", None
    if undecodable:
        return "bad", undecodable
    if stat.S_ISREG(mode):
        return "file", None
    return "bad", "not a regular file (a pipe, socket or device)"


def _walk(
    folder: Path, root: Path, dest: Path, recursive: bool, book: LedgerBook
) -> Iterator[tuple[Found, object]]:
    """Regular, non-hidden files under ``folder`` (``root`` or in it) with their identity.

    Sorted; folders are walked breadth first, each folder's files before its
    subfolders; ``dest`` and our outputs are left out.
    """
    base = (*folder_base(root, dest), *folder.relative_to(root).parts)
    queue: list[tuple[Path, tuple[str, ...]]] = [(folder, base)]
    while queue:
        folder, subdir = queue.pop(0)
        try:
            entries = _sorted_entries(folder)
        except OSError as exc:
            reason = describe_os_error(exc, folder)
            log.warning("cannot open folder %s: %s", folder, reason)
            bad = Found(folder, subdir[:-1], error=f"cannot open this folder: {reason}")
            yield bad, _identity(folder)
            continue
        ours = our_outputs(folder, {e.name for e in entries}, root, dest, book)
        subfolders: list[tuple[Path, tuple[str, ...]]] = []
        for entry in entries:
            if _hidden_by_name(entry.name) or entry.name in ours:
                continue
            item, is_folder, info = _look_at(entry, subdir)
            if is_folder:
                child = Path(entry.path)
                if recursive and child != dest:  # a destination inside the source: skip
                    subfolders.append((child, (*subdir, entry.name)))
            elif item is not None:
                yield item, _identity(item.source, info)
        queue.extend(subfolders)


def _look_at(
    entry: os.DirEntry[str], subdir: tuple[str, ...]
) -> tuple[Found | None, bool, os.stat_result | None]:
    """(what to report for ``entry``, whether it is a real folder to walk into, its stat)."""
    path = Path(entry.path)
    try:
        if entry.is_dir(follow_symlinks=False):
            return None, not _hidden_by_attributes(entry.stat(follow_symlinks=False)), None
        info = entry.stat()  # follows a link to its target
    except OSError as exc:
        reason = describe_os_error(exc, path)
        log.info("skipping %s: %s", path, reason)
        return Found(path, subdir, error=reason), False, None
    if _hidden_by_attributes(info) or stat.S_ISDIR(info.st_mode):
        return None, False, None  # hidden/system file, or a link to a folder (never followed)
    undecodable = _undecodable_name(entry.name)
    if undecodable:
        return Found(path, subdir, error=undecodable), False, info
    if not stat.S_ISREG(info.st_mode):
        bad = Found(path, subdir, error="not a regular file (a pipe, socket or device)")
        return bad, False, info
    if not_an_image(path):
        return Found(path, subdir, skip=NOT_AN_IMAGE), False, info
    return Found(path, subdir), False, info


def not_an_image(path: Path) -> bool:
    """A file met in a folder that is not an image by its name nor by its first bytes:
    skipped, never a failure (a sidecar, a note). One that cannot be read counts as an
    image, so converting it says why."""
    return not _named_like_image(path.name) and not _starts_like_image(path)


def _named_like_image(name: str) -> bool:
    return os.path.splitext(name)[1].casefold() in READABLE_EXTENSIONS


def _starts_like_image(path: Path) -> bool:
    """The content decides (a JPEG named ``.txt`` is an image); unreadable: let it fail."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(32)
    except OSError:
        return True  # converting it says why it cannot be read
    return looks_like_image(head)


def _sorted_entries(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as it:
        entries = list(it)
    return sorted(entries, key=lambda e: (e.name.casefold(), e.name))


def _hidden_by_name(name: str) -> bool:
    return name.startswith(".") or name.casefold() in JUNK_NAMES


def _hidden_by_attributes(info: os.stat_result) -> bool:
    return bool(getattr(info, "st_file_attributes", 0) & HIDDEN_ATTRIBUTES)  # Windows only


def _undecodable_name(name: str) -> str | None:
    """A reason when the file system gave bytes that are not text (POSIX only), else None.

    Python hands such names over with lone surrogates; they cannot be printed, logged
    or written into a report, and their output name would be as unreadable.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid text (UTF-8): rename the file"
    return None
