"""The watcher with real folders, real writer processes and the real runner's workers.

Each test runs a :class:`Watcher` on a thread (as the window does) and waits on
its events; the quiet period is short so the tests stay quick.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from shh_converter.core.events import FileFinished, FileStarted
from shh_converter.core.settings import ResizeMode, ResizeOptions, Settings
from shh_converter.core.watch import (
    RunJobs,
    SourceDeleted,
    Watcher,
    WatchOptions,
    WatchProblem,
    WatchStarted,
    WatchStopped,
    default_run_jobs,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.timeout(120)
SETTINGS = Settings(resize=ResizeOptions(mode=ResizeMode.FIT, width=64, height=64))
QUIET = 0.3


def striped(path: Path, colour: tuple[int, int, int] = (200, 30, 30), size=(96, 72)) -> Path:  # type: ignore[no-untyped-def]
    """An image whose bottom half differs from its top, so a cut-off decode would show."""
    im = Image.new("RGB", size, colour)
    im.paste((20, 20, 220), (0, size[1] // 2, size[0], size[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "JPEG" if ".jpg" in path.name else "PNG")
    return path


class Session:
    """Everything a watcher on a thread reported (times are monotonic)."""

    def __init__(self) -> None:
        self.events: list[tuple[float, object]] = []
        self.lock = threading.Lock()
        self.watcher: Watcher | None = None  # the one reporting here, once running

    def record(self, event: object) -> None:
        with self.lock:
            self.events.append((time.monotonic(), event))

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        with self.lock:
            return [e for _t, e in self.events if isinstance(e, kind)]

    def results(self, name: str | None = None) -> list:  # type: ignore[type-arg]
        found = [e.result for e in self.of(FileFinished)]
        return [r for r in found if name is None or r.source.name == name]

    def wait(self, predicate: Callable[[], object], timeout: float = 30, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
            time.sleep(0.02)


@contextmanager
def watching(
    folder: Path,
    dest: Path,
    settings: Settings = SETTINGS,
    run_jobs: RunJobs | None = None,
    **options: object,
) -> Iterator[Session]:
    opts = {"quiet_seconds": QUIET, "rescan_seconds": 60.0, **options}
    session = Session()
    watcher = Watcher([folder], dest, settings, session.record, WatchOptions(**opts), run_jobs)  # type: ignore[arg-type]
    with running(watcher, session):
        yield session


@contextmanager
def running(watcher: Watcher, session: Session) -> Iterator[Session]:
    """``watcher`` on a thread, as the window runs it, reporting to ``session``."""
    session.watcher = watcher
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    session.wait(lambda: session.of(WatchStarted), what="the watch to start")
    try:
        yield session
    finally:
        watcher.stop()
        thread.join(30)
        assert not thread.is_alive(), "the watch did not stop"
    assert session.of(WatchStopped), "WatchStopped is always the last event"


def more_rescans(session: Session, count: int) -> None:
    """Wait for ``count`` more full rescans of the running watcher (each one loop pass).

    Any file a rescan touches is ready after the quiet period and converted on
    the loop's thread before a later pass: with ``rescan_seconds`` 0.2 and a
    quiet period of 0.3 s, by the third rescan after the one that touched it.
    """
    watcher = session.watcher
    assert watcher is not None
    after = watcher.rescans
    session.wait(lambda: watcher.rescans >= after + count, what=f"{count} more rescans")


def write_slowly(source: Path, target: Path, pieces: int, pause: float) -> float:
    """Copy ``source`` to ``target`` from another process in pieces with pauses between.

    Returns the (system-wide monotonic) time at which the writer closed the file.
    """
    code = (
        "import sys, time\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "n = int(sys.argv[3]); step = len(data) // n + 1\n"
        "with open(sys.argv[2], 'wb') as fh:\n"
        "    for i in range(0, len(data), step):\n"
        "        if i: time.sleep(float(sys.argv[4]))\n"
        "        fh.write(data[i:i + step]); fh.flush()\n"
        "print(time.monotonic())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(source), str(target), str(pieces), str(pause)],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return float(done.stdout)


def bottom_is_blue(path: Path) -> bool:
    with Image.open(path) as im:
        pixel = im.convert("RGB").getpixel((im.width // 2, im.height - 2))
    assert isinstance(pixel, tuple)
    r, _g, b = pixel[:3]
    return bool(b > 150 and r < 100)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_file_written_slowly_in_chunks_is_converted_once_whole(
    tmp_path: Path, suffix: str
) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    # Big enough for several pieces, noisy so it does not compress to nothing.
    im = Image.effect_noise((640, 480), 60).convert("RGB")
    im.paste((20, 20, 220), (0, 400, 640, 480))
    full = tmp_path / f"full{suffix}"
    im.save(full)
    with watching(inbox, dest) as s:
        # Pauses twice the quiet period: size and mtime are stable between pieces.
        finished = write_slowly(full, inbox / f"photo{suffix}", pieces=4, pause=2 * QUIET)
        s.wait(lambda: s.results(f"photo{suffix}"), what="the conversion")
        started = [t for t, e in s.events if isinstance(e, FileStarted)]
    results = s.results(f"photo{suffix}")
    assert [r.status for r in results] == ["converted"], results
    assert started[0] >= finished, "converted before the writer was done"
    assert bottom_is_blue(results[0].output)


def test_a_file_renamed_into_place_is_converted_and_its_temp_name_never(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    with watching(inbox, dest, rescan_seconds=0.2) as s:
        for temp in ("shot.jpg.part", ".shot2.jpg"):
            striped(inbox / temp)
        os.replace(inbox / "shot.jpg.part", inbox / "shot.jpg")
        os.replace(inbox / ".shot2.jpg", inbox / "shot2.jpg")
        s.wait(lambda: len(s.results()) >= 2, what="two conversions")
        more_rescans(s, 3)  # a wrongly taken temp name would be quiet and converted by then
    names = sorted(r.source.name for r in s.results())
    assert names == ["shot.jpg", "shot2.jpg"]
    mirror = dest / inbox.name  # the watched folder keeps its name under DEST
    assert sorted(p.name for p in mirror.iterdir() if not p.name.startswith(".")) == [
        "shot.webp",
        "shot2.webp",
    ]


def test_a_replaced_source_is_redone_in_place(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    with watching(inbox, dest) as s:
        striped(inbox / "a.png", colour=(220, 20, 20))
        s.wait(lambda: s.results("a.png"), what="the first conversion")
        first = s.results("a.png")[0].output
        new = striped(tmp_path / "new.png", colour=(20, 220, 20))
        os.replace(new, inbox / "a.png")
        s.wait(lambda: len(s.results("a.png")) == 2, what="the redo")
    second = s.results("a.png")[1]
    assert second.status == "converted" and second.output == first == dest / "in" / "a.webp"
    with Image.open(second.output) as im:
        r, g, _b = im.convert("RGB").getpixel((2, 2))
    assert g > 150 and r < 100, "the output still shows the old source"


@pytest.mark.parametrize("remove", [False, True])
def test_a_deleted_source_keeps_its_outputs_unless_asked(tmp_path: Path, remove: bool) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    striped(inbox / "sub" / "a.png")
    with watching(inbox, dest, remove_outputs_of_deleted=remove) as s:
        s.wait(lambda: s.results("a.png"), what="the conversion")
        output = s.results("a.png")[0].output
        assert output == dest / "in" / "sub" / "a.webp" and output.is_file()
        (inbox / "sub" / "a.png").unlink()
        s.wait(lambda: s.of(SourceDeleted), what="the deletion")
    deleted = s.of(SourceDeleted)[0]
    assert deleted.source == inbox / "sub" / "a.png"
    assert output.exists() is not remove
    assert deleted.removed == ((output,) if remove else ())


def test_a_folder_added_under_the_watched_one_is_picked_up(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    ready = tmp_path / "ready" / "deep"  # a whole tree moved in at once: no events for its files
    striped(ready / "b.png")
    striped(ready.parent / "a.png")
    with watching(inbox, dest) as s:
        (inbox / "new").mkdir()  # created, then filled
        striped(inbox / "new" / "c.png")
        os.replace(ready.parent, inbox / "moved")
        s.wait(lambda: len(s.results()) >= 3, what="three conversions")
    outputs = sorted(str(r.output.relative_to(dest / inbox.name)) for r in s.results())
    assert outputs == [
        os.path.join("moved", "a.webp"),
        os.path.join("moved", "deep", "b.webp"),
        os.path.join("new", "c.webp"),
    ]


def test_a_stopped_and_restarted_watch_redoes_nothing_and_catches_up(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    for name in ("a.png", "b.png", "sub/c.png"):
        striped(inbox / name)
    with watching(inbox, dest) as s:
        s.wait(lambda: len(s.results()) == 3, what="three conversions")
    made = {p: p.stat().st_mtime_ns for p in dest.rglob("*.webp")}
    assert len(made) == 3
    striped(inbox / "d.png")  # arrives while the watch is stopped
    with watching(inbox, dest) as s:
        s.wait(lambda: len(s.results()) == 4, what="the catch-up")
    by_name = {r.source.name: r.status for r in s.results()}
    assert by_name == {
        "a.png": "skipped",
        "b.png": "skipped",
        "c.png": "skipped",
        "d.png": "converted",
    }
    assert {p: p.stat().st_mtime_ns for p in made} == made, "an output was rewritten"
    assert not [p for p in dest.rglob("*") if " (2)" in p.name]


def test_a_file_that_keeps_failing_is_reported_once(tmp_path: Path) -> None:
    """Stepped by hand: after the failure, ten file-system events for the unchanged file
    (as watchdog's thread marks them), each followed by full rescans with the quiet
    period over, in which a retry would run."""
    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    s = Session()
    opts = WatchOptions(quiet_seconds=QUIET, rescan_seconds=60.0, use_events=False)
    watcher = Watcher([inbox], dest, SETTINGS, s.record, opts)
    broken = inbox / "broken.jpg"
    clock = time.monotonic()

    def event_then_quiet() -> None:
        """An event for the file, a pass, then a pass once it has been quiet long enough."""
        nonlocal clock
        watcher.mark([str(broken)], is_directory=False)
        for _ in range(2):
            clock += 2 * QUIET
            watcher.step(clock, rescan=True)

    broken.write_bytes(b"this is not a picture at all" * 20)
    event_then_quiet()
    assert [r.status for r in s.results("broken.jpg")] == ["failed"]
    events_before = len(s.events)
    for _ in range(10):
        event_then_quiet()
    assert watcher.rescans == 22
    assert len(s.events) == events_before, "a pass tried the failed file again"
    striped(tmp_path / "fixed.jpg")
    os.replace(tmp_path / "fixed.jpg", broken)  # fixed: tried again
    event_then_quiet()
    assert [r.status for r in s.results("broken.jpg")] == ["failed", "converted"]


def test_without_events_the_rescan_finds_arrivals_and_deletions(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    with watching(inbox, dest, use_events=False, rescan_seconds=0.3) as s:
        assert s.of(WatchStarted)[0].events is False
        striped(inbox / "b.png.part")  # a download in progress: never taken
        striped(inbox / "a.png")
        s.wait(lambda: s.results("a.png"), what="the conversion")
        (inbox / "a.png").unlink()
        s.wait(lambda: s.of(SourceDeleted), what="the deletion")
    assert [r.source.name for r in s.results()] == ["a.png"]
    assert s.results("a.png")[0].status == "converted"


def test_a_crash_while_running_one_group_never_stops_the_watch(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    calls = []

    def flaky(jobs, settings, on_event, cancel):  # type: ignore[no-untyped-def]
        calls.append(len(jobs))
        if len(calls) == 1:
            msg = "boom in the runner"
            raise RuntimeError(msg)
        return default_run_jobs(jobs, settings, on_event, cancel)

    with watching(inbox, dest, run_jobs=flaky) as s:
        striped(inbox / "first.png")
        s.wait(lambda: s.of(WatchProblem), what="the problem")
        striped(inbox / "second.png")
        s.wait(lambda: s.results("second.png"), what="the next conversion")
    assert "boom in the runner" in s.of(WatchProblem)[0].message
    assert s.results("second.png")[0].status == "converted"
    assert not s.results("first.png"), "a crashed group's file is not retried in a loop"


def test_outputs_beside_the_sources_are_not_taken_as_new_arrivals(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    striped(inbox / "a.png")
    with watching(inbox, inbox, rescan_seconds=0.2) as s:
        s.wait(lambda: s.results("a.png"), what="the conversion")
        more_rescans(s, 3)  # a.webp, wrongly taken by one, would be converted by the third
    assert [r.source.name for r in s.results()] == ["a.png"]
    assert (inbox / "a.webp").is_file()


def test_the_workers_stay_up_between_arrivals(tmp_path: Path) -> None:
    from shh_converter.core import batch
    from shh_converter.core.recipe import Recipe

    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    pids: list[tuple[int, ...]] = []
    with batch.Session(Recipe.single(SETTINGS)) as door:
        session = Session()
        options = WatchOptions(quiet_seconds=QUIET, rescan_seconds=60.0)
        watcher = door.watch([inbox], dest, session.record, options)
        started = tuple(sorted(door.worker_pids()))
        run = watcher.run_jobs

        def run_jobs(jobs, settings, on_event, cancel):  # type: ignore[no-untyped-def]
            done = run(jobs, settings, on_event, cancel)
            pids.append(tuple(sorted(door.worker_pids())))
            return done

        watcher.run_jobs = run_jobs
        with running(watcher, session) as s:
            for n, name in enumerate(("a.png", "b.png", "c.png"), start=1):
                striped(inbox / name)
                s.wait(lambda n=n: len(s.results()) == n, what=f"arrival {n}")  # type: ignore[misc]
    assert len(pids) == 3 and started
    # A one-file batch may let a spare worker go; none is started anew per arrival.
    assert pids[0] == pids[1] == pids[2], "worker processes were restarted between arrivals"
    assert set(pids[0]) <= set(started), "the first arrival did not use the warm workers"


def test_waiting_counts_only_images_not_converted_yet(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    for name in ("a.png", "sub/b.png"):
        striped(inbox / name)
    with watching(inbox, dest) as s:
        s.wait(lambda: len(s.results()) == 2, what="two conversions")
    striped(inbox / "c.png")
    striped(inbox / "sub" / "d.jpg")
    (inbox / "notes.txt").write_text("not an image")
    waiting = Watcher([inbox], dest, SETTINGS, lambda _e: None).waiting()
    assert sorted(p.relative_to(inbox).as_posix() for p in waiting) == ["c.png", "sub/d.jpg"]
    assert waiting[inbox / "c.png"] == (
        (inbox / "c.png").stat().st_size,
        (inbox / "c.png").stat().st_mtime_ns,
    )


def test_only_new_arrivals_leaves_what_was_waiting_and_converts_the_rest(tmp_path: Path) -> None:
    """Left: the files counted, as they were. Converted: a new file, one moved in with an
    old date (a move keeps its mtime), and a left file that was changed afterwards."""
    inbox, dest = tmp_path / "in", tmp_path / "out"
    for name in ("old1.png", "old2.png", "sub/old3.png"):
        striped(inbox / name)
    session = Session()
    opts = WatchOptions(quiet_seconds=QUIET, rescan_seconds=0.2, use_events=False)
    watcher = Watcher([inbox], dest, SETTINGS, session.record, opts)
    left = watcher.leave_waiting()
    assert len(left) == 3
    striped(inbox / "new.png")
    moved = striped(tmp_path / "moved.png")
    os.utime(moved, ns=(10**18, 10**18))  # older than anything left
    os.replace(moved, inbox / "moved.png")
    striped(inbox / "old2.png", colour=(10, 200, 10), size=(100, 80))  # changed since
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        session.wait(lambda: len(session.results()) == 3, what="three conversions")
        after = watcher.rescans
        # Three more full rescans: a left file touched by any of them would be ready
        # (0.3 s) and converted on the loop's thread before the third one ends.
        session.wait(lambda: watcher.rescans >= after + 3, what="three more rescans")
    finally:
        watcher.stop()
        thread.join(30)
    names = sorted(r.source.name for r in session.results())
    assert names == ["moved.png", "new.png", "old2.png"]
    assert all(r.status == "converted" for r in session.results())
    made = sorted(p.name for p in dest.rglob("*.webp"))
    assert made == ["moved.webp", "new.webp", "old2.webp"]
    assert not session.of(SourceDeleted)


def test_a_left_file_deleted_is_not_reported_as_a_deleted_source(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    striped(inbox / "old.png")
    session = Session()
    opts = WatchOptions(quiet_seconds=QUIET, rescan_seconds=0.2, use_events=False)
    watcher = Watcher([inbox], dest, SETTINGS, session.record, opts)
    assert list(watcher.leave_waiting()) == [inbox / "old.png"]
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        session.wait(lambda: watcher.rescans >= 1, what="the first rescan")
        (inbox / "old.png").unlink()
        striped(inbox / "new.png")
        session.wait(lambda: session.results("new.png"), what="the new arrival")
        after = watcher.rescans
        session.wait(lambda: watcher.rescans >= after + 2, what="two more rescans")
    finally:
        watcher.stop()
        thread.join(30)
    assert not session.of(SourceDeleted)
    assert [r.source.name for r in session.results()] == ["new.png"]


def test_a_non_image_in_the_folder_is_left_out_not_failed(tmp_path: Path) -> None:
    """As in a batch (issue 20.12): a sidecar or a note is not a failure; a JPEG named
    .txt is an image by its content and is converted."""
    inbox, dest = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (inbox / "before.json").write_text('{"title": "holiday"}\n')  # there at the start
    session = Session()
    opts = WatchOptions(quiet_seconds=QUIET, rescan_seconds=0.2)
    watcher = Watcher([inbox], dest, SETTINGS, session.record, opts)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        session.wait(lambda: session.of(WatchStarted), what="the watch to start")
        (inbox / "notes.txt").write_text("printed on matte paper\n")  # arrives (an event)
        scan = striped(tmp_path / "scan.jpg")
        os.replace(scan, inbox / "scan.txt")
        striped(inbox / "a.png")
        session.wait(lambda: len(session.results()) == 2, what="the two images")
        after = watcher.rescans
        session.wait(lambda: watcher.rescans >= after + 3, what="three more rescans")
    finally:
        watcher.stop()
        thread.join(30)
    assert sorted((r.source.name, r.status) for r in session.results()) == [
        ("a.png", "converted"),
        ("scan.txt", "converted"),
    ]
    assert session.of(WatchStopped)[0].failed == 0
