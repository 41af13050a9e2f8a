"""Size cap ("at most N KB"): lower the quality only when the chosen one is too big.

The output is first encoded at the quality the user chose. A file within the cap
is the result (one encode): a cap never raises the quality. Only a file over the
cap starts a search downwards. File size grows roughly exponentially with quality
over the useful range of JPEG, WebP, AVIF and JPEG XL, so the search works on
log(size): the second guess uses a typical slope, later guesses interpolate
(secant) between the closest fitting and the closest too-big encode. It stops as
soon as a file lands in the window ``[ACCEPT_FROM x cap, cap]``. When two whole
qualities bracket the window (a step of several per cent at high qualities),
WebP and Pillow's JPEG search between them: libwebp takes a fractional quality,
and a JPEG's quantisation tables are scaled by the fraction
(:func:`formats.jpeg.jpeg_qtables`).

When even :data:`LOWEST_QUALITY` does not fit (or the format has no quality:
PNG, lossless WebP, ICO) and the output allows it, the image is made smaller by
the square root of the size ratio and searched again. A cap that cannot be
reached is never a silent oversize file: the result carries a note saying what
it reached, and a lowered output says what it was lowered to.
"""

from __future__ import annotations

import dataclasses
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import formats
from .encode import Processed, encode
from .settings import EncodeOptions, Settings, value_range
from .units import KB

if TYPE_CHECKING:
    from collections.abc import Callable

ACCEPT_FROM = 0.90  # a file of 90-100 % of the cap is good enough
AIM = 0.95  # where guesses aim inside that window
LOWEST_QUALITY = 10  # below this, photos fall apart: downscale instead (when allowed)
HIGHEST_QUALITY = value_range(EncodeOptions, "quality")[1]
TYPICAL_SLOPE = math.log(2) / 25  # size doubles every ~25 quality steps (JPEG/WebP photos)
MAX_ROUNDS = 4  # downscale rounds at most
MAX_ENCODES_PER_ROUND = 8
FRACTION_STEPS = 3  # WebP and Pillow's JPEG: bisections between two whole qualities


@dataclass
class Encoded:
    """Bytes of one output and how they were found."""

    data: bytes
    processed: Processed
    encodes: int = 1
    quality: float | None = None  # the quality used, when lowered (may be fractional)
    note: str | None = None  # set when the cap lowered the output or was not reached


def encode_bytes(processed: Processed, settings: Settings) -> bytes:
    buffer = io.BytesIO()
    encode(processed, settings, buffer)
    return buffer.getvalue()


def has_quality(settings: Settings) -> bool:
    """Whether the output's size can be steered by quality (the format's quality applies)."""
    return formats.spec_for(settings.encode.format).applies("quality", settings.encode)


def fractional_quality(settings: Settings) -> bool:
    """Whether the encoder takes qualities between whole numbers (see the module docstring)."""
    return formats.spec_for(settings.encode.format).fractional_quality(settings.encode)


def encode_output(
    processed: Processed, settings: Settings, rerender: Callable[[float], Processed]
) -> Encoded:
    """Encode one output at its own quality, lowered only as far as ``settings.max_kb`` needs.

    ``rerender(factor)`` renders the output again at ``factor`` (< 1) of its size,
    used only when the cap allows downscaling.
    """
    first = Encoded(encode_bytes(processed, settings), processed)
    if not settings.max_kb:
        return first
    cap = settings.max_kb * KB
    if len(first.data) <= cap:
        return first  # a cap, not a target: the chosen quality fits
    encodes = 1
    factor = 1.0
    best = first
    if has_quality(settings):
        first.quality = settings.encode.quality  # what the note says if nothing lower helps
    for _round in range(MAX_ROUNDS):
        found = _search(processed, settings, cap, first if factor == 1.0 else None)
        encodes += found.encodes
        fits = len(found.data) <= cap
        if fits or len(found.data) < len(best.data):
            best = found  # the one that fits, else the smallest so far
        if fits or not settings.downscale_to_fit:
            break
        factor *= max(0.1, min(0.9, math.sqrt(cap * AIM / len(found.data))))
        processed = rerender(factor)
    best.encodes = encodes
    best.note = _note(best, settings, factor)
    return best


def _note(best: Encoded, settings: Settings, factor: float) -> str:
    """What the cap did to this output, for the report and the window's row."""
    how = f" at quality {best.quality}" if best.quality is not None else ""
    if len(best.data) > (settings.max_kb or 0) * KB:
        return f"limit {settings.max_kb} KB not reached: {len(best.data) / KB:.0f} KB{how}"
    if factor < 1.0:
        w, h = best.processed.output_size
        return f"made smaller ({w}x{h}){how} to fit {settings.max_kb} KB"
    return f"quality lowered to {best.quality} to fit {settings.max_kb} KB"


def _search(processed: Processed, settings: Settings, cap: int, first: Encoded | None) -> Encoded:
    """The highest quality up to the chosen one that fits ``cap`` bytes at this size.

    ``first``: the encode at the chosen quality and this size, when already made.
    Without a quality to lower, the one encode; when nothing fits, the lowest
    quality's file.
    """
    chosen = max(LOWEST_QUALITY, min(HIGHEST_QUALITY, settings.encode.quality))
    if not has_quality(settings):
        if first is not None:
            return Encoded(first.data, processed, encodes=0)
        return Encoded(encode_bytes(processed, settings), processed)
    tried: dict[float, int] = {}  # quality -> bytes
    kept: dict[float, bytes] = {}
    # "auto" chroma subsampling switches at quality 90 (4:2:0 -> 4:4:4), a jump in size
    # that a search would have to step over: the search keeps the one of its start.
    # A JPEG recompressed losslessly into JPEG XL has no quality: its pixels are encoded.
    base = dataclasses.replace(
        settings.encode, subsampling=formats.chroma(settings.encode), jpeg_transcode=False
    )

    def at(q: float) -> None:
        opts = dataclasses.replace(base, quality=q)  # type: ignore[arg-type]
        kept[q] = encode_bytes(processed, dataclasses.replace(settings, encode=opts))
        tried[q] = len(kept[q])

    encodes = 0
    if first is not None and settings.encode.quality == chosen and not _transcoded(settings):
        tried[chosen], kept[chosen] = len(first.data), first.data  # already made
    else:
        at(chosen)
        encodes += 1
    while len(tried) < MAX_ENCODES_PER_ROUND:
        fits = [k for k, v in tried.items() if v <= cap]
        big = [k for k, v in tried.items() if v > cap]
        lo = max(fits) if fits else None
        hi = min(big) if big else None
        if lo is not None and (tried[lo] >= cap * ACCEPT_FROM or lo == chosen):
            break  # inside the window, or the chosen quality itself
        if lo is not None and hi is not None and hi - lo <= 1:
            break  # the best whole quality that fits
        if lo is None and LOWEST_QUALITY in tried:
            break  # even the lowest quality is too big
        q = _next_guess(tried, lo, hi, cap)
        if q in tried:
            break
        at(q)
        encodes += 1
    if fractional_quality(settings):
        encodes += _between_steps(tried, at, cap)
    fits = [k for k, v in tried.items() if v <= cap]
    pick = max(fits) if fits else min(tried)
    data = kept[pick]
    harder = _more_effort(processed, settings, base, tried, cap)
    if harder is not None:
        encodes += harder[2]
        if harder[1] is not None:
            pick, data = harder[0], harder[1]
    quality = round(pick, 2) if pick % 1 else int(pick)
    return Encoded(data, processed, encodes=encodes, quality=quality)


def _more_effort(
    processed: Processed, settings: Settings, base: EncodeOptions, tried: dict[float, int], cap: int
) -> tuple[float, bytes | None, int] | None:
    """Where the smallest quality step over the cap still jumps past the window (WebP:
    libwebp's size can jump 15-20 % within an eighth of a quality at q94), the quality
    over it with more encoder effort (the format's ``effort_option``) often fits
    inside. Returns that quality, its file (None if no method fitted) and the encodes."""
    fits = [k for k, v in tried.items() if v <= cap]
    big = [k for k, v in tried.items() if v > cap]
    spec = formats.spec_for(settings.encode.format)
    effort = spec.option(spec.effort_option) if spec.effort_option else None
    if effort is None or effort.high is None or settings.encode.lossless:
        return None
    if not fits or not big or tried[max(fits)] >= cap * ACCEPT_FROM:
        return None
    hi, encodes = min(big), 0
    for method in range(getattr(base, effort.field) + 1, effort.high + 1):
        changes = {"quality": hi, effort.field: method}
        opts = dataclasses.replace(base, **changes)  # type: ignore[arg-type]
        data = encode_bytes(processed, dataclasses.replace(settings, encode=opts))
        encodes += 1
        if len(data) <= cap:
            return hi, (data if len(data) > tried[max(fits)] else None), encodes
    return hi, None, encodes


def _transcoded(settings: Settings) -> bool:
    """Whether the first encode may have been a lossless JPEG -> JPEG XL (not this quality's)."""
    spec = formats.spec_for(settings.encode.format)
    return spec.applies("jpeg_transcode", settings.encode) and settings.encode.jpeg_transcode


def _between_steps(tried: dict[float, int], at: Callable[[float], None], cap: int) -> int:
    """When one whole quality step jumps over the window, bisect it (returns the encodes)."""
    done = 0
    for _ in range(FRACTION_STEPS):
        fits = [k for k, v in tried.items() if v <= cap]
        big = [k for k, v in tried.items() if v > cap]
        if not fits or not big:
            break
        lo, hi = max(fits), min(big)
        if tried[lo] >= cap * ACCEPT_FROM or hi - lo > 1 or hi - lo < 0.05:
            break
        at(round((lo + hi) / 2, 3))
        done += 1
    return done


def _next_guess(tried: dict[float, int], lo: float | None, hi: float | None, cap: int) -> int:
    """Next quality: a secant on log(size), kept inside the bracket and from overshooting.

    log(size) is convex in quality (steeper towards 100, for WebP much steeper
    above ~80). A secant through the last two encodes gives the local slope, but
    from below it overshoots where the curve bends up; a regula falsi between the
    bracket's ends (Illinois: the end kept twice counts half, so it cannot stall)
    cannot overshoot. Coming from below, the lower of the two guesses is taken.
    """
    aim = math.log(cap * AIM)
    order = list(tried)
    last = order[-1]
    slope = TYPICAL_SLOPE
    if len(order) >= 2:
        (q1, s1), (q2, s2) = [(q, tried[q]) for q in order[-2:]]
        if (s2 - s1) * (q2 - q1) > 0:
            slope = (math.log(s2) - math.log(s1)) / (q2 - q1)
    guess = last + (aim - math.log(tried[last])) / slope
    if lo is not None and hi is not None:
        f_lo, f_hi = math.log(tried[lo]) - aim, math.log(tried[hi]) - aim
        run = _last_run(order, lambda q: tried[q] <= cap)  # encodes in a row on one side
        if tried[last] <= cap:
            f_hi /= 2 ** (run - 1)  # Illinois: the too-big end was kept that often
        else:
            f_lo /= 2 ** (run - 1)
        falsi = lo - f_lo * (hi - lo) / (f_hi - f_lo) if f_hi > f_lo else (lo + hi) / 2
        guess = min(guess, falsi) if tried[last] <= cap else max(guess, falsi)
    low = lo + 1 if lo is not None else LOWEST_QUALITY
    high = hi - 1 if hi is not None else HIGHEST_QUALITY
    return int(max(low, min(high, round(guess))))


def _last_run(order: list[float], fits: Callable[[float], bool]) -> int:
    """How many of the latest encodes in a row landed on the same side of the cap."""
    side = fits(order[-1])
    run = 0
    for q in reversed(order):
        if fits(q) != side:
            break
        run += 1
    return run
