"""Self-test: does this installation work? (``shh-converter self-test``)

Checks the per-user folders are writable, the Pillow codecs (those the output
formats' writers need, and HEIC through pillow-heif) round-trip a generated image,
onnxruntime imports (and which execution provider ``performance.ai_provider``
asks for), the bundled model has the right checksum and runs one real inference
on a generated image on the provider a batch would get (read back from the
session, with a note when it fell back to the CPU), and Tk can open a window
(skipped without a display on Linux). The packaging scripts run it on the frozen
app, so it uses nothing from the source tree. Every check reports ``pass``,
``fail`` or ``skip``; the run passes when no check fails.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import __version__, paths

MODEL_MD5 = {"u2netp": "8e83ca70e441ab06c318d82300c84806"}
MODEL_SIDE = 320  # u2netp's input: float32 [1, 3, 320, 320] named "input.1"

Check = Callable[[], tuple[str, str]]  # -> (status, detail)


def _pass(detail: str) -> tuple[str, str]:
    return "pass", detail


def check_folders() -> tuple[str, str]:
    """Each per-user folder can be created and written."""
    for name, folder in paths.all_dirs().items():
        probe = paths.ensure(folder) / f".self-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        if probe.read_bytes() != b"ok":
            return "fail", f"{name} folder did not read back what was written"
        probe.unlink()
    return _pass(", ".join(paths.redact_home(str(p)) for p in paths.all_dirs().values()))


def _sample_image() -> Any:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 48), (20, 120, 200))
    ImageDraw.Draw(img).ellipse((16, 8, 48, 40), fill=(250, 200, 30))
    return img


def _round_trip(fmt: str) -> None:
    from PIL import Image

    img, buf = _sample_image(), io.BytesIO()
    img.save(buf, format=fmt)
    buf.seek(0)
    with Image.open(buf) as back:
        back.load()
        if back.size != img.size:
            msg = f"{fmt} came back as {back.size}, not {img.size}"
            raise ValueError(msg)


def check_codecs() -> tuple[str, str]:
    """The Pillow codec of each output format that needs one (the registry's
    ``pillow_feature``) and HEIC (pillow-heif) encode and decode."""
    import PIL

    from ..core import formats

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        heif = f"pillow-heif {pillow_heif.__version__}"
    except ImportError:
        return "fail", "pillow-heif is missing: HEIC photos cannot be read"
    names = [s.pil_name for s in formats.SPECS.values() if s.pillow_feature] + ["HEIF"]
    failed = []
    for fmt in names:
        try:
            _round_trip(fmt)
        except Exception as exc:
            failed.append(f"{fmt}: {exc}")
    if failed:
        return "fail", "; ".join(failed)
    return _pass(f"Pillow {PIL.__version__}, {heif}: {' '.join(names)}")


def check_onnxruntime() -> tuple[str, str]:
    """onnxruntime imports and has a CPU provider; which provider the setting asks for."""
    from ..core.background import ai as bg_ai
    from ..core.background import providers

    ort = bg_ai.import_onnxruntime()
    available = ort.get_available_providers()
    if providers.CPU not in available:
        return "fail", f"no CPU provider in {available}"
    wish = providers.preference()
    choice = providers.choose(wish, available)
    detail = f"onnxruntime {ort.__version__} ({', '.join(available)}); {wish}: {choice.wanted[0]}"
    return _pass(detail + (f"; note: {choice.note}" if choice.note else ""))


def check_model(name: str = "u2netp") -> tuple[str, str]:
    """The bundled model's checksum, then one real inference on a generated image."""
    import numpy as np

    from ..core.background import ai as bg_ai

    model = paths.bundled_model_path(name)
    if not model.is_file():
        return "fail", f"bundled model missing: {paths.redact_home(str(model))}"
    digest = _md5(model)
    if digest != MODEL_MD5[name]:
        return "fail", f"model checksum {digest} differs from {MODEL_MD5[name]} (damaged file)"
    img = _sample_image().resize((MODEL_SIDE, MODEL_SIDE))
    data = np.asarray(img, dtype=np.float32) / 255.0
    tensor = ((data - 0.5) / 0.25).transpose(2, 0, 1)[None].astype(np.float32)
    session = bg_ai.session(name)  # on the provider a batch gets (providers.py)
    got = bg_ai.outcome(name)
    started = time.perf_counter()
    mask = session.run(None, {session.get_inputs()[0].name: tensor})[0]
    seconds = time.perf_counter() - started
    if mask.shape != (1, 1, MODEL_SIDE, MODEL_SIDE) or not np.isfinite(mask).all():
        return "fail", f"inference gave an unusable mask (shape {mask.shape})"
    low, high = float(mask.min()), float(mask.max())
    where = f"on {got.provider}" if got else "on an unknown provider"
    detail = f"{name} md5 ok, {where}, inference {seconds:.2f}s, mask {low:.2f}..{high:.2f}"
    return _pass(detail + (f"; note: {got.note}" if got and got.note else ""))


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_tk() -> tuple[str, str]:
    """The window's toolkit works: Tk with tkdnd (drag and drop) opens, and an image
    shows through ``ImageTk`` as the preview does (a frozen build can miss either).
    Skipped on Linux without a display."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return "skip", "no display (DISPLAY is not set)"
    from PIL import Image, ImageTk
    from tkinterdnd2 import TkinterDnD

    root = TkinterDnD.Tk()  # raises when the tkdnd Tcl package is missing
    try:
        root.withdraw()
        photo = ImageTk.PhotoImage(Image.new("RGB", (8, 8), (255, 0, 0)), master=root)
        root.update_idletasks()
        version = root.tk.call("info", "patchlevel")
        dnd = root.tk.call("package", "present", "tkdnd")
        del photo
    finally:
        root.destroy()
    return _pass(f"Tk {version}, tkdnd {dnd}, images")


CHECKS: dict[str, Check] = {
    "folders": check_folders,
    "codecs": check_codecs,
    "onnxruntime": check_onnxruntime,
    "model": check_model,
    "tk": check_tk,
}


def run(only: list[str] | None = None) -> dict[str, Any]:
    """Run the checks; a check that raises is a failure with its error as the detail."""
    results = []
    for name, check in CHECKS.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        try:
            status, detail = check()
        except Exception as exc:
            status = "fail"
            detail = f"{type(exc).__name__}: {exc}"
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            if last:
                detail += f" (at {Path(last[0].filename).name}:{last[0].lineno})"
        results.append(
            {
                "name": name,
                "status": status,
                "detail": paths.redact_home(detail),
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
    return {
        "ok": all(r["status"] != "fail" for r in results),
        "version": __version__,
        "python": sys.version.split()[0],
        "os": platform.platform(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "checks": results,
    }
