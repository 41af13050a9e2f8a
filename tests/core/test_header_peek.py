"""One header peek: the window's file list reads a file's size the way the planner does
(``imageio.upright_size``, through ``gui.backend.probe``), without decoding."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from PIL import Image

from shh_converter.core import imageio
from shh_converter.gui import backend

if TYPE_CHECKING:
    from pathlib import Path


def _rotated_jpeg(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 40x20, shown turned a quarter: 20x40
    Image.new("RGB", (40, 20), "red").save(path, exif=exif)
    return path


def test_the_window_and_the_planner_read_the_same_upright_size(tmp_path: Path) -> None:
    path = _rotated_jpeg(tmp_path / "turned.jpg")
    assert imageio.upright_size(path) == (20, 40)
    assert backend.probe(path) == ((20, 40), path.stat().st_size)


def test_jpeg_xl_size_comes_from_its_header(tmp_path: Path) -> None:
    pytest.importorskip("pillow_jxl")
    path = tmp_path / "a.jxl"
    Image.new("RGB", (300, 200), "blue").save(path, lossless=True)
    assert backend.probe(path)[0] == imageio.upright_size(path) == (300, 200)
    cut = tmp_path / "cut.jxl"
    cut.write_bytes(path.read_bytes()[:2])  # the magic alone: no size to read
    assert backend.probe(cut) == (None, 2)


def test_not_an_image_has_no_size(tmp_path: Path) -> None:
    path = tmp_path / "letter.png"
    path.write_bytes(b"%PDF-1.7\n")
    assert backend.probe(path) == (None, 9)
    assert backend.probe(tmp_path / "gone.png") == (None, 0)
