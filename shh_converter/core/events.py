"""Events the runner sends while a batch runs, and the cancel token.

The CLI prints them; the GUI puts them on a ``queue.Queue`` from the runner's
thread and drains that queue on the Tk thread with ``after()``. So every event
is a small frozen value, safe to hand across threads, and the callback that
receives them must be quick and must not touch Tk.

Order for one batch: ``BatchPlanned`` (from :mod:`.batch`, once the planner has
named every output), ``BatchStarted``, then for each file ``FileStarted`` ->
``FileFinished`` -> ``Progress``, then ``BatchFinished``. With several workers the
per-file sequences of different files interleave; each file's own order holds.
``BatchFinished`` is sent even when the runner itself failed (``error`` says why)
or the batch was cancelled, so no button stays disabled forever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .jobs import Job, JobResult


@dataclass(frozen=True)
class BatchPlanned:
    """The planner's jobs, before any work (the window maps them onto its rows)."""

    jobs: tuple[Job, ...]
    dest: Path


@dataclass(frozen=True)
class BatchStarted:
    batch_id: str
    total: int  # number of jobs, skipped ones included
    workers: int


@dataclass(frozen=True)
class FileStarted:
    job: Job


@dataclass(frozen=True)
class FileFinished:
    result: JobResult


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    bytes_in: int  # sources of finished files
    bytes_out: int  # outputs written so far
    elapsed: float  # seconds since the batch started
    eta_seconds: float | None  # None until it can be estimated
    current: str | None = None  # name of a file being worked on


@dataclass(frozen=True)
class BatchFinished:
    batch_id: str
    results: tuple[JobResult, ...]
    cancelled: bool
    elapsed: float
    error: str | None = None  # set when the runner itself failed (a bug)
    peak_rss_mb: float | None = None

    @property
    def converted(self) -> int:
        return sum(r.status == "converted" for r in self.results)

    @property
    def skipped(self) -> int:
        return sum(r.status == "skipped" for r in self.results)

    @property
    def failed(self) -> int:
        return sum(r.status == "failed" for r in self.results)

    @property
    def bytes_in(self) -> int:
        return sum(r.bytes_in for r in self.results if r.status == "converted")

    @property
    def ai_notes(self) -> tuple[str, ...]:
        """Each distinct reason why AI cut-outs ran on the CPU against the setting."""
        return tuple(dict.fromkeys(r.ai_note for r in self.results if r.ai_note))

    @property
    def bytes_out(self) -> int:
        return sum(r.bytes_out for r in self.results if r.status == "converted")


Event = BatchPlanned | BatchStarted | FileStarted | FileFinished | Progress | BatchFinished
EventCallback = Callable[[Event], None]
# Every event type, for front ends that must handle each one (a test holds the window to it).
EVENT_TYPES = (
    BatchPlanned,
    BatchStarted,
    FileStarted,
    FileFinished,
    Progress,
    BatchFinished,
)


@dataclass
class CancelToken:
    """Set once to stop a batch.

    No new jobs start; files in flight finish or are discarded whole.
    """

    _event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)
