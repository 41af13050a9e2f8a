"""Pixels into the engine's working modes: 8-bit L/LA/RGB/RGBA, in sRGB.

Two jobs, both about "the output looks like the source":

* **Bit depth and odd modes.** 16-bit images are *scaled* to 8 bits (v/257,
  rounded), never clipped — clipping turns a 16-bit greyscale photo white.
  32-bit integer images ("I", from 16-bit PGM/TIFF) are read as 16-bit data;
  float images ("F") are mapped to 0..255 (0..1 data scaled, anything else
  stretched from its own min..max). Palette, 1-bit, CMYK and Lab are converted.
* **Colour profiles.** By default pixels are converted from the embedded ICC
  profile to sRGB (so a CMYK or Adobe RGB source looks right on the web and the
  profile can be dropped); with ``keep_icc`` RGB/grey pixels are left alone and
  the profile is embedded in the output instead. A profile LittleCMS cannot read
  is ignored with a warning.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image, ImageCms

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

WORKING_MODES = ("L", "LA", "RGB", "RGBA")
_SRGB = ImageCms.createProfile("sRGB")


@dataclass
class ColourResult:
    image: Image.Image  # in one of WORKING_MODES
    icc: bytes | None = None  # profile to embed in the output (keep_icc only)
    warnings: list[str] = field(default_factory=list)


def to_working(img: Image.Image, *, keep_icc: bool = False) -> ColourResult:
    """Convert a loaded image to an 8-bit working mode, colour-managed to sRGB."""
    icc = img.info.get("icc_profile") or None
    result = ColourResult(_depth_to_8bit(img))
    mode = result.image.mode
    if mode == "LAB":
        result.image = _lab_to_srgb(result.image)
        return result
    profile = _read_profile(icc, result.warnings) if icc else None
    if mode == "CMYK":
        # A CMYK profile cannot travel with RGB pixels: always convert.
        result.image = _apply_profile(result.image, profile, result.warnings)
        return result
    result.image = _simple_mode(result.image)
    if profile is None:
        return result
    if keep_icc:
        result.icc = icc if _profile_fits(profile, result.image.mode) else None
    elif not _is_srgb(profile):
        result.image = _apply_profile(result.image, profile, result.warnings)
    return result


def _depth_to_8bit(img: Image.Image) -> Image.Image:
    """Scale 16/32-bit integer and float images to 8 bits; other modes pass through."""
    deep_integers = img.mode.startswith("I;16") or img.mode == "I"
    if not deep_integers and img.mode != "F":
        return img  # before importing numpy, which 8-bit images never need (~80 ms a worker)
    import numpy as np  # lazy: only deep images need it, and workers start faster without

    if deep_integers:
        arr = np.asarray(img.convert("I") if img.mode != "I" else img).astype(np.int64)
        alpha = _key_alpha(arr, img.info.get("transparency"))
        grey = Image.fromarray(scale_16_to_8(arr), "L")
        return _with_alpha(grey, alpha)
    return Image.fromarray(_float_to_8(np.asarray(img)), "L")


def scale_16_to_8(arr: np.ndarray) -> np.ndarray:
    """0..65535 -> 0..255 as round(v / 257); out-of-range values are clamped first."""
    import numpy as np

    clipped = np.clip(arr, 0, 65535).astype(np.uint32)
    scaled: np.ndarray = ((clipped * 255 + 32767) // 65535).astype(np.uint8)
    return scaled


def _float_to_8(arr: np.ndarray) -> np.ndarray:
    import numpy as np

    finite = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(finite.min()), float(finite.max())
    if lo >= 0.0 and hi <= 1.0:
        scaled = finite * 255.0  # normalised data
    elif lo >= 0.0 and hi <= 255.0:
        scaled = finite
    else:  # arbitrary units (e.g. measurements): stretch to the full range
        scaled = (finite - lo) * (255.0 / (hi - lo)) if hi > lo else finite * 0.0
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _key_alpha(arr: np.ndarray, key: object) -> Image.Image | None:
    """tRNS colour key on 16-bit grey -> an L alpha mask (255 opaque)."""
    if not isinstance(key, int):
        return None
    import numpy as np

    return Image.fromarray(np.where(arr == key, 0, 255).astype(np.uint8), "L")


def _with_alpha(img: Image.Image, alpha: Image.Image | None) -> Image.Image:
    if alpha is None:
        return img
    out = img.convert("LA")
    out.putalpha(alpha)
    return out


def _simple_mode(img: Image.Image) -> Image.Image:
    """Palette, 1-bit, premultiplied and other modes -> L/LA/RGB/RGBA."""
    mode = img.mode
    has_key = "transparency" in img.info
    if mode in ("RGB", "L") and not has_key:
        return img
    if mode in WORKING_MODES and mode not in ("RGB", "L"):
        return img
    if mode == "1":
        return img.convert("LA" if has_key else "L")
    if mode == "L":
        return img.convert("LA")  # tRNS key -> alpha
    if mode in ("RGB", "P", "PA", "RGBa", "RGBX"):
        if mode == "P" and not has_key and img.palette and img.palette.mode == "RGBA":
            return img.convert("RGBA")
        return img.convert("RGBA" if (has_key or mode in ("PA", "RGBa")) else "RGB")
    if mode == "La":
        return img.convert("LA")
    return img.convert("RGB")


def _read_profile(icc: bytes, warnings: list[str]) -> ImageCms.ImageCmsProfile | None:
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError) as exc:
        warnings.append(f"ignored an invalid colour profile ({exc})")
        return None


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    """Already sRGB: converting would only cost time (and rounding)."""
    try:
        desc = ImageCms.getProfileDescription(profile).strip().lower()
    except ImageCms.PyCMSError:
        return False
    return desc.startswith("srgb")


def _profile_fits(profile: ImageCms.ImageCmsProfile, mode: str) -> bool:
    space = profile.profile.xcolor_space.strip().upper()
    return (space == "GRAY") if mode in ("L", "LA") else (space == "RGB")


def _apply_profile(
    img: Image.Image, profile: ImageCms.ImageCmsProfile | None, warnings: list[str]
) -> Image.Image:
    """Transform ``img`` from ``profile`` to sRGB; without a usable profile, plain convert."""
    out_mode = "RGBA" if img.mode in ("RGBA", "LA") else "RGB"
    if profile is None or not _profile_fits_input(profile, img.mode):
        return img.convert(out_mode) if img.mode not in ("L", "LA") else img
    if img.mode in ("L", "LA"):
        return img  # grey with a grey profile: tone curves differ little; keep grey
    try:
        out = ImageCms.profileToProfile(
            img, profile, _SRGB, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode=out_mode
        )
        return out if out is not None else img.convert(out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        warnings.append(f"colour profile could not be applied ({exc})")
        return img.convert(out_mode)


def _profile_fits_input(profile: ImageCms.ImageCmsProfile, mode: str) -> bool:
    space = profile.profile.xcolor_space.strip().upper()
    wanted = {"CMYK": "CMYK", "L": "GRAY", "LA": "GRAY"}.get(mode, "RGB")
    return space == wanted


def _lab_to_srgb(img: Image.Image) -> Image.Image:
    lab = ImageCms.createProfile("LAB", colorTemp=6500)
    transform = ImageCms.buildTransform(lab, _SRGB, "LAB", "RGB")
    out = ImageCms.applyTransform(img, transform)
    return out if out is not None else img.convert("RGB")
