"""What the controller may reach in the window: its frames, typed.

The controller and the batch session talk to the window through this interface
only (``MainWindow`` provides it), so every reach into a frame is type-checked
and a frame can be swapped for a test double that has the same shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tkinter import ttk

    from .filelist import FileList
    from .outputs import OutputsPanel
    from .preview import PreviewPane
    from .progress import ProgressPanel
    from .settings_panel import SettingsPanel


class PresetChooser(Protocol):
    """The preset bar, as far as the controller uses it (``window.PresetBar``; typed here
    without importing the window, which imports the controller)."""

    def show_matching(self, settings: object) -> None: ...


class View(Protocol):
    """The main window's frames."""

    files: FileList
    outputs: OutputsPanel
    settings: SettingsPanel
    preview: PreviewPane
    progress: ProgressPanel
    status: ttk.Label

    @property
    def presets(self) -> PresetChooser: ...
