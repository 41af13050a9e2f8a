"""JPEG XL (``pillow-jxl-plugin``): lossy or lossless; a JPEG source kept as it is is
recompressed losslessly from its own bytes (the JPEG can be rebuilt bit for bit).

The plugin writes one frame (no animation) and reads one frame.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from PIL import Image

from .. import jpegmarkers
from ..settings import EncodeOptions, MetadataMode, OutputFormat, Settings
from .base import N_, FormatSpec, OptionSpec, Processed, quality_option
from .writing import ENCODER_ERRORS, icc_fits, pillow_bytes

log = logging.getLogger(__name__)


def _lossy(o: EncodeOptions) -> bool:
    return not o.lossless


OPTIONS = (
    quality_option(90, _lossy),
    OptionSpec(field="lossless", label=N_("Lossless"), help="lossless JPEG XL"),
    OptionSpec(
        field="jxl_effort",
        label=N_("Effort"),
        help="effort: {low} fastest, {high} smallest",
        advanced=True,
    ),
    OptionSpec(
        field="jpeg_transcode",
        label=N_("Recompress JPEG"),
        help="a JPEG kept at its size is recompressed losslessly (the JPEG can be rebuilt bit "
        "for bit)",
    ),
)


def save_options(opts: EncodeOptions) -> dict[str, Any]:
    return {
        "quality": opts.quality,
        "lossless": opts.lossless,
        "effort": opts.jxl_effort,
        "lossless_jpeg": False,  # write() transcodes JPEG sources itself, from their bytes
    }


def write(processed: Processed, settings: Settings, spec: FormatSpec) -> bytes:
    import pillow_jxl  # noqa: F401  (registers Pillow's "JXL" writer)

    opts = settings.encode
    if opts.jpeg_transcode:
        jpeg = transcodable_jpeg(processed, settings)
        if jpeg is not None:
            try:
                return jxl_from_jpeg(jpeg, opts.jxl_effort)
            except ENCODER_ERRORS as exc:  # e.g. a CMYK JPEG libjxl cannot take as it is
                log.info("lossless JPEG recompression not possible (%s); encoding pixels", exc)
    options = save_options(opts)
    meta = processed.meta
    if meta.exif:
        options["exif"] = meta.exif
    if meta.xmp:
        options["xmp"] = meta.xmp
    img = processed.frames[0]
    if meta.icc and icc_fits(meta.icc, img.mode):
        # The plugin takes the profile from the image; a lossless file must keep it.
        img = img.copy()
        img.info["icc_profile"] = meta.icc
        options["use_original_profile"] = True
    return pillow_bytes([img], processed, spec, options)


def transcodable_jpeg(processed: Processed, settings: Settings) -> bytes | None:
    """The JPEG to recompress losslessly, or None when the output is not the JPEG as it is.

    That is: a JPEG source, one frame, upright as stored, at its own size, not cut
    out. Its header is cleaned like any output's metadata: ``strip`` keeps only
    the colour profile (and JFIF/Adobe colour facts), ``keep-no-location`` puts
    the cleaned EXIF/XMP back, ``keep`` keeps the file as it is (bit for bit).
    """
    path = processed.source_path
    if processed.source_format != "JPEG" or path is None or len(processed.frames) != 1:
        return None
    if processed.meta.orientation != 1 or processed.output_size != processed.input_size:
        return None
    if settings.background_removal.enabled:
        return None
    try:
        data = path.read_bytes()
        if settings.metadata == MetadataMode.KEEP:
            return data
        add: list[jpegmarkers.Segment] = []
        if settings.metadata == MetadataMode.KEEP_NO_LOCATION:
            add = jpegmarkers.metadata_segments(processed.meta.exif, None, processed.meta.xmp)
        return jpegmarkers.rewrite(data, drop=jpegmarkers.is_personal, add=add)
    except (OSError, ValueError) as exc:
        log.info("cannot reuse the source JPEG (%s); encoding pixels", exc)
        return None


def jxl_from_jpeg(jpeg: bytes, effort: int) -> bytes:
    """JPEG XL holding ``jpeg`` losslessly (libjxl keeps what rebuilds it bit for bit)."""
    import pillow_jxl

    with Image.open(io.BytesIO(jpeg)) as probe:
        width, height, mode = probe.width, probe.height, probe.mode
    make: Any = pillow_jxl.Encoder  # its type stubs lack the keyword arguments
    encoder = make(
        mode="L" if mode == "L" else "RGB",
        lossless=True,
        quality=100,
        decoding_speed=0,
        effort=effort,
        use_container=True,
        use_original_profile=True,
        num_threads=-1,
    )
    return bytes(encoder(jpeg, width, height, jpeg_encode=True))


SPEC = FormatSpec(
    format=OutputFormat.JXL,
    label="JPEG XL",
    extension="jxl",
    pil_name="JXL",
    alpha=True,
    modes=frozenset({"L", "LA", "RGB", "RGBA"}),
    max_side=1 << 20,
    animated=False,
    exif_limit=None,
    xmp=True,
    options=OPTIONS,
    needs="pillow_jxl",
    save_options=save_options,
    writer=write,
)
