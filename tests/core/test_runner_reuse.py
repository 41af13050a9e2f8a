"""BatchRunner: warm workers kept between batches, started early, replaced when the shape changes.

Real spawned processes; worker identity is checked by process id.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from shh_converter.core import runner
from shh_converter.core.events import CancelToken, Event, FileStarted
from shh_converter.core.plan import plan_batch
from shh_converter.core.settings import BackgroundRemoval, EncodeOptions, OutputFormat, Settings

if TYPE_CHECKING:
    from pathlib import Path

    from shh_converter.core.jobs import Job, JobResult

pytestmark = pytest.mark.timeout(240)

WEBP = Settings()
PNG = Settings(encode=EncodeOptions(format=OutputFormat.PNG))


def sources(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{i}.png"
        Image.new("RGB", (40 + i, 30), (i * 30 % 256, 90, 200)).save(path)
        paths.append(path)
    return paths


def converted_formats(folder: Path) -> set[str]:
    found = set()
    for path in folder.iterdir():
        if not path.name.startswith("."):
            with Image.open(path) as im:
                found.add(im.format or "")
    return found


def test_two_batches_share_warm_workers_and_each_gets_its_settings(tmp_path: Path) -> None:
    files = sources(tmp_path / "src", 4)
    with runner.BatchRunner() as batches:
        first = batches.run(
            plan_batch(files, tmp_path / "a", WEBP).jobs, WEBP, lambda e: None, workers=2
        )
        pids = sorted(batches.worker_pids())
        second = batches.run(
            plan_batch(files, tmp_path / "b", PNG).jobs, PNG, lambda e: None, workers=2
        )
        assert sorted(batches.worker_pids()) == pids  # the same processes, not new ones
    assert first.converted == second.converted == 4
    assert converted_formats(tmp_path / "a") == {"WEBP"}
    assert converted_formats(tmp_path / "b") == {"PNG"}  # the warm workers got the new settings
    assert batches.worker_pids() == []  # closed with the ``with``


def test_started_early_the_batch_runs_on_those_workers(tmp_path: Path) -> None:
    files = sources(tmp_path / "src", 3)
    with runner.BatchRunner() as batches:
        batches.start(WEBP, workers=2)
        early = sorted(batches.worker_pids())
        assert len(early) == 2  # spawned before any job was known
        jobs = plan_batch(files, tmp_path / "out", WEBP).jobs
        final = batches.run(jobs, WEBP, lambda e: None, workers=2)
        assert sorted(batches.worker_pids()) == early
    assert final.converted == 3


def test_workers_started_but_never_needed_are_stopped_at_once(tmp_path: Path) -> None:
    """Everything up to date: the early workers are killed, not waited for while they import."""
    import psutil

    batches = runner.BatchRunner()
    batches.start(WEBP, workers=2)
    pids = batches.worker_pids()
    final = batches.run([], WEBP, lambda e: None)
    batches.close()
    assert final.results == () and batches.worker_pids() == []
    assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]


def test_a_change_of_shape_starts_fresh_workers(tmp_path: Path) -> None:
    """Plain -> AI needs other workers (one process, threads, the model loaded)."""
    files = sources(tmp_path / "src", 2)
    ai = Settings(
        encode=EncodeOptions(format=OutputFormat.PNG),
        background_removal=BackgroundRemoval(enabled=True),
    )
    with runner.BatchRunner() as batches:
        batches.run(plan_batch(files, tmp_path / "a", WEBP).jobs, WEBP, lambda e: None, workers=2)
        plain = set(batches.worker_pids())
        final = batches.run(plan_batch(files, tmp_path / "b", ai).jobs, ai, lambda e: None)
        assert not plain & set(batches.worker_pids())
    assert final.converted == 2
    with Image.open(next((tmp_path / "b").glob("*.png"))) as im:
        assert im.mode == "RGBA"  # the background really was removed


def test_after_a_cancel_the_next_batch_runs_whole(tmp_path: Path) -> None:
    files = sources(tmp_path / "src", 6)
    cancel = CancelToken()

    def cancel_at_first(event: Event) -> None:
        if isinstance(event, FileStarted):
            cancel.cancel()

    with runner.BatchRunner() as batches:
        stopped = batches.run(
            plan_batch(files, tmp_path / "a", WEBP).jobs, WEBP, cancel_at_first, cancel, 2
        )
        again = batches.run(
            plan_batch(files, tmp_path / "b", WEBP).jobs, WEBP, lambda e: None, workers=2
        )
    assert stopped.cancelled and len(stopped.results) < 6
    assert again.converted == 6 and not again.cancelled


def test_one_batch_at_a_time(tmp_path: Path) -> None:
    files = sources(tmp_path / "src", 2)
    inside = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def hold(event: Event) -> None:
        if isinstance(event, FileStarted):
            inside.set()
            release.wait(30)

    with runner.BatchRunner() as batches:
        jobs = plan_batch(files, tmp_path / "a", WEBP).jobs
        thread = threading.Thread(target=lambda: batches.run(jobs, WEBP, hold, workers=1))
        thread.start()
        assert inside.wait(60)
        try:
            batches.run(jobs, WEBP, lambda e: None)
        except RuntimeError as exc:
            errors.append(exc)
        finally:
            release.set()
            thread.join(60)
    assert errors and "already running" in str(errors[0])


def test_a_file_queued_behind_a_killed_one_is_not_blamed(tmp_path: Path) -> None:
    """One-slot workers get the next file queued behind the current one; when the worker
    dies, only the file it was on fails, the queued one runs elsewhere."""
    import os
    import signal
    import time

    from shh_converter.core import pool

    files = sources(tmp_path / "src", 2)
    jobs = plan_batch(files, tmp_path / "out", WEBP).jobs
    workers = pool.Pool(1, WEBP)
    try:
        deadline = time.monotonic() + 60
        while not workers.idle(ahead=True):
            assert time.monotonic() < deadline, "worker did not start"
            workers.collect(0.1)
        worker = workers.idle(ahead=True)[0]
        assert worker.room(ahead=True) == 2 and worker.room() == 1
        first, queued = jobs
        worker.give(first)
        worker.give(queued)
        os.kill(worker.proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        done: list[tuple[Job, JobResult]] = []
        while not done:
            assert time.monotonic() < deadline + 60, "the dead worker was not noticed"
            done.extend(workers.collect(0.2))
    finally:
        workers.close()
    assert [(job.index, result.status) for job, result in done] == [(first.index, "failed")]
    assert workers.retry == [queued] and queued.index not in workers.suspects
