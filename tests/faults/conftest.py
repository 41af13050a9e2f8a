"""The fault tests import their helpers from ``faultkit`` beside this file.

``display``: one private Xvfb for every window test here, for the whole session.
A server stopped while a Tk interpreter of this process may still hold a
connection to it would make Xlib end the whole test process, so it lives until
the end, like ``tests/gui``'s.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent / "gui"))  # guikit


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    from support import as_display, start_xvfb

    try:
        proc, number = start_xvfb()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    with as_display(proc, number):
        yield number
