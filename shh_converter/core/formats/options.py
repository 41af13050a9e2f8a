""":class:`EncodeOptions`: every format's encoder option fields in one frozen dataclass.

Each format declares its own fields in ``<format>_options.py`` (a shared field,
such as ``lossless`` of WebP and JPEG XL, in the first format's, in the
registry's order); this class only joins them. Those modules are plain data
without the engine, so :mod:`..settings` can build :class:`Settings` from them
while the format modules (``webp.py``, ...) read settings.

A dataclass's fields run from its last base to its first, so the bases are listed
in the reverse of the registry's order: the field order (and so the JSON written
by ``Settings.to_dict``) is format, quality, then WebP's, JPEG's, PNG's, AVIF's,
JPEG XL's and ICO's fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from .avif_options import AvifOptions
from .common_options import CommonOptions
from .ico_options import IcoOptions
from .jpeg_options import JpegOptions
from .jxl_options import JxlOptions
from .png_options import PngOptions
from .webp_options import WebpOptions


@dataclass(frozen=True)
class EncodeOptions(
    IcoOptions, JxlOptions, AvifOptions, PngOptions, JpegOptions, WebpOptions, CommonOptions
):
    """Encoder options; each format reads the ones that apply to it.

    Each value's range or choices are on its field (metadata, :func:`..rules.ranged`);
    which format has which option, its label and its default there are in the
    format's module in ``core/formats/`` (``formats.default_options(fmt)`` gives a
    format's own defaults, e.g. AVIF's lower quality). Field names are stable:
    recipe specs (``--variant jpeg:progressive=false``) and saved presets use them.
    """
