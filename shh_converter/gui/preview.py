"""Live before/after preview of the selected file, computed off the Tk thread.

:class:`PreviewService` owns one daemon worker thread with a "latest request
wins" slot: a new request cancels the one being computed (its cancel token is
set, and its result is dropped by generation number). The worker also scales the
images to the pane and lays transparent results on a checkerboard, so the Tk
thread only wraps ready pixels in a ``PhotoImage``. The controller debounces
requests while a slider moves.
"""

from __future__ import annotations

import logging
import threading
import time
import tkinter as tk
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from tkinter import ttk
from typing import TYPE_CHECKING, Any

from ..core.events import CancelToken
from ..core.settings import Settings
from ..core.units import human_bytes
from ..i18n import N_, _, mnemonic
from . import backend
from .checkerboard import on_checkerboard
from .filelist import dims_text
from .latest import LatestWins

if TYPE_CHECKING:
    from collections.abc import Callable

    from .pump import Post

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreviewReady:
    generation: int
    source: Path
    before: Any  # PIL image sized for the pane
    after: Any
    input_size: tuple[int, int]
    output_size: tuple[int, int]
    encoded_bytes: int
    source_bytes: int
    seconds: float
    settings: Settings | None = None  # what it was made with (the compare view reuses it)


@dataclass(frozen=True)
class PreviewFailed:
    generation: int
    source: Path
    message: str


def preview_side(box: tuple[int, int]) -> int:
    """Pixels the engine should work at: the pane's size, not more.

    A 12 MP JPEG previewed at 1024 px costs about 2.5x the time of one at the pane's
    ~500 px (JPEG draft decoding picks a smaller scale), and the pane cannot show more.
    """
    side = -(-max(box) // 64) * 64  # round up to a multiple of 64
    return max(384, min(1024, side))


def fit_for_display(img: Any, box: tuple[int, int]) -> Any:
    """A copy scaled to fit ``box`` with transparency shown on a checkerboard."""
    from PIL import Image

    img = img.copy()
    img.thumbnail((max(box[0], 16), max(box[1], 16)), Image.Resampling.BILINEAR)
    return on_checkerboard(img)


def _wrap_to(label: ttk.Label, width: int) -> None:
    """Let ``label`` wrap at ``width`` (a narrow pane: two lines rather than a cut-off)."""
    width = max(width, 40)
    current = int(float(str(label.cget("wraplength") or "0")))
    if abs(current - width) > 4:
        label.configure(wraplength=width)


_Request = tuple[int, Path, Settings, tuple[int, int], CancelToken]  # generation first


class PreviewService:
    """Computes previews in one worker thread; results go to ``post`` (the UI queue)."""

    def __init__(self, post: Callable[[PreviewReady | PreviewFailed], None]) -> None:
        self._post = post
        self._lock = threading.Lock()
        self._cancel: CancelToken | None = None  # the newest request's
        self.generation = 0
        # Below normal priority, so the model's thread pool (created from this thread,
        # inheriting its priority) cannot starve the window while it computes.
        self._worker: LatestWins[_Request] = LatestWins("preview", self._run, low_priority=True)

    def request(self, source: Path, settings: Settings, box: tuple[int, int]) -> int:
        """Ask for a preview; any older one still running is cancelled. Returns its number."""
        with self._lock:
            self.generation += 1
            self._cancel_current()
            self._cancel = cancel = CancelToken()
            self._worker.put((self.generation, source, settings, box, cancel))
            return self.generation

    def invalidate(self) -> None:
        """Drop whatever is pending or running (e.g. the file was removed)."""
        with self._lock:
            self.generation += 1
            self._worker.clear()
            self._cancel_current()

    def stop(self, timeout: float = 1.0) -> None:
        with self._lock:
            self._cancel_current()
        self._worker.stop(timeout)

    def _cancel_current(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()

    def _run(self, request: _Request) -> None:
        self._post(self._compute(*request))

    def _compute(
        self,
        generation: int,
        source: Path,
        settings: Settings,
        box: tuple[int, int],
        cancel: CancelToken,
    ) -> PreviewReady | PreviewFailed:
        from ..core.errors import ConversionError

        start = time.perf_counter()
        try:
            p = backend.make_preview(source, settings, preview_side(box), cancel)
            before, after = fit_for_display(p.before, box), fit_for_display(p.after, box)
        except ConversionError as exc:
            return PreviewFailed(generation, source, str(exc))
        except Exception as exc:  # a bug: log it fully, show one line
            log.exception("preview of %s failed", source.name)
            return PreviewFailed(generation, source, f"internal error: {type(exc).__name__}")
        try:
            source_bytes = source.stat().st_size
        except OSError:
            source_bytes = 0
        seconds = time.perf_counter() - start
        return PreviewReady(
            generation,
            source,
            before,
            after,
            (int(p.input_size[0]), int(p.input_size[1])),
            (int(p.output_size[0]), int(p.output_size[1])),
            int(p.encoded_bytes),
            source_bytes,
            seconds,
            settings,
        )


VIEWS = (("thumbs", N_("&Preview")), ("split", N_("&Split")), ("side", N_("S&ide by side")))


class PreviewPane(ttk.Frame):
    """Before and after: quick thumbnails, or the full-size compare view (split / side by side).

    The thumbnails come from the controller's preview; the compare view
    (``compare_view.py``) makes the full-resolution pair itself, only while it is
    shown, so browsing files in the thumbnail view costs nothing extra.
    """

    def __init__(
        self,
        master: tk.Misc,
        on_resize: Callable[[], None] | None = None,
        post: Post | None = None,
    ) -> None:
        super().__init__(master)
        self._on_resize = on_resize
        self._last_box = (0, 0)
        self._photos: list[Any] = []  # Tk forgets images nobody references
        self.state_text = "empty"  # empty | working | ready | failed (tests read it)
        self.ready: PreviewReady | None = None
        self.view_var = tk.StringVar(self, "thumbs")
        self._toolbar(post is not None)
        self.thumbs = ttk.Frame(self)
        self.thumbs.grid(row=1, column=0, sticky="nsew")
        self.before_label, self.before_caption = self._side(0, _("Before"))
        self.after_label, self.after_caption = self._side(1, _("After"))
        self.thumbs.columnconfigure((0, 1), weight=1, uniform="side")
        self.thumbs.rowconfigure(0, weight=1)
        self.compare: Any = None  # made the first time it is asked for: not at start-up
        self._post = post
        self.columnconfigure(0, weight=1)
        self.rowconfigure(1, weight=1)
        self.show_message(_("Select a file to preview it"))
        self.bind("<Configure>", self._resized)

    def _toolbar(self, can_compare: bool) -> None:
        bar = self.toolbar = ttk.Frame(self)
        bar.grid(row=0, column=0, sticky="ew", pady=(0, 4))
        views, zooms = ttk.Frame(bar), ttk.Frame(bar)
        self.view_buttons: dict[str, ttk.Radiobutton] = {}
        for value, text in VIEWS:
            button = ttk.Radiobutton(
                views,
                **mnemonic(_(text), "text"),
                value=value,
                variable=self.view_var,
                style="Toolbutton",
                command=lambda: self.set_view(self.view_var.get()),
            )
            button.pack(side="left", padx=(0, 2))
            if value != "thumbs" and not can_compare:
                button.state(["disabled"])
            self.view_buttons[value] = button
        self.zoom_label = ttk.Label(zooms, text="", anchor="e")
        self.zoom_label.pack(side="left", padx=(0, 6))
        self.zoom_buttons: list[ttk.Button] = []
        for text, action in (
            (_("Fit"), "zoom_fit"),
            ("100 %", "zoom_actual"),
            ("−", "zoom_out"),
            ("+", "zoom_in"),
        ):
            zoom_button = ttk.Button(zooms, text=text, command=partial(self.zoom, action))
            zoom_button.pack(side="left", padx=(2, 0))
            self.zoom_buttons.append(zoom_button)
        self._groups = (views, zooms)
        self._two_rows: tuple[bool, bool] | None = None
        bar.columnconfigure(1, weight=1)
        self._bar_width = 10_000
        bar.bind("<Configure>", lambda e: self._reflow(int(e.width)))
        self._reflow(10_000)
        self._zoom_enabled(False)

    def _reflow(self, width: int) -> None:
        """The zoom buttons beside the view buttons, or under them when the pane is narrow
        (and then only while comparing: the thumbnails keep that line for the picture)."""
        self._bar_width = width
        views, zooms = self._groups
        two_rows = width < views.winfo_reqwidth() + zooms.winfo_reqwidth() + 12
        layout = (two_rows, two_rows and not self.comparing)
        if layout == self._two_rows:
            return
        self._two_rows = layout
        views.grid(row=0, column=0, sticky="w")
        if layout[1]:
            zooms.grid_remove()
        elif two_rows:
            zooms.grid(row=1, column=0, columnspan=2, sticky="w", pady=(2, 0))
        else:
            zooms.grid(row=0, column=1, sticky="e")

    def _zoom_enabled(self, on: bool) -> None:
        for button in self.zoom_buttons:
            button.state(["!disabled"] if on else ["disabled"])

    def _zoom_shown(self, text: str) -> None:
        self.zoom_label.configure(text=text)

    def _destroyed(self, event: tk.Event) -> None:
        if event.widget is self and self.compare is not None:
            self.compare.stop()

    def _make_compare(self) -> None:
        from .compare_view import CompareView

        assert self._post is not None  # the compare buttons exist only with it
        self.compare = CompareView(self, self._post, on_zoom=self._zoom_shown)
        self.compare.grid(row=1, column=0, sticky="nsew")
        self.bind("<Destroy>", self._destroyed, add="+")

    def set_view(self, view: str) -> None:
        """``thumbs`` (quick before/after), ``split`` or ``side`` (full-size compare)."""
        if view != "thumbs" and self.compare is None:
            if self._post is None:
                view = "thumbs"
            else:
                self._make_compare()
        self.view_var.set(view)
        if view == "thumbs":
            if self.compare is not None:
                self.compare.grid_remove()
                self.compare.clear()
            self.thumbs.grid()
            self._zoom_enabled(False)
            self.zoom_label.configure(text="")
            self._reflow(self._bar_width)
            return
        self.thumbs.grid_remove()
        self.compare.grid()
        self.compare.set_mode(view)
        self._zoom_enabled(True)
        self._reflow(self._bar_width)
        self._compare_current()

    @property
    def comparing(self) -> bool:
        return self.view_var.get() != "thumbs" and self.compare is not None

    def zoom(self, action: str) -> None:
        """Fit / 100 % / zoom in / out (toolbar, menu and keys); opens the compare view."""
        if not self.comparing:
            self.set_view("split")
        if self.comparing:
            getattr(self.compare, action)()

    def _compare_current(self) -> None:
        if not self.comparing:
            return
        ready = self.ready
        if ready is None or ready.settings is None:
            working = self.state_text == "working"  # its preview is on the way: then this
            self.compare.clear(
                _("Preparing the full-size comparison…")
                if working
                else _("Select a file to compare it at full size")
            )
        else:
            self.compare.show_for(ready.source, ready.settings)

    def _resized(self, _event: object) -> None:
        box = self.box()
        # Only a real change of size asks for a new preview (not every pixel of a drag).
        if (
            self._on_resize
            and max(abs(a - b) for a, b in zip(box, self._last_box, strict=False)) > 24
        ):
            self._last_box = box
            self._on_resize()

    def _side(self, column: int, title: str) -> tuple[ttk.Label, ttk.Label]:
        frame = ttk.LabelFrame(self.thumbs, text=title, padding=4)
        frame.grid(row=0, column=column, sticky="nsew", padx=(0, 4) if column == 0 else (4, 0))
        # The caption is packed first: on a short pane it keeps its line and the picture
        # gets what is left (the next preview is made for that size).
        caption = ttk.Label(frame, anchor="center", justify="center")
        caption.pack(side="bottom", fill="x")
        frame.bind("<Configure>", lambda e: _wrap_to(caption, int(e.width) - 12), add="+")
        image = ttk.Label(frame, anchor="center", justify="center")
        image.pack(fill="both", expand=True)
        # Its text (a message, the preview's error) wraps too: nothing of it is cut off.
        frame.bind("<Configure>", lambda e: _wrap_to(image, int(e.width) - 12), add="+")
        return image, caption

    def box(self) -> tuple[int, int]:
        """Pixels available for one side's image."""
        w = max(self.before_label.winfo_width(), 160)
        h = max(self.before_label.winfo_height(), 120)
        return w - 4, h - 4

    def show_message(self, text: str) -> None:
        self._photos.clear()
        self.state_text = "empty"
        self.ready = None
        if self.compare is not None:
            self.compare.clear(text)
        for label in (self.before_label, self.after_label):
            label.configure(image="", text="")
        self.before_caption.configure(text="")
        self.after_caption.configure(text="")
        self.after_label.configure(text=text)

    def show_working(self, ai: bool) -> None:
        """Keep the old images but say a new preview is on its way."""
        self.state_text = "working"
        what = _("Removing background…") if ai else _("Working…")
        self.after_caption.configure(text=what)

    def show_failed(self, message: str) -> None:
        self.show_message(_("Cannot preview: {message}").format(message=message))
        self.state_text = "failed"

    def show(self, ready: PreviewReady) -> None:
        from PIL import ImageTk

        before = ImageTk.PhotoImage(ready.before, master=self)
        after = ImageTk.PhotoImage(ready.after, master=self)
        self._photos = [before, after]
        self.before_label.configure(image=before, text="")
        self.after_label.configure(image=after, text="")
        self.before_caption.configure(
            text=f"{dims_text(ready.input_size)} · {human_bytes(ready.source_bytes)}"
        )
        change = ""
        if ready.source_bytes:
            change = f" ({(ready.encoded_bytes - ready.source_bytes) / ready.source_bytes:+.0%})"
        self.after_caption.configure(
            text=f"{dims_text(ready.output_size)} · ≈{human_bytes(ready.encoded_bytes)}{change}"
        )
        self.state_text = "ready"
        self.ready = ready
        self._compare_current()
