"""The Models page's line saying where AI background removal runs (GPU or CPU).

Read back from a real session: a thread makes one for the default model the way
a batch would (``bg_ai.probe``: the same ``performance.ai_provider`` setting and
provider choice), reads back the provider it got and drops it. The answer is kept
for the rest of the process (the setting changes only at the next start), so the
page asks once. The thread never touches Tk: it reports through ``post``.
"""

from __future__ import annotations

import logging
import tkinter as tk
from tkinter import ttk

from ..core.background import models
from ..core.settings import BackgroundRemoval
from ..i18n import _
from .pump import Post, run_in_thread

log = logging.getLogger(__name__)

_answer: str | None = None  # the line, once a probe finished in this process


def device_label(provider: str) -> str:
    """For people: ``CoreML (Apple GPU / Neural Engine)``, ``CPU``; else the provider's name."""
    labels = {
        "CoreMLExecutionProvider": _("CoreML (Apple GPU / Neural Engine)"),
        "DmlExecutionProvider": _("DirectML (GPU)"),
        "CUDAExecutionProvider": _("CUDA (NVIDIA GPU)"),
        "CPUExecutionProvider": _("CPU"),
    }
    return labels.get(provider, provider)


def probe_model() -> str:
    """The default model when it is there, else the bundled one (always there)."""
    name = BackgroundRemoval().model
    return name if models.status(name) != models.NOT_INSTALLED else "u2netp"


def runs_on_text() -> str:
    """Make a session, read back its provider: the page's line (slow: call off the Tk thread)."""
    from ..core.background import ai as bg_ai

    name = probe_model()
    try:
        got = bg_ai.probe(name)
    except Exception as exc:  # a missing onnxruntime or a damaged model: said, not raised
        log.warning("could not check where the models run: %s", exc)
        return _("AI background removal cannot run here: {reason}").format(reason=exc)
    text = _("AI background removal runs on: {device} (checked with {model})").format(
        device=device_label(got.provider), model=name
    )
    return f"{text}\n{got.note}" if got.note else text


def _probe() -> str:  # a worker thread: never touches Tk
    global _answer
    text = runs_on_text()
    _answer = text
    return text


class ProviderLine(ttk.Label):
    """A label that fills in where the models run, once a probe in a thread has answered."""

    def __init__(self, master: tk.Misc, post: Post) -> None:
        waiting = _("AI background removal runs on: checking…")
        super().__init__(master, text=_answer or waiting, anchor="w", justify="left")
        self.bind("<Configure>", lambda e: self.configure(wraplength=max(200, e.width)))
        if _answer is None:
            run_in_thread(_probe, self._show, post=post, name="provider-probe")

    def _show(self, text: str) -> None:
        if self.winfo_exists():
            self.configure(text=text)
