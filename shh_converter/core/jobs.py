"""Jobs (what to do with one file) and their results (what happened).

Data flows one way: inputs become :class:`Job` s in ``plan``, a job becomes a
:class:`JobResult` in ``convert``. Both are plain, picklable values so they cross
process boundaries to the worker pool and into JSON reports.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .settings import Settings

if TYPE_CHECKING:
    from collections.abc import Sequence

Status = Literal["converted", "skipped", "failed"]
# Why a file found by walking a folder is skipped: neither its name nor its content is an image.
NOT_AN_IMAGE = "not an image"


def file_size(path: Path) -> int:
    """Size of ``path`` in bytes, 0 when it is missing or unreadable (for result byte counts)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class Target:
    """One output of a job: where it goes, how it is made, and whether it needs work.

    ``kind`` is ``"image"`` (encoded from the source with ``settings``) or
    ``"manifest"`` (the web manifest listing the job's PNG icons, written last).
    ``skip_reason`` is set by the planner when this output needs no work (up to
    date from an earlier run, or ``--on-conflict skip`` on an existing file).
    """

    path: Path  # final path (inside the destination)
    settings: Settings
    skip_reason: str | None = None
    kind: Literal["image", "manifest"] = "image"
    fingerprint: str = ""  # what the ledger records for this output
    note: str | None = None  # the planner's word on it ("named a (2).webp: a.webp is ...")
    # The same file as an earlier output of the job would be (a size the source cannot
    # fill): nothing is written for it and it counts no bytes of its own.
    duplicate: bool = False


@dataclass(frozen=True)
class Job:
    """One input file and its outputs.

    ``error`` is set when the planner already knows the file cannot be converted.
    """

    index: int  # position in the batch, 0-based, stable for the whole batch
    source: Path
    targets: tuple[Target, ...]
    error: str | None = None

    @classmethod
    def one(
        cls,
        index: int,
        source: Path,
        output: Path,
        settings: Settings,
        *,
        skip_reason: str | None = None,
        error: str | None = None,
    ) -> Job:
        """A job with a single output (tests, tools and one-file previews)."""
        target = Target(output, settings, skip_reason, fingerprint=settings.fingerprint())
        return cls(index, source, (target,), error=error)

    @property
    def output(self) -> Path:
        """The first output (what the window opens and the CLI names)."""
        return self.targets[0].path

    @property
    def skip_reason(self) -> str | None:
        """Why no output needs work (None when at least one does)."""
        if self.error or any(t.skip_reason is None for t in self.targets):
            return None
        return self.targets[0].skip_reason

    @property
    def to_make(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.skip_reason is None)


@dataclass(frozen=True)
class OutputResult:
    """What happened to one output of a job."""

    output: Path | None  # None when nothing was written for it
    status: Status
    error: str | None = None  # failure or skip reason, one line for people
    note: str | None = None  # e.g. "target 50 KB not reached (61 KB at quality 1)"
    bytes_out: int = 0
    size: tuple[int, int] | None = None  # (w, h) written
    encodes: int = 0  # how many encodes it took (target-size search: several)
    kind: Literal["image", "manifest"] = "image"
    name: str = ""  # the output's file name, also when nothing was written (for messages)


@dataclass(frozen=True)
class JobResult:
    """What happened to one input: a result per output, summed up.

    ``status``: failed when any output failed, else converted when any output was
    written, else skipped. ``output`` is the first written output.
    """

    source: Path
    output: Path | None  # None when nothing was written
    status: Status
    error: str | None = None  # one line for people; None unless failed (or skipped reason)
    details: str | None = None  # for the log: traceback or longer diagnostics
    bytes_in: int = 0
    bytes_out: int = 0  # all its outputs on disk (written now, or up to date)
    seconds: float = 0.0
    index: int = -1
    input_size: tuple[int, int] | None = None  # (w, h) of the decoded source
    output_size: tuple[int, int] | None = None  # (w, h) of the first output
    outputs: tuple[OutputResult, ...] = ()
    # Set when its cut-out ran on the CPU although an accelerator was asked for (why).
    ai_note: str | None = None

    def to_report(self) -> list[dict[str, Any]]:
        """The ``--report`` entries of this input: one per output."""
        outputs = self.outputs or (
            OutputResult(self.output, self.status, self.error, None, self.bytes_out),
        )
        return [
            {
                "source": str(self.source),
                "output": str(o.output) if o.output else None,
                "status": o.status,
                "error": o.error,
                "note": o.note,
                # The input's warnings ("only the first of 10 frames was kept", "EXIF dropped").
                "warnings": self.details if self.status != "failed" else None,
                "bytes_in": self.bytes_in,
                "bytes_out": o.bytes_out,
                "width": o.size[0] if o.size else None,
                "height": o.size[1] if o.size else None,
                "encodes": o.encodes,
                "seconds": round(self.seconds, 4),
            }
            for o in outputs
        ]

    def replace(self, **changes: Any) -> JobResult:
        return dataclasses.replace(self, **changes)


def summarise(base: JobResult, outputs: Sequence[OutputResult]) -> JobResult:
    """``base`` with ``outputs`` and the per-input status, bytes and first output from them."""
    statuses = {o.status for o in outputs}
    status: Status = (
        "failed" if "failed" in statuses else "converted" if "converted" in statuses else "skipped"
    )
    problem = next((o for o in outputs if o.status == status and o.error), None)
    error = None
    if problem is not None and status != "converted":
        error = problem.error
        if len(outputs) > 1 and problem.name:
            error = f"{error} ({problem.name})"
    written = [o for o in outputs if o.status == "converted"]
    first = written[0] if written else (outputs[0] if outputs else None)
    return base.replace(
        status=status,
        error=error,
        output=first.output if first else None,
        bytes_out=sum(o.bytes_out for o in outputs if o.status != "failed"),
        output_size=written[0].size if written else None,
        outputs=tuple(outputs),
    )


CANCELLED = "cancelled before it finished"  # an output a cancel stopped mid-way


def was_cancelled(result: JobResult) -> bool:
    """``result`` is a file the user's cancel stopped while it was being converted:
    every output it lacks was stopped, none failed on its own (front ends show it as
    cancelled, not as a failure; its status stays "failed" for reports and exit codes)."""
    missing = [o for o in result.outputs if o.status == "failed"]
    return (
        result.status == "failed" and bool(missing) and all(o.error == CANCELLED for o in missing)
    )


def failed_result(job: Job, message: str) -> JobResult:
    """``job`` failed as a whole with ``message``: outputs that needed work wrote nothing."""
    base = JobResult(job.source, None, "failed", bytes_in=file_size(job.source), index=job.index)
    outputs = [
        skipped_output(t)
        if t.skip_reason
        else OutputResult(None, "failed", message, kind=t.kind, name=t.path.name)
        for t in job.targets
    ]
    return summarise(base, outputs).replace(error=message)


def skipped_output(target: Target) -> OutputResult:
    """An output the planner found needs no work (up to date, or kept by the conflict rule)."""
    if target.skip_reason == NOT_AN_IMAGE:  # nothing is or will be there
        return OutputResult(None, "skipped", NOT_AN_IMAGE, kind=target.kind)
    if target.duplicate:
        return OutputResult(None, "skipped", target.skip_reason, kind=target.kind)
    size = file_size(target.path)
    return OutputResult(
        target.path, "skipped", target.skip_reason, bytes_out=size, kind=target.kind
    )


def settled_result(job: Job) -> JobResult:
    """The result of a job the planner already decided (every output skipped, or an error)."""
    if job.error:
        return failed_result(job, job.error)
    base = JobResult(job.source, None, "skipped", bytes_in=file_size(job.source), index=job.index)
    return summarise(base, [skipped_output(t) for t in job.targets])
