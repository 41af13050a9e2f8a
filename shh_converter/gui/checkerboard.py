"""Transparency shown on a grey/white checkerboard: the thumbnails and the compare view."""

from __future__ import annotations

from typing import Any

WHITE, GREY = (255, 255, 255), (214, 214, 214)


def _board_unit(cell: int, repeat: int = 16) -> Any:
    """A square of ``repeat`` x ``repeat`` checker blocks, to be tiled by a few pastes."""
    from PIL import Image

    two = Image.new("RGB", (2, 2), WHITE)
    two.putpixel((1, 0), GREY)
    two.putpixel((0, 1), GREY)
    block = two.resize((2 * cell, 2 * cell), Image.Resampling.NEAREST)
    unit = Image.new("RGB", (block.width * repeat, block.height * repeat))
    for y in range(0, unit.height, block.height):
        for x in range(0, unit.width, block.width):
            unit.paste(block, (x, y))
    return unit


def on_checkerboard(img: Any, cell: int = 8) -> Any:
    """``img`` as RGB, with transparent parts laid on the checkerboard (white top left)."""
    from PIL import Image

    if img.mode not in ("RGBA", "LA", "PA") and "transparency" not in img.info:
        return img.convert("RGB")
    rgba = img.convert("RGBA")
    unit = _board_unit(cell)
    board = Image.new("RGB", rgba.size)
    for y in range(0, rgba.height, unit.height):
        for x in range(0, rgba.width, unit.width):
            board.paste(unit, (x, y))
    board.paste(rgba, (0, 0), rgba)
    return board
