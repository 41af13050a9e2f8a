"""AI removal with the real bundled u2netp model, compared with rembg's own result.

The reference is rembg itself: its published expected outputs and a live
``rembg.remove(..., session=new_session("u2netp"))`` run here with ``U2NET_HOME``
pointed at a temp copy of the model and every socket blocked, so neither side
can download anything.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support import run_python
from support.images import assert_similar

from shh_converter import paths
from shh_converter.core.background import ai as bg_ai
from shh_converter.core.background import foreground, models
from shh_converter.core.background import removal as background
from shh_converter.core.errors import BackgroundRemovalError
from shh_converter.core.settings import BackgroundRemoval

REPO = Path(__file__).resolve().parents[2]
AI = BackgroundRemoval(enabled=True)


class NetworkBlocked(OSError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        msg = f"network access attempted: {args[:2]}"
        raise NetworkBlocked(msg)

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def fresh_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget cached sessions and checksum results (the model file changes per test)."""
    monkeypatch.setattr(bg_ai, "_sessions", {})
    monkeypatch.setattr(models, "_verified", set())


@pytest.fixture(scope="module")
def rembg_session(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("u2net-home")
    shutil.copy(paths.bundled_model_path("u2netp"), home / "u2netp.onnx")
    mp = pytest.MonkeyPatch()
    mp.setenv("U2NET_HOME", str(home))
    mp.setenv("NUMBA_CACHE_DIR", str(tmp_path_factory.mktemp("numba")))
    import rembg

    yield rembg, rembg.new_session("u2netp")
    mp.undo()


def iou(a: Image.Image, b: Image.Image) -> float:
    x = np.asarray(a.convert("RGBA").getchannel("A")) > 127
    y = np.asarray(b.convert("RGBA").getchannel("A")) > 127
    return float((x & y).sum() / max((x | y).sum(), 1))


def load(path: Path) -> Image.Image:
    with Image.open(path) as im:
        im.load()
        loaded: Image.Image = im if im.mode in ("RGB", "RGBA") else im.convert("RGB")
        return loaded


INPUTS = ["anime-girl-1", "car-1", "cloth-1", "plants-1"]


@pytest.mark.parametrize("stem", INPUTS)
def test_alpha_matches_rembg(stem: str, corpus: Path, rembg_session, no_network) -> None:  # type: ignore[no-untyped-def]
    rembg, session = rembg_session
    img = load(next((corpus / "rembg" / "inputs").glob(f"{stem}.*")))
    ours = background.remove_background(img, AI)
    assert ours.mode == "RGBA" and ours.size == img.size
    expected = load(corpus / "rembg" / "expected_u2netp" / f"{stem}.u2netp.png")
    live = rembg.remove(img, session=session)
    assert iou(ours, expected) >= 0.99
    assert iou(ours, live) >= 0.99
    # The subject is really cut out: a sizeable share is transparent and opaque.
    alpha = np.asarray(ours.getchannel("A"))
    assert 0.05 < (alpha > 127).mean() < 0.95


def test_colours_are_kept_straight_and_background_cleared(corpus: Path) -> None:
    """Unlike rembg's composite, RGB is straight (no dark fringe): the source colour where
    the subject is opaque, the subject's own estimated colour on the soft edge; under
    alpha 0 it is cleared, so the removed background is really gone."""
    img = load(corpus / "rembg" / "inputs" / "car-1.jpg")
    out = background.remove_background(img, AI)
    rgba = np.asarray(out)
    alpha = rgba[..., 3]
    kept = (alpha > foreground.EDGE_HIGH) | ((alpha > 0) & (alpha < foreground.EDGE_LOW))
    assert np.array_equal(rgba[..., :3][kept], np.asarray(img)[kept])
    edge = (alpha >= foreground.EDGE_LOW) & (alpha <= foreground.EDGE_HIGH)
    assert edge.sum() > 1000
    assert (rgba[..., :3][edge] != np.asarray(img)[edge]).any(axis=1).mean() > 0.5
    assert (alpha == 0).sum() > 1000
    assert rgba[..., :3][alpha == 0].max() == 0


def test_edge_colours_are_the_subjects_not_the_old_backgrounds() -> None:
    """A red subject with a soft edge on blue: the edge pixels come out red again."""
    h, w = 300, 400
    alpha = np.zeros((h, w), np.float32)
    alpha[:, :200] = 1.0
    alpha[:, 200:208] = np.linspace(1.0, 0.0, 10)[None, 1:-1]  # an 8 px soft edge
    red, blue = np.array([200, 30, 20], np.float32), np.array([20, 40, 220], np.float32)
    mixed = red * alpha[..., None] + blue * (1 - alpha[..., None])
    img = Image.fromarray(np.round(mixed).astype(np.uint8))
    mask = Image.fromarray(np.round(alpha * 255).astype(np.uint8))
    # in place, as the engine calls it: the photo becomes the cut-out
    out = np.asarray(foreground.cutout(img.copy(), mask, in_place=True)).astype(np.float32)
    edge = (np.asarray(mask) >= foreground.EDGE_LOW) & (np.asarray(mask) <= foreground.EDGE_HIGH)
    error = np.abs(out[..., :3][edge] - red).mean()
    before = np.abs(mixed[edge] - red).mean()
    assert error < 0.25 * before, (error, before)  # measured: 0.15x (blur fusion is approximate)


def test_post_process_never_deletes_a_faint_limb(corpus: Path) -> None:
    """The girl's raised arm, which u2netp marks half-transparent, survives --post-process."""
    img = load(corpus / "rembg" / "examples" / "girl-1.jpg")
    plain = np.asarray(background.remove_background(img, AI).getchannel("A"))
    smooth = background.remove_background(img, BackgroundRemoval(enabled=True, post_process=True))
    post = np.asarray(smooth.getchannel("A"))
    arm = (slice(50, 200), slice(300, 400))  # right of the body: the raised arm only
    assert (plain[arm] > bg_ai.FAINT).mean() > 0.1  # the model sees the arm
    assert (post[arm] > bg_ai.FAINT).mean() >= 0.95 * (plain[arm] > bg_ai.FAINT).mean()
    seen = plain[arm] > bg_ai.FAINT
    assert (post[arm][seen] >= plain[arm][seen]).all()


def test_mask_only_and_trim(corpus: Path) -> None:
    img = load(corpus / "rembg" / "inputs" / "car-1.jpg")
    full = background.remove_background(img, BackgroundRemoval(enabled=True, mask_only=True))
    assert full.mode == "L" and full.size == img.size
    trimmed = background.remove_background(
        img, BackgroundRemoval(enabled=True, mask_only=True, trim=True)
    )
    box = background.trim_box(full, "0")
    assert trimmed.size == (box[2] - box[0], box[3] - box[1])
    assert trimmed.width < img.width or trimmed.height < img.height
    # Everything clearly subject is inside the box.
    outside = np.asarray(full).copy()
    outside[box[1] : box[3], box[0] : box[2]] = 0
    assert outside.max() <= background.TRIM_THRESHOLD


def test_post_process_smooths_but_keeps_subject(corpus: Path) -> None:
    img = load(corpus / "rembg" / "inputs" / "anime-girl-1.jpg")
    plain = background.remove_background(img, AI)
    smooth = background.remove_background(img, BackgroundRemoval(enabled=True, post_process=True))
    assert iou(plain, smooth) >= 0.95
    a, b = (np.asarray(x.getchannel("A")) for x in (plain, smooth))
    assert not np.array_equal(a, b)


def test_one_session_per_model_reused(fresh_sessions) -> None:  # type: ignore[no-untyped-def]
    first = bg_ai.session("u2netp")
    assert bg_ai.session("u2netp") is first
    assert first.get_session_options().intra_op_num_threads == bg_ai.intra_op_threads()


def test_configure_sets_threads_per_worker(fresh_sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bg_ai, "_threads", None)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    bg_ai.configure(workers=4)
    assert bg_ai.intra_op_threads() == 2
    sess = bg_ai.session("u2netp")
    assert sess.get_session_options().intra_op_num_threads == 2


def test_damaged_model_is_a_clear_error(fresh_sessions) -> None:  # type: ignore[no-untyped-def]
    data = paths.bundled_model_path("u2netp").read_bytes()
    target = paths.ensure(paths.models_dir) / "u2netp.onnx"
    target.write_bytes(data[: len(data) // 2])  # a download that was cut short
    with pytest.raises(BackgroundRemovalError, match="damaged") as info:
        background.remove_background(Image.new("RGB", (64, 64)), AI)
    assert "\n" not in str(info.value)


def test_unloadable_model_is_a_clear_error(fresh_sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    junk = b"this is not an onnx model" * 100
    path = paths.ensure(paths.models_dir) / "junk.onnx"
    path.write_bytes(junk)
    import hashlib

    info = models.ModelInfo("junk", "junk.onnx", "md5:" + hashlib.md5(junk).hexdigest(), 0.1, 320)
    monkeypatch.setitem(models.MODELS, "junk", info)
    with pytest.raises(BackgroundRemovalError, match="could not load model junk"):
        background.remove_background(
            Image.new("RGB", (64, 64)), BackgroundRemoval(enabled=True, model="junk")
        )


def test_missing_model_never_downloads(no_network, fresh_sessions) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BackgroundRemovalError, match="models download u2net"):
        background.remove_background(
            Image.new("RGB", (64, 64)), BackgroundRemoval(enabled=True, model="u2net")
        )
    with pytest.raises(BackgroundRemovalError, match="unknown model"):
        background.remove_background(
            Image.new("RGB", (64, 64)), BackgroundRemoval(enabled=True, model="nope")
        )


def test_cold_start_imports_nothing_heavy(corpus: Path, tmp_path: Path) -> None:
    """A fresh process removes a background without importing rembg, pymatting or numba."""
    code = (
        "import sys\n"
        "from PIL import Image\n"
        "from shh_converter.core.background import removal as background\n"
        "from shh_converter.core.settings import BackgroundRemoval\n"
        f"img = Image.open({str(corpus / 'rembg/inputs/car-1.jpg')!r}).convert('RGB')\n"
        "out = background.remove_background(img, BackgroundRemoval(enabled=True))\n"
        "assert out.mode == 'RGBA'\n"
        "heavy = ('rembg', 'pymatting', 'numba', 'skimage', 'pooch')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = run_python("-c", code, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_missing_onnxruntime_is_a_clear_error(tmp_path: Path) -> None:
    """onnxruntime absent (a broken install): a one-line error, not a crash or sys.exit."""
    code = (
        "import sys\n"
        "sys.modules['onnxruntime'] = None  # what an uninstalled package looks like to import\n"
        "from PIL import Image\n"
        "from shh_converter.core.background import removal as background\n"
        "from shh_converter.core.errors import BackgroundRemovalError\n"
        "from shh_converter.core.settings import BackgroundRemoval\n"
        "try:\n"
        "    img = Image.new('RGB', (32, 32))\n"
        "    background.remove_background(img, BackgroundRemoval(enabled=True))\n"
        "except BackgroundRemovalError as exc:\n"
        "    print('ERROR', exc)\n"
    )
    done = run_python("-c", code, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ERROR AI background removal is unavailable")


def test_one_inference_at_a_time_in_a_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An AI worker runs several files on threads; their inferences must take turns."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    real = bg_ai.session("u2netp")
    active, most = [0], [0]
    count = threading.Lock()

    class Watched:
        def get_inputs(self):  # type: ignore[no-untyped-def]
            return real.get_inputs()

        def run(self, *args):  # type: ignore[no-untyped-def]
            with count:
                active[0] += 1
                most[0] = max(most[0], active[0])
            try:
                return real.run(*args)
            finally:
                with count:
                    active[0] -= 1

    monkeypatch.setattr(bg_ai, "session", lambda name: Watched())
    images = [Image.new("RGB", (64 + i, 48), "white") for i in range(6)]
    with ThreadPoolExecutor(3) as threads:
        masks = list(threads.map(lambda im: bg_ai.predict_mask(im, "u2netp"), images))
    assert [m.size for m in masks] == [im.size for im in images]
    assert most[0] == 1


@pytest.mark.slow
def test_alpha_matting_refines_the_edge_without_numba(corpus: Path) -> None:
    """Alpha matting works with numpy alone: no pymatting, numba or scipy.sparse loaded.

    In a fresh process, so an import done elsewhere in the test run cannot hide one.
    """
    code = (
        "import sys, numpy as np\n"
        "from PIL import Image\n"
        "from shh_converter.core.background import removal as background\n"
        "from shh_converter.core.settings import BackgroundRemoval as R\n"
        "img = Image.open(sys.argv[1]).convert('RGB').resize((240, 180))\n"
        "plain = background.remove_background(img, R(enabled=True))\n"
        "matted = background.remove_background(img, R(enabled=True, alpha_matting=True))\n"
        "a = np.asarray(plain.getchannel('A')) > 127\n"
        "b = np.asarray(matted.getchannel('A')) > 127\n"
        "print('iou', (a & b).sum() / (a | b).sum())\n"
        "print('differs', not np.array_equal(plain.getchannel('A'), matted.getchannel('A')))\n"
        "heavy = ('pymatting', 'numba', 'llvmlite', 'scipy.sparse')\n"
        "print('heavy', [m for m in heavy if m in sys.modules])\n"
    )
    src = str(corpus / "rembg" / "inputs" / "car-1.jpg")
    done = run_python("-c", code, src, timeout=280)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.split("\n") if line)
    assert float(lines["iou"]) >= 0.9
    assert lines["differs"] == "True"
    assert lines["heavy"] == "[]"


def test_parallel_resize_matches_single_call(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bg_ai, "_threads", 3)
    rng = np.random.default_rng(5)
    small = Image.fromarray(rng.integers(0, 256, (320, 320), dtype=np.uint8), mode="L")
    big = Image.fromarray(rng.integers(0, 256, (1700, 2300, 3), dtype=np.uint8))
    lanczos = Image.Resampling.LANCZOS
    up = np.asarray(bg_ai.resize(small, (2300, 1700))).astype(int)
    diff = np.abs(up - np.asarray(small.resize((2300, 1700), lanczos)))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.001  # float rounding of strip boxes
    down = bg_ai.resize(big, (320, 320), reducing_gap=bg_ai.REDUCING_GAP)
    ref = big.resize((320, 320), lanczos, reducing_gap=bg_ai.REDUCING_GAP)
    assert_similar(down, ref, max_at_most=1)


def test_apply_mask_keeps_the_lower_alpha_and_clears_hidden_colour() -> None:
    rng = np.random.default_rng(3)
    pixels = rng.integers(1, 256, (40, 50, 4), dtype=np.uint8)
    pixels[:, :10, 3] = 0  # the source is already transparent on the left
    mask = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    mask[30:, :] = 0  # the model removes the bottom rows
    out = np.asarray(bg_ai.apply_mask(Image.fromarray(pixels, "RGBA"), Image.fromarray(mask, "L")))
    want_alpha = (pixels[..., 3].astype(np.uint32) * mask + 127) // 255
    assert_similar(out[..., 3], want_alpha, max_at_most=1)
    hidden = out[..., 3] == 0
    assert hidden[:, :10].all() and hidden[30:].all()
    assert out[..., :3][hidden].max() == 0
    assert np.array_equal(out[..., :3][~hidden], pixels[..., :3][~hidden])


def test_preflight_checks_without_loading_onnxruntime() -> None:
    """The runner's process only looks onnxruntime up: loading it (and numpy) there
    would take ~35 MB from the memory an AI batch's files may use."""
    code = (
        "import sys\n"
        "from shh_converter.core.background import removal as background\n"
        "from shh_converter.core.errors import BackgroundRemovalError\n"
        "from shh_converter.core.settings import BackgroundRemoval\n"
        "background.preflight(BackgroundRemoval(enabled=True))\n"
        "print('LOADED', sorted({'onnxruntime', 'numpy'} & set(sys.modules)))\n"
        "sys.modules['onnxruntime'] = None  # what a broken install looks like to import\n"
        "try:\n"
        "    background.preflight(BackgroundRemoval(enabled=True))\n"
        "except BackgroundRemovalError as exc:\n"
        "    print('ERROR', exc)\n"
    )
    done = run_python("-c", code, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout
    assert "ERROR AI background removal is unavailable: onnxruntime is not installed" in done.stdout


def test_an_inputs_own_transparency_counts_in_the_cut_out(corpus: Path) -> None:
    """An RGBA photo whose left half is already clear: that half stays clear (and
    cleared), the edge estimate runs on the rest, and the mask handed on is the result's."""
    img = load(corpus / "rembg" / "inputs" / "car-1.jpg").convert("RGBA")
    own = np.full((img.height, img.width), 255, np.uint8)
    own[:, : img.width // 2] = 0
    img.putalpha(Image.fromarray(own))
    mask = background.remove_background(img, BackgroundRemoval(enabled=True, mask_only=True))
    assert np.asarray(mask)[:, : img.width // 2].max() == 0
    out = background.remove_background(img, BackgroundRemoval(enabled=True), in_place=True)
    rgba = np.asarray(out)
    assert rgba[:, : img.width // 2].max() == 0
    assert (rgba[:, img.width // 2 :, 3] > 127).mean() > 0.05
