"""Preferences → Models and the download offer, on the real window with a real HTTP server.

The server (tests/core/test_models.py) serves the bundled u2netp under a test-only
registry name, so a download, its checksum, a cancel mid-body and a delete run for
real; ``SHH_CONVERTER_MODEL_URL`` points the app at it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from core.test_models import U2NETP, U2NETP_MD5, ModelServer
from guikit import last_dialog, pump_until

from shh_converter import paths
from shh_converter.core.background import models
from shh_converter.gui import models_page

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.gui


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    srv = ModelServer()
    srv.files["renamed-model.onnx"] = U2NETP.read_bytes()
    monkeypatch.setenv(models.URL_ENV, srv.url)
    info = models.ModelInfo("tiny-test", "renamed-model.onnx", U2NETP_MD5, 4.6, 320)
    monkeypatch.setitem(models.MODELS, info.name, info)
    yield srv
    srv.close()


def open_models_page(app: Any) -> models_page.ModelsPage:
    app.controller.extras.preferences()
    dialog = last_dialog(app)
    dialog.tabs.show_models()
    app.root.update()
    page = dialog.tabs.models
    assert page is not None and page.winfo_ismapped()
    return page


def status_of(page: models_page.ModelsPage, name: str) -> str:
    return str(page.tree.set(name, "status"))


def test_page_lists_every_model_with_size_purpose_and_status(app: Any) -> None:
    page = open_models_page(app)
    assert set(page.tree.get_children()) == set(models.MODELS)
    assert status_of(page, "u2netp") == "bundled"
    assert status_of(page, "u2net") == "not installed"
    assert page.tree.set("u2net", "size") == "176 MB"
    assert "people" in page.tree.set("u2net_human_seg", "purpose").lower()
    page.tree.selection_set("u2netp")
    app.root.update()
    assert page.download_btn.instate(["disabled"])  # bundled: nothing to fetch or delete
    assert page.delete_btn.instate(["disabled"])
    page.tree.selection_set("u2net")
    app.root.update()
    assert not page.download_btn.instate(["disabled"])


def test_download_then_delete_from_the_page(app: Any, server: ModelServer) -> None:
    page = open_models_page(app)
    page.tree.selection_set("tiny-test")
    app.root.update()
    page.download_btn.invoke()
    assert status_of(page, "tiny-test") == "downloading…"
    assert page.cancel_btn.instate(["!disabled"])
    pump_until(app.root, lambda: page.task is None, what="download finished")
    assert status_of(page, "tiny-test") == "installed"
    assert "checksum verified" in str(page.message.cget("text"))
    assert float(page.bar.cget("value")) == 100
    target = paths.models_dir / "tiny-test.onnx"
    assert target.read_bytes() == U2NETP.read_bytes()
    assert page.delete_btn.instate(["!disabled"])
    page.delete_btn.invoke()
    assert not target.exists() and status_of(page, "tiny-test") == "not installed"


def test_cancel_mid_download_leaves_nothing(app: Any, server: ModelServer) -> None:
    server.chunk_delay = 0.02  # ~70 pieces: about 1.5 s for the whole file
    page = open_models_page(app)
    page.download("tiny-test")
    pump_until(app.root, lambda: float(page.bar.cget("value")) > 0, what="first progress")
    page.cancel_btn.invoke()
    pump_until(app.root, lambda: page.task is None, what="download ended")
    assert "cancelled" in str(page.message.cget("text"))
    assert status_of(page, "tiny-test") == "not installed"
    assert sorted(p.name for p in paths.models_dir.iterdir()) == []


def test_failed_download_says_why(app: Any, server: ModelServer) -> None:
    server.files["renamed-model.onnx"] = b"not the model"
    page = open_models_page(app)
    page.download("tiny-test")
    pump_until(app.root, lambda: page.task is None, what="download ended")
    assert "checksum" in str(page.message.cget("text"))
    assert status_of(page, "tiny-test") == "not installed"


def test_choosing_a_missing_model_offers_the_download(app: Any, server: ModelServer) -> None:
    box = app.window.settings.model_box

    def offers() -> list[Any]:
        return [w for w in app.root.winfo_children() if isinstance(w, models_page.DownloadOffer)]

    box.set("u2netp")  # bundled: nothing to offer
    box.event_generate("<<ComboboxSelected>>")  # what a pick with the mouse or keys sends
    app.root.update()
    assert offers() == []
    box.set("tiny-test")
    box.event_generate("<<ComboboxSelected>>")
    box.event_generate("<<ComboboxSelected>>")  # picked twice: still one offer
    app.root.update()
    shown = offers()
    assert len(shown) == 1 and shown[0].name == "tiny-test"
    offer = shown[0]
    assert "not installed" in str(offer.label.cget("text"))
    offer.download_btn.invoke()
    pump_until(app.root, lambda: offer.task is None, what="offered download finished")
    assert offer.result is None and "installed and ready" in str(offer.label.cget("text"))
    assert models.status("tiny-test") == models.INSTALLED
    offer.close_btn.invoke()
    box.event_generate("<<ComboboxSelected>>")  # installed now: nothing more to offer
    app.root.update()
    assert offers() == []


def test_language_choice_is_saved(app: Any) -> None:
    app.controller.extras.preferences()
    dialog = last_dialog(app)
    tabs = dialog.tabs
    assert "Deutsch" in tabs.language.cget("values")
    tabs.language_var.set("日本語")
    save = next(b for b in dialog.buttons.winfo_children() if b.cget("text") == "Save")
    save.invoke()
    from shh_converter.sidecars import config

    assert config.load(environ={}).get("ui.language") == "ja"  # saved in the file
