"""Encoding: a :class:`Processed` image (the pipeline's result) -> bytes in the chosen format.

One place writes every format, so a batch, its target-size search and the preview
produce exactly the same bytes. ``formats`` says what each format can hold and
which Pillow options express the user's encoder settings; this module adds the
metadata that the format can carry and the preprocessing Pillow lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image

from . import formats, metadata
from .errors import EncodeError, ImageTooLargeError
from .settings import Settings


@dataclass
class Processed:
    """The final image(s), ready for :func:`encode`."""

    frames: list[Image.Image]
    input_size: tuple[int, int]
    durations: list[int] = field(default_factory=list)
    loop: int = 0
    meta: metadata.Metadata = field(default_factory=metadata.Metadata)
    warnings: list[str] = field(default_factory=list)
    source_format: str = "?"
    final_size: tuple[int, int] = (0, 0)  # size at full resolution (differs in previews)

    @property
    def output_size(self) -> tuple[int, int]:
        return self.frames[0].size


def encode(processed: Processed, settings: Settings, fh: BinaryIO) -> None:
    """Encode ``processed`` into ``fh`` in the chosen format. Raises :class:`EncodeError`."""
    spec = formats.spec_for(settings.encode.format)
    first = processed.frames[0]
    if max(first.size) > spec.max_side:
        raise EncodeError(
            f"{first.width}x{first.height} is too large for {spec.pil_name} "
            f"(at most {spec.max_side} pixels per side): resize it"
        )
    options = formats.save_options(settings.encode)
    options.update(_metadata_options(processed, spec))
    frames = processed.frames
    if settings.encode.near_lossless is not None and options.get("lossless"):
        frames = [near_lossless(f, settings.encode.near_lossless) for f in frames]
    if len(frames) > 1:
        options.update(
            save_all=True,
            append_images=frames[1:],
            duration=processed.durations,
            loop=processed.loop,
        )
    try:
        frames[0].save(fh, format=spec.pil_name, **options)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise EncodeError(f"{spec.pil_name} encoder failed: {exc}") from exc
    except MemoryError as exc:
        raise ImageTooLargeError("not enough memory to encode this image") from exc


def _metadata_options(processed: Processed, spec: formats.FormatSpec) -> dict[str, object]:
    meta = processed.meta
    out: dict[str, object] = {}
    exif = metadata.fit_exif(meta.exif, spec.exif_limit, processed.warnings)
    if exif:
        out["exif"] = exif
    if meta.icc and _icc_fits(meta.icc, processed.frames[0].mode):
        out["icc_profile"] = meta.icc
    if meta.dpi and spec.pil_name in ("JPEG", "PNG"):
        out["dpi"] = meta.dpi
    return out


def _icc_fits(icc: bytes, mode: str) -> bool:
    """An ICC profile may only describe pixels of its own colour space (header bytes 16-20)."""
    space = icc[16:20]
    return space == (b"GRAY" if mode in ("L", "LA") else b"RGB ")


def near_lossless(img: Image.Image, level: int) -> Image.Image:
    """WebP near-lossless preprocessing (Pillow does not expose libwebp's own).

    Like libwebp's option, ``level`` 100 changes nothing and lower levels let each
    channel value move a little so the lossless coder finds more repeats: values
    are rounded to a multiple of 2**bits, bits = (100 - level) // 20 (0..5, so at
    most +-16 of 255 at level 0). Alpha is left exact.
    """
    bits = max(0, min(5, (100 - level) // 20))
    if bits == 0:
        return img
    step = 1 << bits
    table = [min(255, ((v + step // 2) // step) * step) for v in range(256)]
    bands = img.split()
    colour_bands = bands[:3] if img.mode == "RGBA" else bands
    rounded = [b.point(table) for b in colour_bands]
    if img.mode == "RGBA":
        rounded.append(bands[3])
    return Image.merge(img.mode, rounded)
