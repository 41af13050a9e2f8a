"""Never half-written: outputs go to a temp file beside the target, then ``os.replace``.

The temp file lives in the destination folder (same volume, so the rename is
atomic on Windows, macOS and Linux) and has a recognisable name, so a run that
was killed mid-write leaves only a ``.shh-partial-*`` file. Readers never see a
partial output. An error while writing names the target, never the temp (its
name is ours, not the user's): every message built from it (a failed file, the
ledger, ``--report``, the settings) says the file it is about.

**Whose temp is it?** The name carries its owner: the writing process's id, that
process's start time (so a recycled process id is not mistaken for the writer)
and a short tag of the computer's name (a network folder can be shared by several
machines, whose process ids mean nothing here)::

    .shh-partial-o<pid hex>-<start time, 1/100 s, hex>-<host tag>-<random>-<target name>

:func:`clean_stale_temps` removes at once a temp whose owner is gone (the first
re-run after a ``kill -9`` cleans up), leaves a live owner's temp alone however
old it is (a long AVIF encode of another window), and falls back to the file's
age for what it cannot judge: another computer's temps and temps of older
versions without an owner in their name (removed after :data:`STALE_AFTER_SECONDS`).

Temps are not marked hidden on Windows: a rename keeps the attributes, so the
finished output would be hidden too. Files that stay (the resume ledger) are
marked with :func:`mark_hidden`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger(__name__)

TEMP_PREFIX = ".shh-partial-"
# A temp file of unknown owner younger than this may belong to a run still going
# (another computer writing to a shared folder): leave it alone.
STALE_AFTER_SECONDS = 120.0
_OWNED = re.compile(r"o([0-9a-f]+)-([0-9a-f]+)-([0-9a-f]{4})-[0-9a-f]{6}-")
_FILE_ATTRIBUTE_HIDDEN = 0x2


@functools.lru_cache(maxsize=1)
def host_tag() -> str:
    """Four hex digits naming this computer (a hash: the name itself is not written)."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:4]


def process_start(pid: int) -> int | None:
    """When process ``pid`` started, in 1/100 s since the epoch; None if it is not running.

    Raises ``PermissionError`` when the system will not tell (another user's process).
    """
    import psutil  # lazily: a dependency, but not needed before the first write

    try:
        process = psutil.Process(pid)
        # A zombie (killed, not yet reaped: where the parent died too, reaping waits
        # for whatever runs as PID 1) still has a start time, but writes nothing more.
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return round(float(process.create_time()) * 100)
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied as exc:
        msg = f"cannot look at process {pid}"
        raise PermissionError(msg) from exc


@functools.lru_cache(maxsize=1)
def _owner_tag(pid: int) -> str:
    start = process_start(pid) or 0
    return f"o{pid:x}-{start:x}-{host_tag()}"


def temp_path_for(target: Path, *, owned: bool = True) -> Path:
    """A fresh temp name beside ``target`` carrying this process as its owner.

    ``owned=False``: no owner in the name (then only its age tells it is stale), for
    files written on the window's thread before it shows (the settings file): finding
    this process's start time loads psutil, which the window must not wait for.
    """
    owner = f"{_owner_tag(os.getpid())}-" if owned else ""
    return target.with_name(f"{TEMP_PREFIX}{owner}{uuid.uuid4().hex[:6]}-{target.name}")


def temp_owner_alive(name: str) -> bool | None:
    """For a temp file's name: True (its writer runs), False (gone), None (cannot tell)."""
    match = _OWNED.match(name[len(TEMP_PREFIX) :]) if name.startswith(TEMP_PREFIX) else None
    if match is None or match.group(3) != host_tag():
        return None  # an older version's temp, or another computer's
    pid, start = int(match.group(1), 16), int(match.group(2), 16)
    try:
        running_since = process_start(pid)
    except PermissionError:
        return None
    # 1/100 s of slack: the start time is computed from clock ticks on Linux.
    return running_since is not None and abs(running_since - start) <= 1


@contextlib.contextmanager
def atomic_write(target: Path, *, overwrite: bool = True, owned: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it becomes ``target`` in one step.

    On any exception the temp file is removed and ``target`` is untouched. With
    ``overwrite=False`` an existing ``target`` raises ``FileExistsError`` at the
    end instead of being replaced (another writer got there first). ``owned``: see
    :func:`temp_path_for`.
    """
    temp = temp_path_for(target, owned=owned)
    try:
        fh = temp.open("xb")
    except OSError as exc:  # a read-only or full folder, no permission
        raise _named_as(exc, temp, target) from None
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()  # Windows cannot rename an open file
        if not overwrite and target.exists():
            raise FileExistsError(str(target))
        os.replace(temp, target)
    except BaseException as exc:
        fh.close()
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError) and _names(exc, temp):
            raise _named_as(exc, temp, target) from None
        raise


def _names(exc: OSError, path: Path) -> bool:
    named = (exc.filename, exc.filename2)
    return any(os.fsdecode(n) == str(path) for n in named if isinstance(n, str | bytes | Path))


def _named_as(exc: OSError, temp: Path, target: Path) -> OSError:
    """``exc`` naming ``target`` where it named ``temp``: the temp's name is ours, not people's.

    Same class (PermissionError stays one), errno and reason; "[Errno 30] Read-only
    file system: 'out/.shh-partial-…-a.webp'" becomes "…: 'out/a.webp'" (and a failed
    rename "'…temp' -> 'out/a.webp'" names the output once).
    """
    if exc.errno is None:  # no parts to rebuild it from: its text, with the name replaced
        return type(exc)(str(exc).replace(str(temp), str(target)))
    winerror = getattr(exc, "winerror", None)
    if winerror is not None:  # Windows: its own code and text, the target's name
        return type(exc)(exc.errno, exc.strerror, str(target), winerror)
    return type(exc)(exc.errno, exc.strerror, str(target))


def clean_stale_temps(folder: Path, *, older_than: float = STALE_AFTER_SECONDS) -> int:
    """Remove leftovers of dead runs in ``folder`` (not recursive). Returns how many.

    A temp whose owner is gone goes at once; a live owner's stays; one whose owner
    cannot be told goes when older than ``older_than`` seconds.
    """
    removed = 0
    now = time.time()
    try:
        entries = [e for e in folder.iterdir() if e.name.startswith(TEMP_PREFIX)]
    except OSError:
        return 0
    for entry in entries:
        try:
            alive = temp_owner_alive(entry.name)
            if alive is None:
                alive = now - entry.stat().st_mtime < older_than
            if not alive and entry.is_file():
                entry.unlink()
                removed += 1
        except OSError as exc:  # locked on Windows, or gone already
            log.debug("could not remove stale temp %s: %s", entry.name, exc)
    if removed:
        log.info("removed %d unfinished file(s) left by an interrupted run in %s", removed, folder)
    return removed


def mark_hidden(path: Path) -> None:
    """Give ``path`` the Windows "hidden" attribute; elsewhere a no-op (the leading dot hides it).

    Never raises: an unhidden ledger is litter, not a failure.
    """
    if sys.platform != "win32":
        return
    import ctypes

    try:
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        attrs = kernel32.GetFileAttributesW(str(path))
        if attrs != -1 and attrs != 0xFFFFFFFF and not attrs & _FILE_ATTRIBUTE_HIDDEN:
            kernel32.SetFileAttributesW(str(path), attrs | _FILE_ATTRIBUTE_HIDDEN)
    except (AttributeError, OSError) as exc:
        log.debug("could not hide %s: %s", path, exc)
