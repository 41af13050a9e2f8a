"""Jobs (what to do with one file) and their results (what happened).

Data flows one way: inputs become :class:`Job` s in ``plan``, a job becomes a
:class:`JobResult` in ``convert``. Both are plain, picklable values so they cross
process boundaries to the worker pool and into JSON reports.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["converted", "skipped", "failed"]


def file_size(path: Path) -> int:
    """Size of ``path`` in bytes, 0 when it is missing or unreadable (for result byte counts)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class Job:
    """One input file and where its output goes.

    ``skip_reason`` is set by the planner when the job needs no work (an up-to-date
    output from an earlier run, or ``--on-conflict skip`` on an existing file);
    ``error`` when the planner already knows the file cannot be converted.
    """

    index: int  # position in the batch, 0-based, stable for the whole batch
    source: Path
    output: Path  # final path (inside the destination)
    skip_reason: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class JobResult:
    source: Path
    output: Path | None  # None when nothing was written
    status: Status
    error: str | None = None  # one line for people; None unless failed (or skipped reason)
    details: str | None = None  # for the log: traceback or longer diagnostics
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    index: int = -1
    input_size: tuple[int, int] | None = None  # (w, h) of the decoded source
    output_size: tuple[int, int] | None = None  # (w, h) written

    def to_report(self) -> dict[str, Any]:
        """The per-file entry of ``--report FILE.json``."""
        return {
            "source": str(self.source),
            "output": str(self.output) if self.output else None,
            "status": self.status,
            "error": self.error,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "seconds": round(self.seconds, 4),
        }

    def replace(self, **changes: Any) -> JobResult:
        return dataclasses.replace(self, **changes)
