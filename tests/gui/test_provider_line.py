"""Preferences → Models says where AI background removal runs, read back from a real session.

The real window, the real onnxruntime (CPU only here) and the bundled u2netp.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from guikit import last_dialog, pump_until, screenshot

from shh_converter.core.background import ai as bg_ai
from shh_converter.core.background import providers
from shh_converter.gui import provider_line

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.gui


@pytest.fixture
def unasked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No answer kept from an earlier test, no session left in this process."""
    monkeypatch.setattr(provider_line, "_answer", None)
    monkeypatch.setattr(bg_ai, "_outcomes", {})
    monkeypatch.setattr(bg_ai, "_sessions", {})
    yield


def line_text(app: Any) -> str:
    app.controller.extras.preferences()
    dialog = last_dialog(app)
    dialog.tabs.show_models()
    app.root.update()
    page = dialog.tabs.models
    line = next(w for w in page.winfo_children() if isinstance(w, provider_line.ProviderLine))
    pump_until(app.root, lambda: "checking" not in str(line.cget("text")), what="probe answered")
    return str(line.cget("text"))


def test_models_page_names_the_provider_a_session_got(
    unasked: None, app: Any, shots_dir: Path
) -> None:
    text = line_text(app)
    assert text == "AI background removal runs on: CPU (checked with u2netp)"
    got = bg_ai.outcome("u2netp")
    assert got is not None and got.providers == (providers.CPU,)
    assert not bg_ai._sessions  # the probe's session was not kept
    screenshot(app, shots_dir, "models-page-runs-on", whole_screen=True)


def test_models_page_shows_the_fallback_note(
    unasked: None, monkeypatch: pytest.MonkeyPatch, app: Any, shots_dir: Path
) -> None:
    monkeypatch.setenv(providers.PREFERENCE_ENV, "directml")
    first, note = line_text(app).split("\n")
    assert first == "AI background removal runs on: CPU (checked with u2netp)"
    assert note.startswith("DmlExecutionProvider was asked for") and "running on CPU" in note
    screenshot(app, shots_dir, "models-page-fallback-note", whole_screen=True)


def test_a_window_batch_on_the_cpu_against_the_setting_says_so(
    unasked: None, monkeypatch: pytest.MonkeyPatch, app: Any, corpus: Path, tmp_path: Path,
    shots_dir: Path, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.WARNING)
    monkeypatch.setenv(providers.PREFERENCE_ENV, "coreml")  # the AI worker inherits it
    photo = corpus / "photos" / "mpl_grace_hopper.jpg"
    app.controller.add_paths([photo])
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="file listed")
    app.window.presets.apply("Product cut-out")
    app.window.progress.dest_var.set(str(tmp_path / "out"))
    app.window.progress.convert_btn.invoke()
    pump_until(app.root, lambda: not app.controller.batch.running, 120, what="batch end")
    app.root.update()
    summary = str(app.window.progress.summary_label.cget("text"))
    assert summary.startswith("Done: 1 converted, 0 skipped, 0 failed")
    assert summary.endswith(" · AI ran on the CPU, not on the GPU asked for (see the log)")
    assert "model u2netp: CoreMLExecutionProvider was asked for" in caplog.text  # the worker's
    screenshot(app, shots_dir, "window-summary-cpu-note", whole_screen=True)
