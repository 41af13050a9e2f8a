"""Full-resolution before/after images for the compare view, and tiles cut from them.

The compare view (``compare_view.py``) needs the real thing at 100 %: the source
at full size and the engine's output *decoded back* (so what is shown is what the
file will look like, artefacts and all). :func:`prepare_pair` makes both once per
selection and settings; :class:`TileRenderer` cuts the visible part (plus a margin,
so panning a little needs nothing new) at a zoom level, keeping one scaled copy
per zoom level below 100 % so that panning a zoomed-out view is a crop, not a
resize of 24 MP. :class:`CompareService` runs both off the Tk thread (a slow,
low-priority thread for preparing, a quick one for tiles; the newest request wins
in each) and hands results to ``post`` (the UI queue) as callables.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.events import CancelToken
from ..core.settings import ResizeMode, Settings
from ..i18n import _
from .checkerboard import on_checkerboard
from .latest import LatestWins

if TYPE_CHECKING:
    from collections.abc import Callable

    from .pump import Post

log = logging.getLogger(__name__)

ZOOM_LEVELS = (1 / 16, 1 / 8, 1 / 6, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
CACHED_LEVELS = 3  # scaled copies kept (each pair at 1/2 of 24 MP is ~36 MB)

Region = tuple[int, int, int, int]  # left, top, right, bottom in zoomed pixels


@dataclass(frozen=True)
class ComparePair:
    """Before and after at the same size (the output's), ready to show (RGB)."""

    source: Path
    settings: Settings
    before: Any  # PIL RGB, the source fitted to the output's geometry
    after: Any  # PIL RGB, the encoded output decoded back (alpha on a checkerboard)
    input_size: tuple[int, int]
    output_size: tuple[int, int]
    source_bytes: int
    encoded_bytes: int
    seconds: float

    @property
    def size(self) -> tuple[int, int]:
        return self.output_size


@dataclass(frozen=True)
class Tile:
    """A region of both images at one zoom level (what the view puts on its canvases)."""

    pair: ComparePair
    zoom: float
    region: Region
    before: Any
    after: Any


def fit_to(img: Any, size: tuple[int, int], cover: bool) -> Any:
    """``img`` scaled to ``size``: filling it (cropping the overflow) or inside it (centred)."""
    from PIL import Image, ImageOps

    if img.size == size:
        return img
    if cover:
        return ImageOps.fit(img, size, Image.Resampling.LANCZOS)
    fitted = ImageOps.contain(img, size, Image.Resampling.LANCZOS)
    canvas = Image.new(img.mode, size, (128, 128, 128) if img.mode == "RGB" else 0)
    canvas.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    return canvas


def prepare_pair(source: Path, settings: Settings, cancel: CancelToken) -> ComparePair:
    """Decode ``source`` once, run the engine on it, encode, decode the result back.

    Raises the engine's ``ConversionError`` subclasses (``Cancelled`` included).
    Heavy: seconds on a 24 MP photo; never call it on the Tk thread.
    """
    from PIL import Image

    from ..core import convert, encode, imageio

    start = time.perf_counter()
    src = imageio.open_image(source, settings, all_frames=False)
    convert.check_cancel(cancel)
    before_full = src.frames[0]
    processed = convert.process_source(src, settings, cancel=cancel)
    convert.check_cancel(cancel)
    buffer = io.BytesIO()
    encode.encode(processed, settings, buffer)
    encoded_bytes = buffer.tell()
    convert.check_cancel(cancel)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        decoded.load()
        after = on_checkerboard(decoded)
    cover = settings.resize.mode == ResizeMode.FILL
    before = on_checkerboard(fit_to(before_full, after.size, cover))
    try:
        source_bytes = source.stat().st_size
    except OSError:
        source_bytes = 0
    return ComparePair(
        source=source,
        settings=settings,
        before=before,
        after=after,
        input_size=(int(src.input_size[0]), int(src.input_size[1])),
        output_size=after.size,
        source_bytes=source_bytes,
        encoded_bytes=encoded_bytes,
        seconds=time.perf_counter() - start,
    )


def zoomed_size(size: tuple[int, int], zoom: float) -> tuple[int, int]:
    """The image's size in screen pixels at ``zoom`` (at least 1x1)."""
    return max(1, round(size[0] * zoom)), max(1, round(size[1] * zoom))


class TileRenderer:
    """Cuts tiles from one pair; keeps scaled copies per zoom level below 100 %."""

    def __init__(self) -> None:
        self._levels: OrderedDict[tuple[int, float], tuple[Any, Any]] = OrderedDict()

    def forget(self) -> None:
        self._levels.clear()

    def render(self, pair: ComparePair, zoom: float, region: Region) -> Tile:
        from PIL import Image

        left, top, right, bottom = region
        if zoom == 1.0:
            before, after = pair.before.crop(region), pair.after.crop(region)
        elif zoom < 1.0:
            small_before, small_after = self._level(pair, zoom)
            before, after = small_before.crop(region), small_after.crop(region)
        else:  # magnified: each source pixel becomes a sharp block (pixel peeping)
            box = (left / zoom, top / zoom, right / zoom, bottom / zoom)
            size = (right - left, bottom - top)
            nearest = Image.Resampling.NEAREST
            before = pair.before.resize(size, nearest, box=box)
            after = pair.after.resize(size, nearest, box=box)
        return Tile(pair, zoom, region, before, after)

    def _level(self, pair: ComparePair, zoom: float) -> tuple[Any, Any]:
        from PIL import Image

        key = (id(pair), zoom)
        cached = self._levels.get(key)  # .get: forget() may run on another thread
        if cached is not None:
            self._levels.move_to_end(key)
            return cached
        size = zoomed_size(pair.size, zoom)
        # reducing_gap: a fast integer reduce first, then a proper filter (good and quick).
        scaled = tuple(
            img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
            for img in (pair.before, pair.after)
        )
        self._levels[key] = (scaled[0], scaled[1])
        while len(self._levels) > CACHED_LEVELS:
            self._levels.popitem(last=False)
        return self._levels.get(key, (scaled[0], scaled[1]))


class CompareService:
    """Prepares pairs and renders tiles off the Tk thread; results arrive via ``post``.

    ``on_pair(pair)``, ``on_failed(message)`` and ``on_tile(tile)`` are called on the
    Tk thread (they are posted as callables). A result for an outdated request is
    dropped here, so the view never shows a pair for a file no longer selected.
    """

    def __init__(
        self,
        post: Post,
        on_pair: Callable[[ComparePair], None],
        on_failed: Callable[[str], None],
        on_tile: Callable[[Tile], None],
    ) -> None:
        self._post = post
        self._on_pair, self._on_failed, self._on_tile = on_pair, on_failed, on_tile
        self._lock = threading.Lock()
        self._wanted: tuple[Path, Settings] | None = None
        self._cancel: CancelToken | None = None
        self.renderer = TileRenderer()
        self._prepare = LatestWins("compare-prepare", self._make_pair, low_priority=True)
        self._render = LatestWins("compare-render", self._make_tile, low_priority=False)

    def want(self, source: Path, settings: Settings) -> bool:
        """Ask for the pair of ``source`` with ``settings``; False if already asked for."""
        key = (source, settings)
        with self._lock:
            if self._wanted == key:
                return False
            self._wanted = key
            if self._cancel is not None:
                self._cancel.cancel()
            self._cancel = cancel = CancelToken()
        self._render.clear()
        self._prepare.put((source, settings, cancel))
        return True

    def drop(self) -> None:
        """Forget the current pair (no file selected, or a batch starts)."""
        with self._lock:
            self._wanted = None
            if self._cancel is not None:
                self._cancel.cancel()
        self._prepare.clear()
        self._render.clear()
        self.renderer.forget()  # the scaled copies (tens of MB on a 24 MP photo)

    def render(self, pair: ComparePair, zoom: float, region: Region) -> None:
        """Ask for a tile; only the newest request is rendered."""
        self._render.put((pair, zoom, region))

    def stop(self) -> None:
        self.drop()
        self._prepare.stop()
        self._render.stop()

    def _current(self, source: Path, settings: Settings) -> bool:
        with self._lock:
            return self._wanted == (source, settings)

    def _make_pair(self, item: tuple[Path, Settings, CancelToken]) -> None:
        from ..core.errors import ConversionError

        source, settings, cancel = item
        try:
            pair = prepare_pair(source, settings, cancel)
        except ConversionError as exc:
            if not cancel.cancelled and self._current(source, settings):
                message = str(exc)
                self._post(lambda: self._on_failed(message))
            return
        except MemoryError:
            self._post(lambda: self._on_failed(_("not enough memory for a full-size comparison")))
            return
        if self._current(source, settings):
            self.renderer.forget()
            self._post(lambda: self._deliver_pair(pair))

    def _deliver_pair(self, pair: ComparePair) -> None:
        if self._current(pair.source, pair.settings):
            self._on_pair(pair)

    def _make_tile(self, item: tuple[ComparePair, float, Region]) -> None:
        pair, zoom, region = item
        if not self._current(pair.source, pair.settings):
            return
        tile = self.renderer.render(pair, zoom, region)
        self._post(lambda: self._on_tile(tile))
