"""Never half-written: outputs go to a temp file beside the target, then ``os.replace``.

The temp file lives in the destination folder (same volume, so the rename is
atomic on Windows, macOS and Linux) and has a recognisable name, so a run that
was killed mid-write leaves only a ``.shh-partial-*`` file, which the next run
removes with :func:`clean_stale_temps`. Readers never see a partial output.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

TEMP_PREFIX = ".shh-partial-"
# A temp file younger than this may belong to a run still going (another window,
# another CLI): leave it alone.
STALE_AFTER_SECONDS = 120.0


def temp_path_for(target: Path) -> Path:
    return target.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex[:12]}-{target.name}")


@contextlib.contextmanager
def atomic_write(target: Path, *, overwrite: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it becomes ``target`` in one step.

    On any exception the temp file is removed and ``target`` is untouched. With
    ``overwrite=False`` an existing ``target`` raises ``FileExistsError`` at the
    end instead of being replaced (another writer got there first).
    """
    temp = temp_path_for(target)
    fh = temp.open("xb")
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()  # Windows cannot rename an open file
        if not overwrite and target.exists():
            raise FileExistsError(str(target))
        os.replace(temp, target)
    except BaseException:
        fh.close()
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def clean_stale_temps(folder: Path, *, older_than: float = STALE_AFTER_SECONDS) -> int:
    """Remove leftovers of killed runs in ``folder`` (not recursive). Returns how many."""
    removed = 0
    now = time.time()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            if now - entry.stat().st_mtime >= older_than and entry.is_file():
                entry.unlink()
                removed += 1
        except OSError as exc:  # locked on Windows, or gone already
            log.debug("could not remove stale temp %s: %s", entry.name, exc)
    if removed:
        log.info("removed %d unfinished file(s) left by an interrupted run in %s", removed, folder)
    return removed
