"""Encoding: a :class:`Processed` image (the pipeline's result) -> bytes in the chosen format.

One place writes every format, so a batch, its target-size search and the preview
produce exactly the same bytes. ``formats`` says what each format can hold and
which Pillow options express the user's encoder settings; this module adds the
metadata the format can carry and what Pillow lacks:

- PNG: a lossless oxipng pass (on by default; it also turns a source of <= 256
  colours or grey pixels back into a palette or grey PNG), optional palette
  quantisation (Pillow's quantiser, or libimagequant when asked for);
- JPEG: Pillow's libjpeg-turbo with the user's progressive/chroma/Huffman
  choices, or jpegli (``pyjpegli``) when asked (``jpeg_encoder``), then optionally
  a lossless MozJPEG pass;
- JPEG XL (``pillow-jxl-plugin``): a JPEG source kept as it is is recompressed
  losslessly from its own bytes (the JPEG can be rebuilt bit for bit);
- GIF: a palette per file (quantised like PNG), animation;
- animations: every frame, with its duration and the loop count.

Optional libraries are imported here, in the worker, when first needed; one that
is missing makes its format or option unavailable (``formats``), never a crash.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image, PngImagePlugin

from . import formats, jpegmarkers, metadata
from .errors import EncodeError, ImageTooLargeError
from .settings import EncodeOptions, MetadataMode, OutputFormat, Settings

log = logging.getLogger(__name__)

ENCODER_ERRORS = (OSError, ValueError, RuntimeError, KeyError, TypeError)
JPEGLI_QUALITY_OFFSET = 2  # see jpegli_quality


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
    source_path: Path | None = None  # for JPEG XL's lossless recompression of a JPEG

    @property
    def output_size(self) -> tuple[int, int]:
        return self.frames[0].size


def encode(processed: Processed, settings: Settings, fh: BinaryIO) -> None:
    """Encode ``processed`` into ``fh`` in the chosen format. Raises :class:`EncodeError`."""
    spec = formats.spec_for(settings.encode.format)
    first = processed.frames[0]
    if not spec.available():
        raise EncodeError(
            f"{spec.label} output is unavailable in this install ({formats.unavailable_why(spec)})"
        )
    if max(first.size) > spec.max_side:
        raise EncodeError(
            f"{first.width}x{first.height} is too large for {spec.pil_name} "
            f"(at most {spec.max_side} pixels per side): resize it"
        )
    writer = _WRITERS.get(spec.format, _write_pillow)
    try:
        data = writer(processed, settings, spec)
    except EncodeError:
        raise
    except ENCODER_ERRORS as exc:
        raise EncodeError(f"{spec.pil_name} encoder failed: {exc}") from exc
    except MemoryError as exc:
        raise ImageTooLargeError("not enough memory to encode this image") from exc
    fh.write(data)


# -- the writers -----------------------------------------------------------------------


def _pillow_bytes(
    frames: list[Image.Image],
    processed: Processed,
    spec: formats.FormatSpec,
    options: dict[str, Any],
) -> bytes:
    """Pillow's writer for ``spec`` over ``frames`` (an animation when there are several)."""
    options = dict(options)
    if len(frames) > 1:
        options.update(
            save_all=True,
            append_images=frames[1:],
            duration=processed.durations or 100,
            loop=processed.loop,
        )
    buf = io.BytesIO()
    frames[0].save(buf, format=spec.pil_name, **options)
    return buf.getvalue()


def _write_pillow(processed: Processed, settings: Settings, spec: formats.FormatSpec) -> bytes:
    """WebP, AVIF, ICO: Pillow's options from the table plus the metadata."""
    options = formats.save_options(settings.encode)
    options.update(_metadata_options(processed, spec))
    frames = processed.frames
    if settings.encode.near_lossless is not None and options.get("lossless"):
        frames = [near_lossless(f, settings.encode.near_lossless) for f in frames]
    return _pillow_bytes(frames, processed, spec, options)


def _write_png(processed: Processed, settings: Settings, spec: formats.FormatSpec) -> bytes:
    opts = settings.encode
    frames = processed.frames
    if opts.palette:
        frames = [quantise(f, opts) for f in frames]
    options = formats.save_options(opts)
    options.update(_metadata_options(processed, spec))
    animated = len(frames) > 1
    optimising = formats.oxipng_runs(opts, processed.source_format)
    if animated and optimising:
        options.update(optimize=True)  # oxipng skips animations: Pillow's best zlib instead
    elif optimising:
        options.update(compress_level=1)  # zlib's effort would be wasted: oxipng recompresses
    data = _pillow_bytes(frames, processed, spec, options)
    # oxipng rewrites single images only: its APNG handling would drop frame timing.
    if optimising and not animated:
        data = oxipng_pass(data, opts.png_effort, keep_hidden_colour=opts.exact)
    return data


def oxipng_pass(data: bytes, effort: int, *, keep_hidden_colour: bool) -> bytes:
    """Lossless oxipng recompression of a PNG (chunks kept; pixels identical).

    Unless ``keep_hidden_colour``, oxipng may also change the colour of fully
    transparent pixels (invisible; libwebp's ``exact`` off does the same).
    """
    import oxipng

    return bytes(
        oxipng.optimize_from_memory(data, level=effort, optimize_alpha=not keep_hidden_colour)
    )


def quantise(img: Image.Image, opts: EncodeOptions) -> Image.Image:
    """``img`` as a palette image of at most ``palette_colors`` colours (mode P).

    Pillow's quantiser by default (median cut, or fast octree for transparency,
    Floyd-Steinberg dithering on or off: on the corpus logos it is smaller and
    closer than libimagequant, docs/performance.md); libimagequant
    (``imagequant``, the pngquant library) when asked for, with its quality
    target and dithering level.
    """
    colours = max(2, min(256, opts.palette_colors))
    rgba = img.convert("RGBA")
    if opts.quantiser == "imagequant":
        if not formats.module_available("imagequant"):
            raise EncodeError("the imagequant quantiser is unavailable in this install")
        import imagequant

        try:
            quantised: Image.Image = imagequant.quantize_pil_image(
                rgba,
                dithering_level=opts.dither / 100,
                max_colors=colours,
                min_quality=0,
                max_quality=opts.palette_quality,
            )
            return quantised
        except RuntimeError as exc:  # below its quality floor: never with min_quality 0
            log.debug("imagequant refused (%s); using Pillow's quantiser", exc)
    dither = Image.Dither.FLOYDSTEINBERG if opts.dither > 0 else Image.Dither.NONE
    if img.mode in ("LA", "RGBA"):
        return rgba.quantize(colours, method=Image.Quantize.FASTOCTREE, dither=dither)
    return img.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT, dither=dither)


def _write_gif(processed: Processed, settings: Settings, spec: formats.FormatSpec) -> bytes:
    frames = [_gif_frame(f, settings.encode) for f in processed.frames]
    options = formats.save_options(settings.encode)
    if len(frames) > 1:
        # Frames are whole pictures: each replaces the last, so clear before drawing
        # (a transparent pixel must not show the frame before through it).
        options["disposal"] = 2
    return _pillow_bytes(frames, processed, spec, options)


def _gif_frame(img: Image.Image, opts: EncodeOptions) -> Image.Image:
    """A palette frame; pixels below half opacity become GIF's one transparent index."""
    if img.mode not in ("LA", "RGBA"):
        return quantise(img, opts)
    rgba = img.convert("RGBA")
    alpha = rgba.getchannel("A")
    lowest = alpha.getextrema()[0]
    if isinstance(lowest, (int, float)) and lowest >= 128:
        return quantise(rgba.convert("RGB"), opts)
    # At most 255 colours, so index 255 (or the one after the last) is free for "clear".
    pal = quantise(rgba.convert("RGB"), replace(opts, palette_colors=min(255, opts.palette_colors)))
    palette = pal.getpalette() or []
    index = min(len(palette) // 3, 255)
    if index * 3 >= len(palette):
        pal.putpalette([*palette, 0, 0, 0])
    pal.paste(index, mask=alpha.point(lambda a: 255 if a < 128 else 0, "1"))
    pal.info["transparency"] = index
    return pal


def _write_jpeg(processed: Processed, settings: Settings, spec: formats.FormatSpec) -> bytes:
    opts = settings.encode
    img = processed.frames[0]
    if use_jpegli(opts, img.mode, processed):
        data = _jpegli_bytes(img, processed, opts)
    else:
        options = formats.save_options(opts)
        options.update(_metadata_options(processed, spec))
        data = _pillow_bytes([img], processed, spec, options)
    if opts.mozjpeg_pass and formats.module_available("mozjpeg_lossless_optimization"):
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
    if not formats.module_available("pyjpegli"):
        if opts.jpeg_encoder == "jpegli":
            raise EncodeError("the jpegli encoder is unavailable in this install (needs pyjpegli)")
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
    return max(0, min(100, quality + JPEGLI_QUALITY_OFFSET))


def _jpegli_bytes(img: Image.Image, processed: Processed, opts: EncodeOptions) -> bytes:
    import pyjpegli

    data = pyjpegli.encode(img.tobytes(), img.width, img.height, jpegli_quality(opts.quality))
    meta = processed.meta
    spec = formats.spec_for(OutputFormat.JPEG)
    exif = metadata.fit_exif(meta.exif, spec.exif_limit, processed.warnings)
    icc = meta.icc if meta.icc and _icc_fits(meta.icc, img.mode) else None
    added = jpegmarkers.metadata_segments(exif, icc, meta.xmp)
    data = jpegmarkers.rewrite(data, drop=lambda s: False, add=added)
    if meta.dpi:
        data = jpegmarkers.set_density(data, meta.dpi)
    return data


def _write_jxl(processed: Processed, settings: Settings, spec: formats.FormatSpec) -> bytes:
    import pillow_jxl  # noqa: F401  (registers Pillow's "JXL" writer)

    opts = settings.encode
    if opts.jpeg_transcode:
        jpeg = transcodable_jpeg(processed, settings)
        if jpeg is not None:
            try:
                return jxl_from_jpeg(jpeg, opts.jxl_effort)
            except ENCODER_ERRORS as exc:  # e.g. a CMYK JPEG libjxl cannot take as it is
                log.info("lossless JPEG recompression not possible (%s); encoding pixels", exc)
    options = formats.save_options(opts)
    meta = processed.meta
    if meta.exif:
        options["exif"] = meta.exif
    if meta.xmp:
        options["xmp"] = meta.xmp
    img = processed.frames[0]
    if meta.icc and _icc_fits(meta.icc, img.mode):
        # The plugin takes the profile from the image; a lossless file must keep it.
        img = img.copy()
        img.info["icc_profile"] = meta.icc
        options["use_original_profile"] = True
    return _pillow_bytes([img], processed, spec, options)


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


_WRITERS = {
    OutputFormat.PNG: _write_png,
    OutputFormat.JPEG: _write_jpeg,
    OutputFormat.GIF: _write_gif,
    OutputFormat.JXL: _write_jxl,
}


# -- metadata ----------------------------------------------------------------------------


def _metadata_options(processed: Processed, spec: formats.FormatSpec) -> dict[str, object]:
    meta = processed.meta
    out: dict[str, object] = {}
    exif = metadata.fit_exif(meta.exif, spec.exif_limit, processed.warnings) if spec.exif else None
    if exif:
        out["exif"] = exif
    if meta.icc and spec.icc and _icc_fits(meta.icc, processed.frames[0].mode):
        out["icc_profile"] = meta.icc
    if meta.dpi and spec.pil_name in ("JPEG", "PNG"):
        out["dpi"] = meta.dpi
    if meta.xmp and spec.xmp:
        if spec.pil_name == "PNG":
            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", meta.xmp.decode("utf-8", errors="replace"))
            out["pnginfo"] = info
        else:
            out["xmp"] = meta.xmp
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
