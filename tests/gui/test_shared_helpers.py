"""The window's shared helpers: one "latest request wins" worker (``gui/latest.py``,
the preview's and the compare view's), one checkerboard (``gui/checkerboard.py``) and
one ``run_in_thread`` (``gui/pump.py``) for slow one-shot work."""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, Any

from PIL import Image

from shh_converter.gui.checkerboard import GREY, WHITE, on_checkerboard
from shh_converter.gui.latest import LatestWins
from shh_converter.gui.preview import fit_for_display
from shh_converter.gui.pump import run_in_thread

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest


class _Gate:
    """Work that waits at a gate for the first item, so later ones pile up meanwhile."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.done: list[int] = []
        self.finished = threading.Condition()

    def work(self, item: int) -> None:
        self.started.set()
        assert self.release.wait(30), "never released"
        with self.finished:
            self.done.append(item)
            self.finished.notify_all()

    def wait_for(self, count: int) -> list[int]:
        with self.finished:
            assert self.finished.wait_for(lambda: len(self.done) >= count, 30), self.done
            return list(self.done)


def test_the_newest_request_replaces_the_waiting_ones() -> None:
    gate = _Gate()
    worker: LatestWins[int] = LatestWins("test-latest", gate.work, low_priority=False)
    worker.put(1)
    assert gate.started.wait(30)
    for item in (2, 3, 4):  # asked while 1 runs: only the newest is left
        worker.put(item)
    gate.release.set()
    assert gate.wait_for(2) == [1, 4]
    worker.put(5)
    assert gate.wait_for(3) == [1, 4, 5]
    worker.stop(timeout=30)
    assert not worker._thread.is_alive()


def test_clear_drops_the_waiting_request_not_the_running_one() -> None:
    gate = _Gate()
    worker: LatestWins[int] = LatestWins("test-latest", gate.work, low_priority=False)
    worker.put(1)
    assert gate.started.wait(30)
    worker.put(2)
    worker.clear()
    worker.put(3)
    worker.clear()
    gate.release.set()
    worker.put(4)  # after the clear: runs
    assert gate.wait_for(2) == [1, 4]
    worker.stop(timeout=30)


def test_a_failing_item_does_not_end_the_worker() -> None:
    done = threading.Event()

    def work(item: int) -> None:
        if item == 1:
            msg = "a bug"
            raise RuntimeError(msg)
        done.set()

    worker: LatestWins[int] = LatestWins("test-latest", work, low_priority=False)
    worker.put(1)
    worker.put(2)  # may replace 1 or follow it: either way 2 runs
    assert done.wait(30)
    worker.stop(timeout=30)


def test_one_checkerboard_for_thumbnails_and_the_compare_view() -> None:
    clear = Image.new("RGBA", (40, 24), (0, 0, 0, 0))
    board = on_checkerboard(clear)
    assert board.mode == "RGB" and board.size == (40, 24)
    assert [board.getpixel(p) for p in ((0, 0), (8, 0), (0, 8), (8, 8), (39, 23))] == [
        WHITE,
        GREY,
        GREY,
        WHITE,
        WHITE,  # cell (4, 2): even
    ]
    # The preview's thumbnail lays the same board under a transparent image.
    assert fit_for_display(clear, (400, 400)).tobytes() == board.tobytes()
    opaque = Image.new("RGB", (5, 5), (10, 20, 30))
    assert on_checkerboard(opaque).tobytes() == opaque.tobytes()
    half = Image.new("LA", (16, 16), (100, 128))  # half-transparent grey: blended
    assert on_checkerboard(half).getpixel((0, 0)) == (177, 177, 177)


def test_run_in_thread_works_off_the_caller_and_answers_through_post() -> None:
    posted: queue.Queue[Callable[[], None]] = queue.Queue()
    answers: list[tuple[str, str]] = []
    caller = threading.current_thread().name

    def work() -> str:
        return threading.current_thread().name

    thread = run_in_thread(
        work,
        lambda name: answers.append((name, threading.current_thread().name)),
        post=posted.put,
        name="test-one-shot",
    )
    callback = posted.get(timeout=30)
    assert answers == []  # the answer waits for the UI queue's thread
    callback()
    assert answers == [("test-one-shot", caller)]
    thread.join(30)
    assert not thread.is_alive()


def test_run_in_thread_leaves_a_bug_to_the_excepthook(monkeypatch: pytest.MonkeyPatch) -> None:
    hooked: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", hooked.append)
    posted: queue.Queue[Callable[[], None]] = queue.Queue()

    def work() -> int:
        msg = "a bug"
        raise RuntimeError(msg)

    run_in_thread(work, lambda _n: None, post=posted.put, name="test-bug").join(30)
    assert [type(h.exc_value) for h in hooked] == [RuntimeError]  # the crash report's hook
    assert posted.empty()  # no answer for work that did not finish
