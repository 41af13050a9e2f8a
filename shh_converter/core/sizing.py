"""Target file size: the highest quality whose file fits, in few encodes.

File size grows roughly exponentially with quality over the useful range of
JPEG, WebP and AVIF, so the search works on log(size): the first encode is at the
output's own quality, the second guess uses a typical slope, and later guesses
interpolate (secant) between the closest fitting and the closest too-big encode.
It stops as soon as a file lands in the window ``[ACCEPT_FROM x target, target]``,
or when the two bracket qualities are adjacent (the fitting one wins).

When even :data:`LOWEST_QUALITY` does not fit (or the format has no quality:
PNG, lossless WebP, ICO) and the output allows it, the image is made smaller by
the square root of the size ratio and searched again. A target that cannot be
reached is never a silent oversize file: the result carries a note saying what
it reached.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from . import formats
from .encode import Processed, encode
from .settings import OutputFormat, Settings

ACCEPT_FROM = 0.90  # a file of 90-100 % of the target is good enough
AIM = 0.95  # where guesses aim inside that window
LOWEST_QUALITY = 10  # below this, photos fall apart: downscale instead (when allowed)
TYPICAL_SLOPE = math.log(2) / 25  # size doubles every ~25 quality steps (JPEG/WebP photos)
MAX_ROUNDS = 4  # downscale rounds at most
MAX_ENCODES_PER_ROUND = 8
FRACTION_STEPS = 3  # WebP only: bisections between two whole qualities


@dataclass
class Encoded:
    """Bytes of one output and how they were found."""

    data: bytes
    processed: Processed
    encodes: int = 1
    quality: float | None = None  # the quality used, when searched (WebP: may be fractional)
    note: str | None = None  # set when a target was not reached


def encode_bytes(processed: Processed, settings: Settings) -> bytes:
    buffer = io.BytesIO()
    encode(processed, settings, buffer)
    return buffer.getvalue()


def has_quality(settings: Settings) -> bool:
    """Whether the output's size can be steered by quality."""
    enc = settings.encode
    if enc.format == OutputFormat.WEBP:
        return not (enc.lossless or enc.near_lossless is not None)
    return enc.format in (OutputFormat.JPEG, OutputFormat.AVIF)


def encode_output(
    processed: Processed, settings: Settings, rerender: Callable[[float], Processed]
) -> Encoded:
    """Encode one output, meeting ``settings.max_kb`` when set.

    ``rerender(factor)`` renders the output again at ``factor`` (< 1) of its size,
    used only when the target allows downscaling.
    """
    if not settings.max_kb:
        return Encoded(encode_bytes(processed, settings), processed)
    target = settings.max_kb * 1000
    encodes = 0
    factor = 1.0
    best: Encoded | None = None
    for _round in range(MAX_ROUNDS):
        found = _search(processed, settings, target)
        encodes += found.encodes
        fits = len(found.data) <= target
        if fits or best is None or len(found.data) < len(best.data):
            best = found  # the one that fits, else the smallest so far
        if fits or not settings.downscale_to_fit:
            break
        factor *= max(0.1, min(0.9, math.sqrt(target * AIM / len(found.data))))
        processed = rerender(factor)
    assert best is not None
    best.encodes = encodes
    if len(best.data) > target:
        reached = f"{len(best.data) / 1000:.0f} KB"
        how = f" at quality {best.quality}" if best.quality is not None else ""
        best.note = f"target {settings.max_kb} KB not reached: {reached}{how}"
    elif factor < 1.0:
        w, h = best.processed.output_size
        best.note = f"made smaller ({w}x{h}) to fit {settings.max_kb} KB"
    return best


def _search(processed: Processed, settings: Settings, target: int) -> Encoded:
    """Highest quality that fits ``target`` bytes at this size (or the lowest quality's file)."""
    if not has_quality(settings):
        return Encoded(encode_bytes(processed, settings), processed)
    tried: dict[float, int] = {}  # quality -> bytes
    kept: dict[float, bytes] = {}
    # "auto" chroma subsampling switches at quality 90 (4:2:0 -> 4:4:4), a jump in size
    # that a search would have to step over: the search keeps the one of its start.
    base = dataclasses.replace(settings.encode, subsampling=formats.chroma(settings.encode))

    def at(q: float) -> None:
        # libwebp's quality is a float: WebP gets fractional steps (_between_steps).
        opts = dataclasses.replace(base, quality=q)  # type: ignore[arg-type]
        kept[q] = encode_bytes(processed, dataclasses.replace(settings, encode=opts))
        tried[q] = len(kept[q])

    at(max(LOWEST_QUALITY, min(100, settings.encode.quality)))
    while len(tried) < MAX_ENCODES_PER_ROUND:
        fits = [k for k, v in tried.items() if v <= target]
        big = [k for k, v in tried.items() if v > target]
        lo = max(fits) if fits else None
        hi = min(big) if big else None
        if lo is not None and tried[lo] >= target * ACCEPT_FROM:
            break  # inside the window
        if lo is not None and (lo == 100 or (hi is not None and hi - lo <= 1)):
            break  # the best that fits
        if lo is None and LOWEST_QUALITY in tried:
            break  # even the lowest quality is too big
        q = _next_guess(tried, lo, hi, target)
        if q in tried:
            break
        at(q)
    if settings.encode.format == OutputFormat.WEBP:
        _between_steps(tried, at, target)
    fits = [k for k, v in tried.items() if v <= target]
    chosen = max(fits) if fits else min(tried)
    quality = round(chosen, 2) if chosen % 1 else int(chosen)
    return Encoded(kept[chosen], processed, encodes=len(tried), quality=quality)


def _between_steps(tried: dict[float, int], at: Callable[[float], None], target: int) -> None:
    """WebP takes a fractional quality: when one whole step jumps over the window, bisect it.

    (libwebp's quality is a float; JPEG's and AVIF's are whole numbers.)
    """
    for _ in range(FRACTION_STEPS):
        fits = [k for k, v in tried.items() if v <= target]
        big = [k for k, v in tried.items() if v > target]
        if not fits or not big:
            return
        lo, hi = max(fits), min(big)
        if tried[lo] >= target * ACCEPT_FROM or hi - lo > 1 or hi - lo < 0.05:
            return
        at((lo + hi) / 2)


def _next_guess(tried: dict[float, int], lo: float | None, hi: float | None, target: int) -> int:
    """Next quality: secant on log(size) between the bracket ends, or a typical slope."""
    aim = math.log(target * AIM)
    if lo is not None and hi is not None:
        a, b = math.log(tried[lo]), math.log(tried[hi])
        slope = (b - a) / (hi - lo) if b > a else TYPICAL_SLOPE
        guess = lo + (aim - a) / slope
        return int(max(lo + 1, min(hi - 1, round(guess))))
    anchor = lo if lo is not None else hi
    assert anchor is not None
    guess = anchor + (aim - math.log(tried[anchor])) / TYPICAL_SLOPE
    if lo is not None:  # everything so far fits: go up, but not past 100
        return int(max(lo + 1, min(100, round(guess))))
    return int(max(LOWEST_QUALITY, min(anchor - 1, round(guess))))  # all too big: go down
