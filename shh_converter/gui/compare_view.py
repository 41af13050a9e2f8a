"""The compare view: before and after at any zoom, split by a draggable divider or side by side.

Both images live on two canvases that always show the same part of the picture
(they pan and zoom together). In *split* mode the "after" canvas lies over the
"before" one from the divider to the right edge, so dragging the divider only
moves a canvas; in *side by side* mode each gets half the width. The Tk thread
never resizes an image: it asks :class:`CompareService` for a tile (the visible
part plus a margin) and, when it arrives, pastes it into a ``PhotoImage``;
panning within the margin only moves canvas items.

Mouse: drag to pan, wheel to zoom at the pointer, double-click toggles fit/100 %,
drag the divider. Keys (when the view has the focus, shown by its frame): ``+``/``-``
zoom, ``0`` fit, ``1`` 100 %, arrows pan, ``[``/``]`` move the divider.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections import OrderedDict
from tkinter import ttk
from typing import TYPE_CHECKING, Any

from ..core.units import human_bytes
from ..i18n import _
from .compare import ZOOM_LEVELS, ComparePair, CompareService, Region, Tile, zoomed_size
from .filelist import dims_text

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from ..core.settings import Settings
    from .pump import Post

log = logging.getLogger(__name__)

MARGIN = 160  # pixels rendered beyond each edge of the view, so short pans need no new tile
PHOTO_SIZES_KEPT = 3  # PhotoImages kept per side, by size (each ~4 bytes/pixel)
PAN_STEP = 0.15  # of the view's size, per arrow key
MODES = ("split", "side")


def zoom_text(zoom: float) -> str:
    """``0.5`` -> ``50 %``."""
    return f"{zoom * 100:.0f} %" if zoom >= 0.1 else f"{zoom * 100:.1f} %"


class CompareView(ttk.Frame):
    """A zoomable before/after view of the selected file at full resolution."""

    def __init__(
        self,
        master: tk.Misc,
        post: Post,
        on_zoom: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(master)
        self.service = CompareService(post, self._pair_ready, self._failed, self._tile_ready)
        self._on_zoom = on_zoom
        self.mode = "split"
        self.pair: ComparePair | None = None
        self.fit = True
        self.zoom = 1.0
        self.origin = (0.0, 0.0)  # top-left of the view, in zoomed pixels
        self.split = 0.5  # divider position, as a fraction of the width
        self.tile: Tile | None = None
        self.regions: list[Region | None] = [None, None]  # what each canvas's picture shows
        self._asked: tuple[ComparePair, float, Region] | None = None
        self.state_text = "empty"  # empty | preparing | ready | failed
        self._photos: list[Any] = [None, None]  # the PhotoImage each canvas shows
        self._photo_sizes: list[OrderedDict[tuple[int, int], Any]] = [OrderedDict(), OrderedDict()]
        self._drag: tuple[int, int, float, float] | None = None
        self._build()

    # -- widgets ---------------------------------------------------------------------

    def _build(self) -> None:
        # A plain tk.Frame: its highlight ring is the visible keyboard focus.
        self.area = tk.Frame(
            self, takefocus=1, highlightthickness=2, highlightcolor="#2f6fdf", bd=0
        )
        self.area.grid(row=0, column=0, columnspan=2, sticky="nsew")
        self.canvases = [
            tk.Canvas(self.area, highlightthickness=0, bd=0, bg="#3a3a3a") for _ in range(2)
        ]
        self.items = [c.create_image(0, 0, anchor="nw") for c in self.canvases]
        self.labels = [
            c.create_text(10, 8, anchor="nw", fill="#ffffff", text=t)
            for c, t in zip(self.canvases, (_("Before"), _("After")), strict=True)
        ]
        for canvas, label in zip(self.canvases, self.labels, strict=True):
            # A dark plate behind the name, so it reads on a white photo too.
            x0, y0, x1, y1 = canvas.bbox(label)
            plate = canvas.create_rectangle(x0 - 4, y0 - 2, x1 + 4, y1 + 2, fill="#202020", width=0)
            canvas.tag_lower(plate, label)
        self.divider = tk.Frame(self.area, width=4, bg="#2f6fdf", cursor="sb_h_double_arrow")
        self.message = ttk.Label(self.area, text="", anchor="center")
        self.before_caption = ttk.Label(self, anchor="w")
        self.after_caption = ttk.Label(self, anchor="e")
        self._stacked: bool | None = None
        self.columnconfigure((0, 1), weight=1)
        self.rowconfigure(0, weight=1)
        self.bind("<Configure>", lambda e: self._place_captions(int(e.width)))
        self._place_captions(10_000)
        self.area.bind("<Configure>", lambda _e: self._layout())
        for canvas in self.canvases:
            canvas.bind("<ButtonPress-1>", self._press)
            canvas.bind("<B1-Motion>", self._motion)
            canvas.bind("<ButtonRelease-1>", lambda _e: setattr(self, "_drag", None))
            canvas.bind("<Double-Button-1>", self._double)
            canvas.bind("<MouseWheel>", self._wheel)  # Windows, macOS
            canvas.bind("<Button-4>", lambda e: self._zoom_step(+1, (e.x, e.y)))  # X11
            canvas.bind("<Button-5>", lambda e: self._zoom_step(-1, (e.x, e.y)))
        self.divider.bind("<B1-Motion>", self._move_divider)
        keys: dict[str, Callable[[], Any]] = {
            "<plus>": self.zoom_in,
            "<equal>": self.zoom_in,
            "<KP_Add>": self.zoom_in,
            "<minus>": self.zoom_out,
            "<KP_Subtract>": self.zoom_out,
            "<Key-0>": self.zoom_fit,
            "<Key-1>": self.zoom_actual,
            "<Left>": lambda: self.pan(-PAN_STEP, 0),
            "<Right>": lambda: self.pan(PAN_STEP, 0),
            "<Up>": lambda: self.pan(0, -PAN_STEP),
            "<Down>": lambda: self.pan(0, PAN_STEP),
            "<bracketleft>": lambda: self.set_split(self.split - 0.05),
            "<bracketright>": lambda: self.set_split(self.split + 0.05),
        }
        for seq, action in keys.items():
            self.area.bind(seq, _key(action))

    def _place_captions(self, width: int) -> None:
        """Both captions on one line, or one under the other when the view is narrow."""
        need = self.before_caption.winfo_reqwidth() + self.after_caption.winfo_reqwidth() + 16
        stacked = width < need
        if stacked == self._stacked:
            return
        self._stacked = stacked
        self.before_caption.grid(row=1, column=0, columnspan=2 if stacked else 1, sticky="w")
        if stacked:
            self.after_caption.grid(row=2, column=0, columnspan=2, sticky="w")
        else:
            self.after_caption.grid(row=1, column=1, columnspan=1, sticky="e")

    # -- what to show ----------------------------------------------------------------

    def show_for(self, source: Path, settings: Settings) -> None:
        """Compare ``source`` converted with ``settings`` (prepared once per pair of them)."""
        if self.service.want(source, settings):
            self.state_text = "preparing"
            self._say(_("Preparing the full-size comparison…"))

    def clear(self, text: str = "") -> None:
        """Nothing to compare (no selection, or a batch runs): drop the pair, show ``text``."""
        self.service.drop()
        self.pair = self.tile = self._asked = None
        self.regions = [None, None]
        self.state_text = "empty"
        for canvas, item in zip(self.canvases, self.items, strict=True):
            canvas.itemconfigure(item, image="")
        self._photos = [None, None]
        self._photo_sizes = [OrderedDict(), OrderedDict()]
        self.before_caption.configure(text="")
        self.after_caption.configure(text="")
        self._say(text)

    def set_mode(self, mode: str) -> None:
        """``split`` (one picture, a divider) or ``side`` (side by side)."""
        if mode in MODES and mode != self.mode:
            self.mode = mode
            self._layout()

    def stop(self) -> None:
        self.service.stop()

    def _say(self, text: str) -> None:
        if text:
            self.message.configure(text=text)
            self.message.place(relx=0.5, rely=0.5, anchor="center")
            self.message.lift()
        else:
            self.message.place_forget()

    def _pair_ready(self, pair: ComparePair) -> None:
        self.pair, self.tile, self._asked = pair, None, None
        self.regions = [None, None]
        self.state_text = "ready"
        self._say("")
        self.before_caption.configure(
            text=_("Before: {details}").format(
                details=f"{dims_text(pair.input_size)} · {human_bytes(pair.source_bytes)}"
            )
        )
        change = ""
        if pair.source_bytes:
            change = f" ({(pair.encoded_bytes - pair.source_bytes) / pair.source_bytes:+.0%})"
        fmt = pair.settings.encode.format.value.upper()
        self.after_caption.configure(
            text=_("After: {details}").format(
                details=f"{fmt} {dims_text(pair.output_size)} · "
                f"{human_bytes(pair.encoded_bytes)}{change}"
            )
        )
        self._stacked = None  # the texts changed: lay them out again
        self._place_captions(self.winfo_width())
        if self.fit:
            self.zoom = self._fit_zoom()
        self._centre()
        self._refresh()

    def _failed(self, message: str) -> None:
        self.clear(_("Cannot compare: {message}").format(message=message))
        self.state_text = "failed"

    # -- geometry --------------------------------------------------------------------

    def pane_size(self) -> tuple[int, int]:
        """Pixels of one view (the whole area when split, half of it side by side)."""
        w, h = max(self.area.winfo_width() - 4, 1), max(self.area.winfo_height() - 4, 1)
        return (w if self.mode == "split" else max((w - 2) // 2, 1)), h

    def _fit_zoom(self) -> float:
        if self.pair is None:
            return 1.0
        pw, ph = self.pane_size()
        return min(pw / self.pair.size[0], ph / self.pair.size[1], 1.0)

    def _layout(self) -> None:
        """Place the canvases and the divider for the mode and the area's size."""
        w, h = max(self.area.winfo_width() - 4, 1), max(self.area.winfo_height() - 4, 1)
        left, right = self.canvases
        if self.mode == "split":
            d = round(w * self.split)
            left.place(x=2, y=2, width=w, height=h)
            right.place(x=2 + d, y=2, width=max(w - d, 1), height=h)
            self.divider.place(x=d, y=2, width=4, height=h)
            self.divider.lift()
        else:
            half = max((w - 2) // 2, 1)
            left.place(x=2, y=2, width=half, height=h)
            right.place(x=4 + half, y=2, width=max(w - half - 2, 1), height=h)
            self.divider.place_forget()
        self.message.lift()
        if self.fit and self.pair is not None:
            self.zoom = self._fit_zoom()
        self._clamp()
        self._refresh()

    def set_split(self, fraction: float) -> None:
        self.split = min(max(fraction, 0.0), 1.0)
        if self.mode == "split":
            self._layout()

    def _clamp(self) -> None:
        if self.pair is None:
            return
        zw, zh = zoomed_size(self.pair.size, self.zoom)
        pw, ph = self.pane_size()
        ox, oy = self.origin
        ox = (zw - pw) / 2 if zw <= pw else min(max(ox, 0.0), zw - pw)
        oy = (zh - ph) / 2 if zh <= ph else min(max(oy, 0.0), zh - ph)
        self.origin = (ox, oy)

    def _centre(self) -> None:
        if self.pair is not None:
            zw, zh = zoomed_size(self.pair.size, self.zoom)
            pw, ph = self.pane_size()
            self.origin = ((zw - pw) / 2, (zh - ph) / 2)
            self._clamp()

    # -- zoom and pan ----------------------------------------------------------------

    def zoom_fit(self) -> None:
        self.fit = True
        self._set_zoom(self._fit_zoom(), None)

    def zoom_actual(self) -> None:
        """100 %: one image pixel per screen pixel."""
        self.fit = False
        self._set_zoom(1.0, None)

    def zoom_in(self) -> None:
        self._zoom_step(+1, None)

    def zoom_out(self) -> None:
        self._zoom_step(-1, None)

    def _zoom_step(self, direction: int, at: tuple[int, int] | None) -> None:
        if direction > 0:
            target = next((z for z in ZOOM_LEVELS if z > self.zoom * 1.001), ZOOM_LEVELS[-1])
        else:
            smaller = [z for z in ZOOM_LEVELS if z < self.zoom / 1.001]
            target = max(smaller[-1] if smaller else ZOOM_LEVELS[0], min(self._fit_zoom(), 1.0))
            target = min(target, self.zoom)  # "out" never zooms in
        self.fit = False
        self._set_zoom(target, at)

    def _wheel(self, event: tk.Event) -> None:
        self._zoom_step(+1 if event.delta > 0 else -1, (event.x, event.y))

    def _set_zoom(self, zoom: float, at: tuple[int, int] | None) -> None:
        """Zoom keeping the image point under ``at`` (default: the centre) in place."""
        pw, ph = self.pane_size()
        px, py = at if at is not None else (pw / 2, ph / 2)
        ox, oy = self.origin
        ratio = zoom / self.zoom
        self.origin = ((ox + px) * ratio - px, (oy + py) * ratio - py)
        self.zoom = zoom
        self._clamp()
        self._refresh()

    def pan(self, dx: float, dy: float) -> None:
        """Move the view by a fraction of its size (arrow keys)."""
        pw, ph = self.pane_size()
        self.pan_by(dx * pw, dy * ph)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the view by ``dx``, ``dy`` screen pixels (both images together)."""
        ox, oy = self.origin
        self.origin = (ox + dx, oy + dy)
        self._clamp()
        self._place_items()
        self._need_tile()

    def _press(self, event: tk.Event) -> None:
        self.area.focus_set()
        self._drag = (event.x_root, event.y_root, *self.origin)

    def _motion(self, event: tk.Event) -> None:
        if self._drag is None:
            return
        x0, y0, ox, oy = self._drag
        self.origin = (ox - (event.x_root - x0), oy - (event.y_root - y0))
        self._clamp()
        self._place_items()
        self._need_tile()

    def _double(self, event: tk.Event) -> None:
        if self.fit or self.zoom != 1.0:
            self.fit = False
            self._set_zoom(1.0, (event.x, event.y))
        else:
            self.zoom_fit()

    def _move_divider(self, event: tk.Event) -> None:
        width = max(self.area.winfo_width() - 4, 1)
        self.set_split((event.x_root - self.area.winfo_rootx() - 2) / width)

    # -- tiles -----------------------------------------------------------------------

    def _refresh(self) -> None:
        self._place_items()
        self._need_tile()
        if self._on_zoom is not None:
            self._on_zoom(zoom_text(self.zoom) if self.pair is not None else "")

    def _visible(self) -> Region:
        assert self.pair is not None
        zw, zh = zoomed_size(self.pair.size, self.zoom)
        pw, ph = self.pane_size()
        ox, oy = self.origin
        return (
            max(int(ox), 0),
            max(int(oy), 0),
            min(int(ox) + pw + 1, zw),
            min(int(oy) + ph + 1, zh),
        )

    def _need_tile(self) -> None:
        """Ask for a new tile when the view has left the one shown (or the one on its way)."""
        if self.pair is None:
            return
        view = self._visible()
        for have in (self.tile, self._asked):
            if have is None:
                continue
            pair, zoom, region = (
                (have.pair, have.zoom, have.region) if isinstance(have, Tile) else have
            )
            if pair is self.pair and zoom == self.zoom and _inside(view, region):
                return
        zw, zh = zoomed_size(self.pair.size, self.zoom)
        region = (
            max(view[0] - MARGIN, 0),
            max(view[1] - MARGIN, 0),
            min(view[2] + MARGIN, zw),
            min(view[3] + MARGIN, zh),
        )
        self._asked = (self.pair, self.zoom, region)
        self.service.render(self.pair, self.zoom, region)

    def _tile_ready(self, tile: Tile) -> None:
        if tile.pair is not self.pair or tile.zoom != self.zoom:
            return  # the user zoomed on or chose another file meanwhile
        self.tile = tile
        if self._asked is not None and self._asked[2] == tile.region:
            self._asked = None
        # One side per turn of the loop: each paste costs a few ms per megapixel (and
        # Tk's copy to the X server as much again), so two in one turn would double
        # the longest stall. Each canvas keeps the region of its own picture, so the
        # side still showing the older tile stays in its right place meanwhile.
        self._show_side(0, tile)
        self.after(1, lambda: self._show_side(1, tile))

    def _show_side(self, i: int, tile: Tile) -> None:
        if tile is not self.tile:
            return  # a newer tile arrived: it brings this side too
        from PIL import ImageTk

        image = (tile.before, tile.after)[i]
        # One PhotoImage per tile size, kept (a few): pasting into one is ~10x cheaper
        # than making a new one, and fit <-> 100 % or a pan to an edge come back to
        # sizes already seen.
        sizes = self._photo_sizes[i]
        photo = sizes.get(image.size)
        if photo is not None:
            sizes.move_to_end(image.size)
            photo.paste(image)
        else:
            photo = sizes[image.size] = ImageTk.PhotoImage(image, master=self)
            while len(sizes) > PHOTO_SIZES_KEPT:
                sizes.popitem(last=False)
        if photo is not self._photos[i]:
            self._photos[i] = photo
            self.canvases[i].itemconfigure(self.items[i], image=photo)
        self.regions[i] = tile.region
        self._place_items()
        if i == 1:
            self._need_tile()  # the view may have moved on while this one was rendered

    def _place_items(self) -> None:
        ox, oy = self.origin
        shift = self._split_px() if self.mode == "split" else 0
        for i, region in enumerate(self.regions):
            if region is not None:
                left, top = round(region[0] - ox), round(region[1] - oy)
                self.canvases[i].coords(self.items[i], left - (shift if i else 0), top)

    def _split_px(self) -> int:
        return round(max(self.area.winfo_width() - 4, 1) * self.split)


def _inside(view: Region, region: Region) -> bool:
    return (
        view[0] >= region[0]
        and view[1] >= region[1]
        and view[2] <= region[2]
        and view[3] <= region[3]
    )


def _key(action: Callable[[], object]) -> Callable[[tk.Event], str]:
    def handler(_event: tk.Event) -> str:
        action()
        return "break"

    return handler
