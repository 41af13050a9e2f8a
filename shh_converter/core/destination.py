"""A destination that cannot take more files stops the batch, with one clear reason.

When the destination is full (disk, quota) or cannot be written at all (a
read-only volume, no permission), every further file would fail the same way:
the batch stops after the first such failure instead of printing one identical
line per remaining file. Files in flight finish or are discarded whole (the
runner's cancel), nothing partial stays under a final name (temps are removed
by ``atomic_write``), and the ledger keeps what it had (its save is atomic too).

The worker reports a failure as text, so the cause is recognised by the
operating system's messages (English on all three: Python does not translate
``strerror``). Windows' own wording is listed as well; only a run there shows it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

log = logging.getLogger(__name__)

FULL_MARKERS = (
    "No space left on device",  # ENOSPC (Linux, macOS; also Windows' C runtime)
    "Disk quota exceeded",  # EDQUOT
    "not enough space on the disk",  # Windows ERROR_DISK_FULL
    "[Errno 28]",
    "[Errno 122]",
)
UNWRITABLE_MARKERS = (
    "Read-only file system",  # EROFS
    "[Errno 30]",
    "write-protected",  # Windows ERROR_WRITE_PROTECT
)


class _Cancel(Protocol):
    @property
    def cancelled(self) -> bool: ...

    def cancel(self) -> None: ...


def not_a_folder(dest: Path) -> str | None:
    """The sentence for a destination that exists but is not a folder (a file), else None."""
    if dest.exists() and not dest.is_dir():
        return f"destination {dest} exists and is not a folder"
    return None


def destination_problem(error: str | None) -> str | None:
    """ "the destination is full" / "... cannot be written" when ``error`` says so, else None."""
    if not error:
        return None
    if any(marker in error for marker in FULL_MARKERS):
        return "the destination is full (no space left on the disk)"
    if any(marker in error for marker in UNWRITABLE_MARKERS):
        return "the destination cannot be written (a read-only disk)"
    if error.startswith("cannot write ") and "Permission denied" in error:
        return "the destination cannot be written (no permission)"
    return None


def stop_if_destination_fails(error: str | None, cancel: _Cancel) -> None:
    """Cancel the batch (once, with one logged error) when ``error`` is about the destination."""
    problem = destination_problem(error)
    if problem is None or cancel.cancelled:
        return
    log.error("batch stopped: %s; files not started were left for a re-run", problem)
    cancel.cancel()


def stopped_by_destination(results: Iterable[Any]) -> str | None:
    """Why a cancelled batch stopped, when it was its destination (not the user); else None.

    ``results``: the batch's ``JobResult``s (anything with an ``error``).
    """
    for result in results:
        problem = destination_problem(getattr(result, "error", None))
        if problem:
            return problem
    return None
