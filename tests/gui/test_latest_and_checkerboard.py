"""The window's shared helpers: one "latest request wins" worker (``gui/latest.py``,
the preview's and the compare view's) and one checkerboard (``gui/checkerboard.py``)."""

from __future__ import annotations

import threading

from PIL import Image

from shh_converter.gui.checkerboard import GREY, WHITE, on_checkerboard
from shh_converter.gui.latest import LatestWins
from shh_converter.gui.preview import fit_for_display


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
            raise RuntimeError("a bug")
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
