"""Resize geometry (pure arithmetic) and the resize step itself.

:func:`plan_geometry` turns a source size and :class:`ResizeOptions` into a
:class:`Geometry`: the size to scale to, an optional centre crop (``fill``) and an
optional canvas to pad onto (``pad``). Being pure, it is used three times: to pick
the JPEG draft scale before decoding, to scale the preview, and to resize.
No side is ever 0 pixels.

:func:`apply_geometry` resamples with the filter the user chose (Lanczos by
default; nearest keeps pixel art's hard edges) and, after a downscale, can
sharpen lightly (an unsharp mask on the colour, never on the alpha).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageFilter

from .settings import Color, Resample, ResizeMode, ResizeOptions

# Image.resize first shrinks by an integer factor with reduce() (a cheap box
# filter) while the image stays >= 3x the target, then does LANCZOS: nearly
# identical pixels to a full LANCZOS pass at a fraction of the cost.
REDUCING_GAP = 3.0
FILTERS = {
    Resample.LANCZOS: Image.Resampling.LANCZOS,
    Resample.BICUBIC: Image.Resampling.BICUBIC,
    Resample.BILINEAR: Image.Resampling.BILINEAR,
    Resample.NEAREST: Image.Resampling.NEAREST,
}
# Unsharp mask after a downscale: a small radius sharpens what the filter softened
# without halos; the threshold leaves flat areas (and their noise) alone.
SHARPEN_RADIUS = 0.8
SHARPEN_THRESHOLD = 2


@dataclass(frozen=True)
class Geometry:
    scaled: tuple[int, int]  # size the image is resampled to
    crop: tuple[int, int, int, int] | None = None  # box in the scaled image (fill)
    canvas: tuple[int, int] | None = None  # final size when padding (pad)

    @property
    def final(self) -> tuple[int, int]:
        """Output size in pixels."""
        if self.canvas:
            return self.canvas
        if self.crop:
            return (self.crop[2] - self.crop[0], self.crop[3] - self.crop[1])
        return self.scaled

    def shrunk(self, factor: float) -> Geometry:
        """The same geometry at ``factor`` (<= 1) of the size, for previews."""
        if factor >= 1.0:
            return self

        def dim(size: tuple[int, int]) -> tuple[int, int]:
            return (max(1, round(size[0] * factor)), max(1, round(size[1] * factor)))

        scaled = dim(self.scaled)
        crop = canvas = None
        if self.crop:
            cw, ch = dim(self.final)
            crop = _centre_box(scaled, (min(cw, scaled[0]), min(ch, scaled[1])))
        if self.canvas:
            canvas = dim(self.canvas)
        return Geometry(scaled, crop, canvas)


def _dim(value: float) -> int:
    return max(1, round(value))


def _centre_box(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int, int, int]:
    left = (size[0] - box[0]) // 2
    top = (size[1] - box[1]) // 2
    return (left, top, left + box[0], top + box[1])


def _scale_for(src: tuple[int, int], opts: ResizeOptions) -> float:
    w, h = src
    mode = opts.mode
    if mode == ResizeMode.MAX_SIDE and opts.size:
        return opts.size / max(w, h)
    if mode == ResizeMode.PERCENT and opts.percent:
        return opts.percent / 100.0
    ratios = [r for r in (_ratio(opts.width, w), _ratio(opts.height, h)) if r is not None]
    if mode in (ResizeMode.FIT, ResizeMode.PAD, ResizeMode.FILL) and ratios:
        both = len(ratios) == 2
        return max(ratios) if (mode == ResizeMode.FILL and both) else min(ratios)
    return 1.0


def _ratio(target: int | None, size: int) -> float | None:
    return target / size if target else None


def plan_geometry(src: tuple[int, int], opts: ResizeOptions) -> Geometry:
    """Where a ``src``-sized image ends up under ``opts`` (see module docstring)."""
    scale = _scale_for(src, opts)
    if not opts.upscale:
        scale = min(scale, 1.0)
    scaled = (_dim(src[0] * scale), _dim(src[1] * scale))
    if scale == 1.0:
        scaled = src
    box = (opts.width, opts.height)
    if opts.mode == ResizeMode.FILL and box[0] and box[1]:
        want = (min(box[0], scaled[0]), min(box[1], scaled[1]))
        return Geometry(scaled, crop=_centre_box(scaled, want) if want != scaled else None)
    if opts.mode == ResizeMode.PAD and box[0] and box[1]:
        canvas = (max(box[0], scaled[0]), max(box[1], scaled[1]))
        return Geometry(scaled, canvas=canvas if canvas != scaled else None)
    return Geometry(scaled)


def apply_geometry(
    img: Image.Image, geo: Geometry, fill: Color | None, opts: ResizeOptions | None = None
) -> Image.Image:
    """Resample, crop and pad ``img`` as ``geo`` says.

    ``fill`` is the pad colour; ``None`` pads with transparency (the image is then
    made RGBA/LA if it was not). ``opts`` gives the filter and the sharpening
    (default: Lanczos, none).
    """
    opts = opts or ResizeOptions()
    if img.size != geo.scaled:
        downscale = geo.scaled[0] < img.width
        img = resample(img, geo.scaled, opts.resample)
        if downscale and opts.sharpen > 0:
            img = sharpen(img, opts.sharpen)
    if geo.crop:
        img = img.crop(geo.crop)
    if geo.canvas:
        img = _pad(img, geo.canvas, fill)
    return img


def resample(img: Image.Image, size: tuple[int, int], how: Resample) -> Image.Image:
    """``img`` at ``size`` with filter ``how`` (nearest never goes through a box pre-shrink)."""
    if how == Resample.NEAREST:
        return img.resize(size, Image.Resampling.NEAREST)
    return img.resize(size, FILTERS[how], reducing_gap=REDUCING_GAP)


def sharpen(img: Image.Image, amount: int) -> Image.Image:
    """Unsharp mask of ``amount`` percent on the colour bands; alpha is left as it is."""
    mask = ImageFilter.UnsharpMask(SHARPEN_RADIUS, amount, SHARPEN_THRESHOLD)
    if img.mode not in ("LA", "RGBA"):
        return img.filter(mask)
    *colour, alpha = img.split()
    base = "L" if img.mode == "LA" else "RGB"
    sharp = Image.merge(base, colour).filter(mask)
    return Image.merge(img.mode, (*sharp.split(), alpha))


def _pad(img: Image.Image, canvas: tuple[int, int], fill: Color | None) -> Image.Image:
    grey = img.mode in ("L", "LA")
    if fill is None:
        mode = "LA" if grey else "RGBA"
        colour: tuple[int, ...] = (0, 0) if grey else (0, 0, 0, 0)
    else:
        mode = "RGBA" if img.mode in ("RGBA", "LA") else "RGB"
        colour = fill + ((255,) if mode == "RGBA" else ())
        img = img.convert(mode) if grey else img
    out = Image.new(mode, canvas, colour)
    img = img.convert(mode) if img.mode != mode else img
    left, top = (canvas[0] - img.width) // 2, (canvas[1] - img.height) // 2
    out.paste(img, (left, top))
    return out
