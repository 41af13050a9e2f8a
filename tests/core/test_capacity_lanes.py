"""Several inferences at once (machines with many cores): each on a session of its own, bounded.

Real u2netp sessions; the count of runs in progress is watched around the real ``run``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image

from shh_converter.core.background import ai as bg_ai


@pytest.fixture
def lanes(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two inferences at once; every session made is wrapped to count runs in progress."""
    monkeypatch.setenv(bg_ai.INFERENCES_ENV, "2")
    monkeypatch.setenv(bg_ai.THREADS_ENV, "1")
    monkeypatch.setattr(bg_ai, "_sessions", {})
    monkeypatch.setattr(bg_ai, "_spare", {})
    monkeypatch.setattr(bg_ai, "_lanes", None)
    monkeypatch.setattr(bg_ai, "_threads", None)
    seen: dict[str, Any] = {"active": 0, "most": 0, "sessions": set(), "lock": threading.Lock()}
    make = bg_ai._create_session

    class Watched:
        def __init__(self, real: Any) -> None:
            self.real = real

        def get_inputs(self) -> Any:
            return self.real.get_inputs()

        def run(self, *args: Any) -> Any:
            with seen["lock"]:
                seen["active"] += 1
                seen["most"] = max(seen["most"], seen["active"])
                seen["sessions"].add(id(self))
            try:
                return self.real.run(*args)
            finally:
                with seen["lock"]:
                    seen["active"] -= 1

    monkeypatch.setattr(bg_ai, "_create_session", lambda name: Watched(make(name)))
    return seen


def test_two_inferences_run_at_once_each_on_its_own_session(lanes: dict[str, Any]) -> None:
    images = [Image.new("RGB", (80 + i, 60), (250, 250, 250)) for i in range(8)]
    with ThreadPoolExecutor(4) as threads:
        masks = list(threads.map(lambda im: bg_ai.predict_mask(im, "u2netp"), images))
    assert [m.size for m in masks] == [im.size for im in images]
    assert lanes["most"] == 2  # never more than asked for, and really two at once
    assert len(lanes["sessions"]) == 2  # made on need, then reused


def test_inference_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(bg_ai.INFERENCES_ENV, raising=False)
    assert bg_ai.inferences() == 1
    monkeypatch.setenv(bg_ai.INFERENCES_ENV, "3")
    assert bg_ai.inferences() == 3
    monkeypatch.setenv(bg_ai.INFERENCES_ENV, "zero")
    assert bg_ai.inferences() == 1
