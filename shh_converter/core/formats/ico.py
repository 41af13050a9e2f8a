"""ICO (favicon): Pillow writes each of ``ico_sizes`` (downscaled from the one image)
into one file."""

from __future__ import annotations

from typing import Any

from ..settings import EncodeOptions, OutputFormat
from .base import N_, FormatSpec
from .writing import write_pillow


def save_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"sizes": [(s, s) for s in opts.ico_sizes]}


SPEC = FormatSpec(
    format=OutputFormat.ICO,
    label=N_("ICO (favicon)"),
    extension="ico",
    pil_name="ICO",
    alpha=True,
    modes=frozenset({"RGBA"}),
    max_side=256,
    animated=False,
    exif_limit=0,
    icc=False,
    save_options=save_options,
    writer=write_pillow,
)
