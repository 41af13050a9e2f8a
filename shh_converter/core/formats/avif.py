"""AVIF: lossy, transparency, animation, EXIF/XMP/ICC."""

from __future__ import annotations

from typing import Any

from ..settings import EncodeOptions, OutputFormat
from .base import N_, FormatSpec, OptionSpec, chroma, quality_option, subsampling_option
from .writing import write_pillow

OPTIONS = (
    # 75 for photos: SSIMULACRA2 83 (high quality) at 0.82x the bytes of JPEG q85 on the
    # corpus photos; 80 would be 85.3 at 0.92x (docs/performance.md, issue 10).
    quality_option(75),
    OptionSpec(
        field="avif_speed",
        label=N_("Speed"),
        help="encoder speed: {low} slowest/smallest, {high} fastest",
    ),
    subsampling_option(),
)


def save_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"quality": opts.quality, "speed": opts.avif_speed, "subsampling": chroma(opts)}


SPEC = FormatSpec(
    format=OutputFormat.AVIF,
    label="AVIF",
    extension="avif",
    pil_name="AVIF",
    alpha=True,
    modes=frozenset({"RGB", "RGBA"}),
    max_side=65536,
    animated=True,
    exif_limit=None,
    xmp=True,
    options=OPTIONS,
    pillow_feature="avif",
    save_options=save_options,
    writer=write_pillow,
)
