"""Runner: event order, cancel, a worker killed for real, timeouts, runner errors."""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

import psutil
import pytest
from PIL import Image
from support.images import noisy

from shh_converter.core import runner
from shh_converter.core.atomic import TEMP_PREFIX
from shh_converter.core.events import (
    BatchFinished,
    BatchStarted,
    CancelToken,
    Event,
    FileFinished,
    FileStarted,
    Progress,
)
from shh_converter.core.plan import plan_batch
from shh_converter.core.settings import (
    BackgroundMode,
    BackgroundRemoval,
    EncodeOptions,
    Limits,
    OutputFormat,
    Settings,
)
from shh_converter.core.state import Ledger

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(180)


def small(path: Path, colour: tuple[int, int, int] = (120, 30, 200)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (48, 32), colour).save(path)
    return path


def worker_pids() -> list[int]:
    """Our spawned worker processes (not multiprocessing's helper processes)."""
    pids = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                pids.append(child.pid)
        except psutil.Error:
            continue
    return pids


def no_partials(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_events_in_order_and_results_complete(tmp_path: Path) -> None:
    sources = [small(tmp_path / "src" / f"{i}.png", (i * 40, 0, 0)) for i in range(5)]
    (tmp_path / "src" / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    settings = Settings()
    plan = plan_batch([tmp_path / "src", tmp_path / "missing.jpg"], tmp_path / "out", settings)
    events: list[Event] = []
    final = runner.run_batch(plan.jobs, settings, events.append, workers=2)

    assert isinstance(events[0], BatchStarted) and events[0].total == len(plan.jobs) == 7
    assert events[-1] is final and sum(isinstance(e, BatchFinished) for e in events) == 1
    started = [e.job.index for e in events if isinstance(e, FileStarted)]
    finished = [e.result.index for e in events if isinstance(e, FileFinished)]
    assert sorted(started) == sorted(finished) == list(range(7))
    for i in range(7):  # each file starts before it finishes
        assert events.index(_first(events, FileStarted, i)) < events.index(
            _first(events, FileFinished, i)
        )
    progress = [e for e in events if isinstance(e, Progress)]
    assert [p.done for p in progress] == list(range(1, 8))
    assert progress[-1].bytes_out == final.bytes_out > 0
    assert final.converted == 5 and final.failed == 2 and final.error is None
    assert [r.index for r in final.results] == list(range(7))
    for r in final.results:
        if r.status == "converted":
            assert r.output is not None
            with Image.open(r.output) as im:
                assert im.size == (48, 32)
    ledger = Ledger.load(tmp_path / "out" / "src")  # the folder given keeps its name
    assert all(
        ledger.is_up_to_date(tmp_path / "out" / "src" / f"{i}.webp", s, settings.fingerprint())
        for i, s in enumerate(sources)
    )
    assert final.peak_rss_mb and final.peak_rss_mb > 10


def _first(events: list[Event], kind: type, index: int) -> Event:
    for e in events:
        if isinstance(e, kind):
            if isinstance(e, FileStarted):
                job_index = e.job.index
            else:
                assert isinstance(e, FileFinished)
                job_index = e.result.index
            if job_index == index:
                return e
    msg = f"no {kind.__name__} for {index}"
    raise AssertionError(msg)


def test_skipped_jobs_need_no_workers(tmp_path: Path) -> None:
    src = [small(tmp_path / "src" / f"{i}.png") for i in range(3)]
    settings = Settings()
    runner.run_batch(plan_batch(src, tmp_path / "out", settings).jobs, settings, lambda e: None)
    again = plan_batch(src, tmp_path / "out", settings).jobs
    seen_workers: list[int] = []
    final = runner.run_batch(again, settings, lambda e: seen_workers.extend(worker_pids()))
    assert final.skipped == 3
    assert all(r.bytes_out > 0 and r.error == "up to date" for r in final.results)
    assert seen_workers == []


def test_a_killed_worker_fails_only_its_file(tmp_path: Path) -> None:
    victim = noisy(tmp_path / "src" / "b_victim.bmp", 1500)
    others = [small(tmp_path / "src" / f"{n}.png") for n in ("a", "c", "d")]
    settings = Settings(encode=EncodeOptions(method=6))
    jobs = plan_batch([others[0], victim, *others[1:]], tmp_path / "out", settings).jobs
    killed: list[int] = []

    def on_event(event: Event) -> None:
        if isinstance(event, FileStarted) and event.job.source == victim:
            pids = worker_pids()
            assert len(pids) == 1
            os.kill(pids[0], getattr(signal, "SIGKILL", signal.SIGTERM))
            killed.append(pids[0])

    final = runner.run_batch(jobs, settings, on_event, workers=1)
    assert killed
    by_name = {r.source.name: r for r in final.results}
    assert by_name["b_victim.bmp"].status == "failed"
    assert "worker process stopped" in (by_name["b_victim.bmp"].error or "")
    assert [by_name[p.name].status for p in others] == ["converted"] * 3
    assert final.error is None
    assert not (tmp_path / "out" / "b_victim.webp").exists()
    assert no_partials(tmp_path / "out")
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == "zombie"


def test_timeout_fails_the_file_and_replaces_the_worker(tmp_path: Path) -> None:
    slow = noisy(tmp_path / "src" / "slow.bmp", 2500)
    quick = [small(tmp_path / "src" / f"q{i}.png") for i in range(3)]
    settings = Settings(
        encode=EncodeOptions(lossless=True, method=6), limits=Limits(timeout_seconds=1.5)
    )
    jobs = plan_batch([slow, *quick], tmp_path / "out", settings).jobs
    final = runner.run_batch(jobs, settings, lambda e: None, workers=1)
    by_name = {r.source.name: r for r in final.results}
    assert by_name["slow.bmp"].status == "failed"
    assert by_name["slow.bmp"].error == "took longer than 1.5 s"
    assert [by_name[q.name].status for q in quick] == ["converted"] * 3
    assert not (tmp_path / "out" / "slow.webp").exists()
    assert no_partials(tmp_path / "out")
    assert final.elapsed < 60


@pytest.mark.parametrize("grace", [runner.CANCEL_GRACE_SECONDS, 0.0])
def test_cancel_mid_batch_leaves_only_whole_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grace: float
) -> None:
    monkeypatch.setattr(runner, "CANCEL_GRACE_SECONDS", grace)
    sources = [noisy(tmp_path / "src" / f"{i:02d}.bmp", 700 + i) for i in range(10)]
    settings = Settings(encode=EncodeOptions(method=6))
    jobs = plan_batch(sources, tmp_path / "out", settings).jobs
    cancel = CancelToken()
    events: list[Event] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if isinstance(event, FileFinished) and event.result.status == "converted":
            cancel.cancel()

    final = runner.run_batch(jobs, settings, on_event, cancel, workers=2)
    assert final.cancelled
    assert 1 <= final.converted < len(sources)
    assert len(final.results) < len(sources)  # the rest never started
    out = tmp_path / "out"
    assert no_partials(out)
    written = sorted(p for p in out.iterdir() if p.suffix == ".webp")
    converted = [r.output for r in final.results if r.status == "converted"]
    assert written == sorted(p for p in converted if p is not None) and None not in converted
    for path in written:
        with Image.open(path) as im:
            im.load()  # whole, decodable
    for r in final.results:
        if r.status == "failed":
            assert r.error == "cancelled before it finished"
    assert isinstance(events[-1], BatchFinished)
    assert worker_pids() == []


def test_batch_finished_is_sent_after_a_runner_error(tmp_path: Path) -> None:
    sources = [small(tmp_path / "src" / f"{i}.png") for i in range(4)]
    jobs = plan_batch(sources, tmp_path / "out", Settings()).jobs
    events: list[Event] = []

    def buggy(event: Event) -> None:
        events.append(event)
        if isinstance(event, FileFinished) and len(events) < 10:
            msg = "callback bug"
            raise RuntimeError(msg)

    final = runner.run_batch(jobs, Settings(), buggy, workers=2)
    assert isinstance(events[-1], BatchFinished)
    assert final.error and "RuntimeError: callback bug" in final.error
    assert worker_pids() == []
    assert no_partials(tmp_path / "out")


def test_memory_guard_holds_back_parallel_jobs(tmp_path: Path) -> None:
    sources = [noisy(tmp_path / "src" / f"{i}.bmp", 300 + i) for i in range(5)]
    jobs = plan_batch(sources, tmp_path / "out", Settings()).jobs
    running, peak, asked = 0, 0, []

    def on_event(event: Event) -> None:
        nonlocal running, peak
        if isinstance(event, FileStarted):
            running += 1
            peak = max(peak, running)
        elif isinstance(event, FileFinished):
            running -= 1

    def guard() -> bool:
        asked.append(1)
        return False

    final = runner.run_batch(jobs, Settings(), on_event, workers=2, memory_guard=guard)
    assert final.converted == 5
    assert peak == 1 and asked


def test_worker_count_is_bounded_by_jobs_cores_and_image_size(tmp_path: Path) -> None:
    from shh_converter.core import capacity

    tiny = plan_batch([small(tmp_path / f"{i}.png") for i in range(3)], tmp_path / "o", Settings())
    assert capacity.worker_count(tiny.jobs, Settings(), 64) <= min(3, capacity.cpu_budget())
    assert capacity.worker_count(tiny.jobs, Settings(), 1) == 1
    big = plan_batch([noisy(tmp_path / "big.bmp", 2000)], tmp_path / "o", Settings()).jobs
    small_mb = capacity.job_memory_mb(tiny.jobs, Settings())
    big_mb = capacity.job_memory_mb(big, Settings())
    assert big_mb > small_mb + 2000 * 2000 * 8 / 2**20  # the header's size counts
    assert capacity.batch_shape(tiny.jobs, Settings()) == capacity.BatchShape(
        capacity.worker_count(tiny.jobs, Settings())
    )


def test_ai_batches_share_one_process_and_budget_pixels(tmp_path: Path) -> None:
    """One worker process, a slot per core, inference threads on every core, and a
    memory room that shrinks with the AI memory target."""
    from shh_converter.core import capacity

    cores = capacity.cpu_budget()
    removal = BackgroundRemoval(enabled=True)
    sources = [small(tmp_path / f"m{i}.png") for i in range(40)]
    many = plan_batch(sources, tmp_path / "o", Settings())
    roomy = Settings(background_removal=removal, limits=Limits(ai_memory_mb=4000))
    lean = Settings(background_removal=removal, limits=Limits(ai_memory_mb=100))
    shape = capacity.batch_shape(many.jobs, roomy)
    assert (shape.processes, shape.slots, shape.ai_threads) == (1, min(40, cores), cores)
    assert capacity.batch_shape(many.jobs[:1], roomy).slots == 1
    assert capacity.batch_shape(many.jobs, roomy, 1).slots == 1  # asked for one at a time
    assert capacity.batch_shape(many.jobs, lean).room_bytes == 0
    middle = Settings(background_removal=removal, limits=Limits(ai_memory_mb=1000))
    assert shape.room_bytes and shape.room_bytes > (
        capacity.batch_shape(many.jobs, middle).room_bytes or 0
    )
    # Memory room: the first file always starts; others only while they fit.
    assert capacity.batch_shape(many.jobs, lean).fits([], 10**9)
    assert not capacity.batch_shape(many.jobs, lean).fits([1000], 1000)
    room = capacity.BatchShape(1, 2, 2, room_bytes=10_000_000)
    assert room.fits([4_000_000], 6_000_000) and not room.fits([4_000_000], 6_000_001)
    # What a file costs: its pixels, more with its own alpha, more still when flattened.
    rgb, rgba = shape.cost(1_000_000, False), shape.cost(1_000_000, True)
    assert 0 < rgb < rgba
    jpeg = Settings(background_removal=removal, encode=EncodeOptions(format=OutputFormat.JPEG))
    assert capacity.batch_shape(many.jobs, jpeg).cost(1_000_000, False) > rgb
    assert capacity.job_header(many.jobs[0])[:2] == (48 * 32, False)
    # The automatic target: issue 3's 450 MB on 2 cores, more files in flight with more cores.
    assert capacity.auto_ai_memory_mb(1) == capacity.auto_ai_memory_mb(2) == 450
    assert capacity.auto_ai_memory_mb(8) == 450 + 6 * capacity.AI_TARGET_MB_PER_EXTRA_CORE
    automatic = capacity.ai_budget_mb(Settings(background_removal=removal))
    assert automatic <= capacity.auto_ai_memory_mb(cores)
    # Flat-colour removal needs no model: plain workers.
    flat = Settings(background_removal=BackgroundRemoval(enabled=True, mode=BackgroundMode.FLAT))
    assert capacity.batch_shape(many.jobs, flat).ai_threads is None


def test_ai_workers_run_inference_with_the_threads_they_were_given() -> None:
    """A real spawned worker gets its onnxruntime thread count before any model loads."""
    import multiprocessing

    from shh_converter.core import pool_worker

    ctx = multiprocessing.get_context("spawn")
    ai = Settings(background_removal=BackgroundRemoval(enabled=True))
    probe = ctx.Process(target=_report_ai_threads, args=(ai, 3, queue := ctx.Queue()))
    probe.start()
    try:
        assert queue.get(timeout=60) == 3
    finally:
        probe.join(30)
    # (conn, settings, level, ai_threads, slots, inferences)
    assert pool_worker.worker_main.__code__.co_argcount == 6


def test_empty_batch_and_a_callback_that_always_fails(tmp_path: Path) -> None:
    events: list[Event] = []
    final = runner.run_batch([], Settings(), events.append)
    assert [type(e) for e in events] == [BatchStarted, BatchFinished]
    assert final.results == () and final.error is None

    def broken(event: Event) -> None:
        msg = "broken handler"
        raise ValueError(msg)

    jobs = plan_batch([small(tmp_path / "a.png")], tmp_path / "out", Settings()).jobs
    final = runner.run_batch(jobs, Settings(), broken)
    assert final.error and "broken handler" in final.error
    assert worker_pids() == []


def test_runs_in_a_background_thread_and_cancels_from_another(tmp_path: Path) -> None:
    """How the GUI uses it: run_batch on a worker thread, Cancel pressed on the Tk thread."""
    import queue
    import threading

    sources = [noisy(tmp_path / "src" / f"{i}.bmp", 800 + i) for i in range(12)]
    settings = Settings(encode=EncodeOptions(method=6))
    jobs = plan_batch(sources, tmp_path / "out", settings).jobs
    cancel = CancelToken()
    inbox: queue.Queue[Event] = queue.Queue()
    thread = threading.Thread(
        target=runner.run_batch, args=(jobs, settings, inbox.put, cancel, 2), daemon=True
    )
    thread.start()
    seen: list[Event] = []
    while not seen or not isinstance(seen[-1], BatchFinished):
        event = inbox.get(timeout=120)
        seen.append(event)
        if isinstance(event, FileFinished):
            cancel.cancel()  # the first finished file: press Cancel
    thread.join(timeout=30)
    assert not thread.is_alive()
    final = seen[-1]
    assert isinstance(final, BatchFinished) and final.cancelled
    assert len(final.results) < len(jobs)
    assert no_partials(tmp_path / "out")


def _report_ai_threads(settings: Settings, threads: int, queue) -> None:  # type: ignore[no-untyped-def]
    """Child: run the worker's start-up with a closed pipe, then say what bg_ai would use."""
    import multiprocessing

    from shh_converter.core import pool_worker
    from shh_converter.core.background import ai as bg_ai

    here, there = multiprocessing.Pipe()
    here.close()
    pool_worker.worker_main(there, settings, 30, threads)  # returns at once: the runner is "gone"
    queue.put(bg_ai.intra_op_threads())
