"""Background removal through the real CLI (``convert --remove-bg``), offline.

Every subprocess here (the CLI and its worker processes) runs with a
``sitecustomize`` that makes any network connection raise, so a batch that
works proves removal never reaches for the network.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from support import REPO, run_cli, run_python

from shh_converter import paths
from shh_converter.core.background import removal as background
from shh_converter.core.settings import BackgroundRemoval

BLOCKER = """
import socket

def _blocked(*args, **kwargs):
    raise OSError("network access blocked by the offline test")

socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
"""


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "offline-site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)])
    env["U2NET_HOME"] = str(tmp_path / "must-not-be-used")
    return env


def test_blocker_really_blocks(offline_env: dict[str, str]) -> None:
    code = "import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)"
    done = run_python("-c", code, env=offline_env)
    assert done.returncode != 0 and "blocked by the offline test" in done.stderr


def logo(path: Path) -> Path:
    img = Image.new("RGB", (300, 200), (250, 250, 250))
    d = ImageDraw.Draw(img)
    d.ellipse((40, 30, 160, 170), fill=(200, 20, 20))
    d.rectangle((180, 60, 270, 140), fill=(20, 20, 200))
    img.save(path)
    return path


def alpha_of(path: Path) -> np.ndarray:
    """The alpha a PNG reader sees, also where the optimiser stored a palette or a
    transparent colour key (tRNS) instead of an alpha channel: Pillow 11.3 (the lowest
    version allowed) ignores a key on 1-bit images when converting."""
    with Image.open(path) as im:
        if im.mode in ("RGBA", "LA"):
            return np.asarray(im.getchannel("A"))
        key = im.info.get("transparency")
        assert key is not None, f"no transparency in a {im.mode} PNG"
        if im.mode == "P":
            return np.asarray(im.convert("RGBA").getchannel("A"))
        pixels = np.asarray(im.convert("L") if im.mode == "1" else im)
        key = 255 if im.mode == "1" and key else key
        clear = (pixels == key).all(axis=-1) if pixels.ndim == 3 else pixels == key
        return np.where(clear, 0, 255).astype(np.uint8)


def test_offline_ai_batch_to_transparent_webp(corpus: Path, tmp_path: Path, offline_env) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in"
    shutil.copytree(corpus / "rembg" / "inputs", src)
    out = tmp_path / "out"
    done = run_cli("convert", str(src), "-o", str(out), "--remove-bg", "--format", "webp",
                   "--model", "u2netp", env=offline_env)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = sorted((out / "in").glob("*.webp"))  # the folder given keeps its name
    assert [p.stem for p in outputs] == ["anime-girl-1", "car-1", "cloth-1", "plants-1"]
    for path in outputs:  # really transparent, and the same cut-out as rembg's
        got = alpha_of(path) > 127
        expected = alpha_of(corpus / "rembg" / "expected_u2netp" / f"{path.stem}.u2netp.png") > 127
        assert (~got).mean() > 0.3, path.name
        assert (got & expected).sum() / (got | expected).sum() >= 0.98, path.name
    assert not Path(offline_env["U2NET_HOME"]).exists()
    assert not (paths.models_dir).exists() or not any(paths.models_dir.iterdir())


def test_jpeg_gets_fill_colour_and_trim_boxes_subject(tmp_path: Path, offline_env) -> None:  # type: ignore[no-untyped-def]
    src = logo(tmp_path / "logo.png")
    out = tmp_path / "out"
    done = run_cli("convert", str(src), "-o", str(out), "--remove-bg", "--bg-mode", "flat",
                   "--format", "jpeg", "--background", "#00ff00", "--trim", "--trim-padding", "10",
                   env=offline_env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Image.open(out / "logo.jpg") as im:
        assert im.mode == "RGB"
        assert im.size == (
            230 + 20 + 1,
            140 + 20 + 1,
        )  # subject 40..270 x 30..170, +10 px each side
        corner = np.asarray(im)[:4, :4].reshape(-1, 3).mean(axis=0)
    assert abs(corner[0] - 0) < 20 and corner[1] > 230 and corner[2] < 20


def test_flat_png_keeps_alpha_and_holes_option(tmp_path: Path, offline_env) -> None:  # type: ignore[no-untyped-def]
    img = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(img).ellipse((30, 30, 170, 170), outline="black", width=25)  # an "O"
    img.save(tmp_path / "o.png")
    for flag, centre in (([], 255), (["--fill-holes"], 0)):
        out = tmp_path / f"out{len(flag)}"
        done = run_cli("convert", str(tmp_path / "o.png"), "-o", str(out), "--remove-bg",
                       "--bg-mode", "flat", "--tolerance", "30", "--format", "png", *flag,
                       env=offline_env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        alpha = alpha_of(out / "o.png")
        assert alpha[0, 0] == 0 and alpha[100, 100] == centre and alpha[100, 42] == 255


def test_mask_computed_once_and_resized_with_image(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "rembg" / "inputs" / "cloth-1.jpg"
    out = tmp_path / "out"
    done = run_cli("convert", str(src), "-o", str(out), "--remove-bg", "--format", "png",
                   "--resize", "fit", "--width", "300", "--height", "300")  # fmt: skip
    assert done.returncode == 0, done.stderr
    alpha = alpha_of(out / "cloth-1.png")
    with Image.open(src) as im:
        full = background.remove_background(im.convert("RGB"), BackgroundRemoval(enabled=True))
    expected = np.asarray(full.getchannel("A").resize((alpha.shape[1], alpha.shape[0]))) > 127
    got = alpha > 127
    assert max(alpha.shape) == 300
    assert (got & expected).sum() / (got | expected).sum() >= 0.98


def test_damaged_model_is_one_message_for_the_batch(tmp_path: Path) -> None:
    paths.ensure(paths.models_dir)
    (paths.models_dir / "u2netp.onnx").write_bytes(b"not a model")
    sources = [logo(tmp_path / "logo.png"), logo(tmp_path / "logo2.png")]
    out = tmp_path / "out"
    args = ["convert", *map(str, sources), "-o", str(out), "--remove-bg", "--format", "webp"]
    done = run_cli(*args)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "damaged" in lines[0] and "Traceback" not in done.stderr
    assert not out.exists() or not list(out.glob("*.webp")), "never saved with its background"

    # Only when asked: the batch goes on without removal, saying so once.
    done = run_cli(*args, "--continue-without-bg")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("background removal cannot start") == 1
    with Image.open(out / "logo.webp") as im:
        assert "A" not in im.getbands() or im.getchannel("A").getextrema() == (255, 255)


def test_mask_only_writes_grey_mask(corpus: Path, tmp_path: Path) -> None:
    src = corpus / "rembg" / "inputs" / "car-1.jpg"
    out = tmp_path / "out"
    done = run_cli(
        "convert", str(src), "-o", str(out), "--remove-bg", "--mask-only", "--format", "png"
    )
    assert done.returncode == 0, done.stderr
    with Image.open(out / "car-1.png") as im:
        assert im.mode in ("L", "LA") and im.size == (480, 360)
        values = np.asarray(im.getchannel(0))
    assert values.min() < 10 and values.max() > 245
