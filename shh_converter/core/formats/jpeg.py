"""JPEG: Pillow's libjpeg-turbo or jpegli, then optionally a lossless MozJPEG pass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import jpegmarkers, metadata
from ..errors import EncodeError
from ..settings import EncodeOptions, OutputFormat, Settings, value_range
from . import base
from .base import N_, FormatSpec, OptionSpec, Processed, chroma, quality_option, subsampling_option
from .writing import icc_fits, metadata_options, pillow_bytes

if TYPE_CHECKING:
    from PIL import Image

JPEGLI_QUALITY_OFFSET = 2  # see jpegli_quality


def _pillow(o: EncodeOptions) -> bool:
    return o.jpeg_encoder != "jpegli"


def _baseline(o: EncodeOptions) -> bool:
    # libjpeg always optimises a progressive JPEG's Huffman tables.
    return _pillow(o) and not o.progressive


OPTIONS = (
    quality_option(85),
    OptionSpec(
        field="jpeg_encoder",
        label=N_("Encoder"),
        help="pillow (libjpeg-turbo; default: jpegli did not win at equal SSIMULACRA2 on the "
        "corpus), jpegli, or auto (jpegli unless a JPEG is kept at its size)",
        choice_needs=(("jpegli", "pyjpegli"),),
        advanced=True,
    ),
    OptionSpec(
        field="progressive",
        label=N_("Progressive"),
        help="progressive JPEG",
        applies=_pillow,
    ),
    subsampling_option(_pillow),
    OptionSpec(
        field="optimize_huffman",
        label=N_("Optimised Huffman"),
        help="optimised Huffman tables for a baseline JPEG",
        applies=_baseline,
        advanced=True,
    ),
    OptionSpec(
        field="mozjpeg_pass",
        label=N_("MozJPEG pass"),
        help="lossless MozJPEG re-optimisation of the file (~1% smaller)",
        needs="mozjpeg_lossless_optimization",
        advanced=True,
    ),
)


def save_options(opts: EncodeOptions) -> dict[str, Any]:
    out: dict[str, Any] = {
        "quality": opts.quality,
        "progressive": opts.progressive,
        "subsampling": chroma(opts),
        "optimize": opts.optimize_huffman,
    }
    if opts.quality % 1:  # a size cap's search between two whole qualities (core/sizing.py)
        del out["quality"]
        out["qtables"] = jpeg_qtables(opts.quality)
    return out


# The example tables of the JPEG standard (ITU-T T.81, Annex K), in natural order:
# libjpeg scales these by its quality.
_JPEG_LUMA = (
    (16, 11, 10, 16, 24, 40, 51, 61), (12, 12, 14, 19, 26, 58, 60, 55),
    (14, 13, 16, 24, 40, 57, 69, 56), (14, 17, 22, 29, 51, 87, 80, 62),
    (18, 22, 37, 56, 68, 109, 103, 77), (24, 35, 55, 64, 81, 104, 113, 92),
    (49, 64, 78, 87, 103, 121, 120, 101), (72, 92, 95, 98, 112, 100, 103, 99),
)  # fmt: skip
_JPEG_CHROMA = (
    (17, 18, 24, 47, 99, 99, 99, 99), (18, 21, 26, 66, 99, 99, 99, 99),
    (24, 26, 56, 99, 99, 99, 99, 99), (47, 66, 99, 99, 99, 99, 99, 99),
    *((99,) * 8 for _ in range(4)),
)  # fmt: skip


def jpeg_qtables(quality: float) -> list[list[int]]:
    """libjpeg's quantisation tables for a quality between whole numbers.

    The same scaling as libjpeg's ``jpeg_quality_scaling`` (5000/q below 50,
    200 - 2q above), not rounded to a whole quality first: at whole qualities the
    tables equal libjpeg's own, in between the file size moves smoothly.
    """
    q = min(100.0, max(1.0, quality))
    scale = 5000 / q if q < 50 else 200 - 2 * q
    if q % 1 == 0:
        scale = int(scale)  # libjpeg's integer division
    return [
        [min(255, max(1, int((v * scale + 50) // 100))) for row in table for v in row]
        for table in (_JPEG_LUMA, _JPEG_CHROMA)
    ]


def write(processed: Processed, settings: Settings, spec: FormatSpec) -> bytes:
    opts = settings.encode
    img = processed.frames[0]
    if use_jpegli(opts, img.mode, processed):
        data = _jpegli_bytes(img, processed, opts, spec)
    else:
        options = save_options(opts)
        options.update(metadata_options(processed, spec))
        data = pillow_bytes([img], processed, spec, options)
    if opts.mozjpeg_pass and base.module_available("mozjpeg_lossless_optimization"):
        import mozjpeg_lossless_optimization as mozjpeg

        data = bytes(mozjpeg.optimize(data, copy=mozjpeg.COPY_MARKERS.ALL))
    return data


def use_jpegli(opts: EncodeOptions, mode: str, processed: Processed | None = None) -> bool:
    """Whether jpegli writes this JPEG.

    ``auto`` takes jpegli when it is installed, the user left the choices it makes
    itself (progressive, chroma, Huffman tables) at their defaults, and the image
    is not a JPEG kept at its own size: re-encoding such a JPEG, libjpeg's blocks
    line up with the source's and Pillow wins at equal SSIMULACRA2 (jpegli needed
    ~8% more bytes on the corpus), while on resized photos jpegli is the smaller
    (docs/performance.md, issue 10). Its binding takes RGB only: greyscale goes to
    Pillow.
    """
    if mode != "RGB" or opts.jpeg_encoder == "pillow":
        return False
    if not base.module_available("pyjpegli"):
        if opts.jpeg_encoder == "jpegli":
            msg = "the jpegli encoder is unavailable in this install (needs pyjpegli)"
            raise EncodeError(msg)
        return False
    if opts.jpeg_encoder == "jpegli":
        return True
    if processed is not None and _same_size_jpeg(processed):
        return False
    return opts.progressive and opts.subsampling == "auto" and opts.optimize_huffman


def _same_size_jpeg(processed: Processed) -> bool:
    return processed.source_format in ("JPEG", "MPO") and (
        processed.output_size == processed.input_size
    )


def jpegli_quality(quality: int) -> int:
    """The jpegli quality that looks like libjpeg's ``quality``.

    jpegli's scale is not libjpeg's: at the same number it scores lower. On the
    corpus photos (resized to 1024 px) its quality 86-88 matched Pillow's 85 in
    SSIMULACRA2, so it gets JPEGLI_QUALITY_OFFSET more (measured at 85 only).
    """
    low, high = value_range(EncodeOptions, "quality")
    return int(max(low, min(high, quality + JPEGLI_QUALITY_OFFSET)))


def _jpegli_bytes(
    img: Image.Image, processed: Processed, opts: EncodeOptions, spec: FormatSpec
) -> bytes:
    import pyjpegli

    data = pyjpegli.encode(img.tobytes(), img.width, img.height, jpegli_quality(opts.quality))
    meta = processed.meta
    exif = metadata.fit_exif(meta.exif, spec.exif_limit, processed.warnings)
    icc = meta.icc if meta.icc and icc_fits(meta.icc, img.mode) else None
    added = jpegmarkers.metadata_segments(exif, icc, meta.xmp)
    data = jpegmarkers.rewrite(data, drop=lambda s: False, add=added)
    if meta.dpi:
        data = jpegmarkers.set_density(data, meta.dpi)
    return data


SPEC = FormatSpec(
    format=OutputFormat.JPEG,
    label="JPEG",
    extension="jpg",
    aliases=("jpg",),
    pil_name="JPEG",
    alpha=False,
    modes=frozenset({"L", "RGB"}),
    max_side=65500,
    animated=False,
    exif_limit=65527,  # a JPEG APP1 segment holds at most 65533 bytes, "Exif\0\0" included
    xmp=True,
    dpi=True,
    options=OPTIONS,
    pillow_feature="jpg",
    save_options=save_options,
    writer=write,
    # Pillow's libjpeg scales its tables by a fractional quality (jpeg_qtables); jpegli
    # takes whole ones, and "auto" may choose jpegli.
    fractional_quality=lambda o: o.jpeg_encoder == "pillow",
)
