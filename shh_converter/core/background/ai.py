"""AI background removal: onnxruntime sessions and the U²-Net family's pre/post-processing.

Why not call ``rembg.remove``: importing rembg pulls in pymatting, numba,
scikit-image and pooch (about a second, plus a numba JIT compile that can take
~40 s and wants a writable cache), and ``rembg.remove`` works on whole images
(its CLI even round-trips every result through PNG bytes). The networks only
need a 320x320 (or 1024x1024) normalised tensor, so this module does exactly
what rembg's sessions do for these models -- LANCZOS resize, scale by the
image's maximum, mean/std normalise, min-max the first output, LANCZOS back to
the image size -- with onnxruntime directly. The result matches rembg's own
(tests compare the two on rembg's fixtures). Alpha matting is a numpy guided
filter (:mod:`.refine`).

One session per model per process, created lazily and reused; onnxruntime's
thread count is set deliberately (see :func:`configure`) because the runner
starts several worker processes and each must not claim every core.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageChops

from ..errors import BackgroundRemovalError
from . import models, providers
from .providers import one_line as _one_line

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger(__name__)

THREADS_ENV = "SHH_CONVERTER_AI_THREADS"
INFERENCES_ENV = "SHH_CONVERTER_AI_INFERENCES"  # inferences at once (capacity.plan_ai)
# Measured (docs/performance.md): with the arena, a worker keeps the ~200-450 MB
# peak of an inference resident between images; without it, it is given back.
# No speed difference for u2netp.
ENABLE_CPU_MEM_ARENA = False
# EXTENDED, not ALL: ALL adds NCHWc layout transforms that raise u2netp's peak
# inference memory by ~100 MB for no measurable speed-up on CPU.
GRAPH_OPTIMIZATION = "ORT_ENABLE_EXTENDED"
PARALLEL_MIN_PIXELS = 2_000_000  # below this, threads cost more than they save
REDUCING_GAP = 3.0  # see _network_input

_sessions: dict[str, Any] = {}
_outcomes: dict[str, providers.Outcome] = {}  # what each model's latest session got
_lock = threading.Lock()  # guards _sessions (held while a session is made)
_pool_lock = threading.Lock()  # guards _pool, so resizing need not wait for a session
_threads: int | None = None
# One inference at a time in a process, on all its inference threads: an AI
# worker runs several files at once (see pool), and two runs side by side would
# only split the same cores while doubling the ~190 MB of scratch memory. On
# machines with many cores capacity.plan_ai asks for several at once: each then
# runs alone on a session of its own (its own thread pool), at most that many.
_inference_gate = threading.Lock()
_lanes: threading.Semaphore | None = None  # several at once: at most inferences()
_spare: dict[str, list[Any]] = {}  # several at once: sessions not running now, by model


def configure(workers: int = 1, threads: int | None = None) -> None:
    """Set onnxruntime's intra-op threads for this process: ``threads`` or cores / ``workers``.

    Call before the first image (the runner's worker initialiser). Sessions made
    with another thread count are dropped and re-created on next use.
    """
    global _threads
    wanted = threads or max(1, (os.cpu_count() or 1) // max(1, workers))
    with _lock:
        if wanted != _threads:
            _threads = wanted
            _sessions.clear()
            _spare.clear()


def intra_op_threads() -> int:
    """Inference threads: :func:`configure`, else ``$SHH_CONVERTER_AI_THREADS``, else all cores."""
    if _threads:
        return _threads
    env = os.environ.get(THREADS_ENV, "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)


def inferences() -> int:
    """Inferences at once in this process: ``$SHH_CONVERTER_AI_INFERENCES``, else 1."""
    env = os.environ.get(INFERENCES_ENV, "")
    return int(env) if env.isdigit() and int(env) > 0 else 1


@contextlib.contextmanager
def _inference_slot(name: str, first: Any) -> Iterator[Any]:
    """A session to run one inference on, with no other inference on it meanwhile.

    ``first``: the process's session for ``name`` (:func:`session`). With one
    inference at a time that one is used under a lock; with several, each
    inference takes a session of its own (made on first need, then kept).
    """
    count = inferences()
    if count == 1:
        with _inference_gate:
            yield first
        return
    global _lanes
    with _lock:
        if _lanes is None:
            _lanes = threading.BoundedSemaphore(count)
        lanes = _lanes
    with lanes:
        with _lock:
            spare = _spare.setdefault(name, [first])
            sess = spare.pop() if spare else None
        if sess is None:  # every made one is running: make one more (at most ``count``)
            sess = _create_session(name)
        try:
            yield sess
        finally:
            with _lock:
                _spare.setdefault(name, []).append(sess)


def import_onnxruntime() -> Any:
    """onnxruntime, or a one-line :class:`BackgroundRemovalError` saying why it will not load."""
    # Official onnxruntime builds send usage telemetry over HTTPS unless this is set
    # before onnxruntime starts (its Privacy.md); this app sends nothing.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    try:
        import onnxruntime
    except (ImportError, SystemExit, OSError) as exc:  # a broken install may sys.exit
        msg = f"AI background removal is unavailable: onnxruntime could not be loaded ({exc})"
        raise BackgroundRemovalError(msg) from None
    onnxruntime.set_default_logger_severity(3)
    onnxruntime.disable_telemetry_events()  # builds whose telemetry ignores the variable
    return onnxruntime


def session(name: str) -> Any:
    """The process-wide onnxruntime session for ``name`` (created on first use)."""
    with _lock:
        found = _sessions.get(name)
        if found is None:
            found = _sessions[name] = _create_session(name)
        return found


def release() -> None:
    """Drop this process's sessions and resize threads, and give the freed memory back.

    For a long-lived process (the window, after its AI previews): the next image
    makes the session again (~0.3 s for u2netp). A run in progress keeps its own
    session until it ends.
    """
    global _pool, _lanes
    with _lock:
        _sessions.clear()
        _spare.clear()
        _lanes = None
    with _pool_lock:
        if _pool is not None:
            _pool[1].shutdown(wait=False)
            _pool = None
    gc.collect()
    trim_heap()


def trim_heap() -> None:
    """glibc (Linux) only: return the free parts of the heap to the OS (``malloc_trim``).

    glibc keeps freed memory in its arenas (one per thread that allocated), so a
    process that ran an inference keeps ~100-200 MB resident after dropping it.
    Windows' and macOS's allocators return big blocks themselves; elsewhere a no-op.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols, libc's among them
    except (OSError, AttributeError):  # musl or another libc without malloc_trim
        return


def warm_up(name: str) -> None:
    """Make ``name``'s session now, on a background thread, so the first image need not wait.

    Errors are left for the first image to report (as its own clear message).
    """

    def make() -> None:
        with contextlib.suppress(Exception):
            session(name)

    threading.Thread(target=make, name="model-warm-up", daemon=True).start()


def _create_session(name: str) -> Any:
    path = models.verified_path(name)
    ort = import_onnxruntime()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = intra_op_threads()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.enable_cpu_mem_arena = ENABLE_CPU_MEM_ARENA
    # No planned block either: tensors are freed as soon as they are dead, which
    # lowered the AI batch's peak by ~25 MB and each run by ~10% (bench_rembg.py).
    opts.enable_mem_pattern = False
    opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, GRAPH_OPTIMIZATION)
    opts.log_severity_level = 3
    # onnxruntime's threads otherwise busy-wait after each run, stealing the cores
    # that the mask upscale, cut-out and encoding need next (12 MP: ~20 ms per image).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    cache_name = f"{name}-{models.get_info(name).checksum.partition(':')[2][:12]}"
    try:
        made, got = providers.open_session(ort, path, opts, cache_name)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        msg = f"could not load model {name}: {_one_line(exc)}"
        raise BackgroundRemovalError(msg) from exc
    _outcomes[name] = got
    log.info("model %s loaded on %s (%d threads)", name, got.provider, opts.intra_op_num_threads)
    return made


def outcome(name: str) -> providers.Outcome | None:
    """Where ``name``'s session in this process runs (None before one was made)."""
    return _outcomes.get(name)


def probe(name: str) -> providers.Outcome:
    """Make a session for ``name`` as a batch would, only to read back where it runs.

    For the Models page; the session is dropped at once (not kept as :func:`session`).
    """
    _create_session(name)
    gc.collect()
    trim_heap()
    return _outcomes[name]


def _network_input(img: Image.Image, info: models.ModelInfo) -> np.ndarray:
    """[1, 3, S, S] float32, normalised the way rembg's sessions do it."""
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    # reducing_gap: a box pre-reduction first, ~4x faster on 12 MP than a full
    # LANCZOS pass. Identical below ~4x reduction; mask IoU vs rembg 0.9997 on a
    # 12 MP photo, 0.98 on a 20 MP one with a hazy subject (docs/performance.md).
    size = (info.input_size, info.input_size)
    small = resize(rgb, size, reducing_gap=REDUCING_GAP)
    arr: np.ndarray = np.asarray(small, dtype=np.float32)
    arr = arr / np.float32(max(float(arr.max()), 1e-6))
    arr = (arr - np.array(info.mean, np.float32)) / np.array(info.std, np.float32)
    return np.ascontiguousarray(arr.transpose(2, 0, 1)[None], dtype=np.float32)


def resize(
    img: Image.Image, size: tuple[int, int], reducing_gap: float | None = None
) -> Image.Image:
    """LANCZOS resize, in horizontal strips on :func:`intra_op_threads` threads for big images.

    Pillow releases the GIL while resampling, and a strip resized with ``box`` sees
    the same neighbouring source pixels, so the result equals one call's (to within
    one level on ~0.02% of pixels, from float rounding of the strip boxes).
    """
    threads = intra_op_threads()
    if threads < 2 or max(img.width * img.height, size[0] * size[1]) < PARALLEL_MIN_PIXELS:
        return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)
    width, height = size
    scale = img.height / height
    cuts = [round(height * i / threads) for i in range(threads + 1)]

    def strip(i: int) -> Image.Image:
        box = (0, cuts[i] * scale, img.width, cuts[i + 1] * scale)
        part_size = (width, cuts[i + 1] - cuts[i])
        return img.resize(part_size, Image.Resampling.LANCZOS, box=box, reducing_gap=reducing_gap)

    out = Image.new(img.mode, size)
    for i, part in enumerate(_executor(threads).map(strip, range(threads))):
        out.paste(part, (0, cuts[i]))
    return out


_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor(threads: int) -> ThreadPoolExecutor:
    """One small thread pool per process, re-made if the thread count changes."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != threads:
            if _pool is not None:
                _pool[1].shutdown(wait=False)
            _pool = (threads, ThreadPoolExecutor(threads, thread_name_prefix="bg-resize"))
        return _pool[1]


def predict_mask(img: Image.Image, name: str) -> Image.Image:
    """Saliency mask ("L", same size as ``img``), computed once at model resolution."""
    info = models.get_info(name)
    tensor = _network_input(img, info)  # first: overlaps a session still being made
    sess = session(name)
    feed = {sess.get_inputs()[0].name: tensor}
    try:
        with _inference_slot(name, sess) as free:
            pred = free.run(None, feed)[0][0, 0]
    except Exception as exc:
        msg = f"model {name} failed on this image: {_one_line(exc)}"
        raise BackgroundRemovalError(msg) from exc
    pred = pred.astype(np.float32)
    if info.sigmoid:
        pred = 1.0 / (1.0 + np.exp(-pred))
    lo, hi = float(pred.min()), float(pred.max())
    pred = (pred - lo) / (hi - lo) if hi > lo else np.zeros_like(pred)
    small = Image.fromarray((pred * 255).astype(np.uint8), mode="L")
    return resize(small, img.size)


FAINT = 24  # mask level below which a pixel is haze, not subject (smooth_mask)
FIRM = 128  # mask level the model is fairly sure about (smooth_mask)


def smooth_mask(mask: Image.Image) -> Image.Image:
    """rembg's ``post_process_mask`` idea (opening, Gaussian blur, a short ramp), minus its loss.

    rembg thresholds to hard 0/255 (jagged edges); a 1-2 px ramp keeps them smooth.
    The ramp alone deletes whatever the model marked below ~40 %: a raised arm the
    model sees as half-transparent vanished. So every region that reaches the subject
    (connected through pixels above :data:`FAINT` to one above :data:`FIRM`) keeps at
    least the model's own alpha; only unattached haze and specks are removed.
    """
    from scipy import ndimage

    arr = np.asarray(mask)
    cross = ndimage.generate_binary_structure(2, 1)
    opened = ndimage.grey_opening(arr, footprint=cross)
    blurred = ndimage.gaussian_filter(opened.astype(np.float32), sigma=2)
    ramp = np.clip((blurred - 95.0) * 4.0, 0, 255).astype(np.uint8)
    labels, count = ndimage.label(arr > FAINT)
    attached = np.zeros(count + 1, bool)
    attached[labels[arr >= FIRM]] = True
    attached[0] = False
    kept = np.where(attached[labels], np.maximum(ramp, arr), ramp)
    return Image.fromarray(kept, mode="L")


def apply_mask(img: Image.Image, mask: Image.Image, *, in_place: bool = False) -> Image.Image:
    """Straight-alpha cut-out (an RGBA input's own alpha is kept where it was lower).

    Colour under fully transparent pixels is cleared: the removed background must
    really be gone from the file (not recoverable by dropping the alpha), and the
    PNG/WebP encoders compress the empty area far better (a 20 MP PNG: 11 s -> 1 s).
    ``in_place``: ``img`` (RGB or RGBA) becomes the cut-out; Pillow keeps RGB in
    4 bytes a pixel, so adding alpha needs no second full-size image.
    """
    alpha = mask
    if img.mode == "RGBA":
        alpha = ImageChops.multiply(img.getchannel("A"), mask)
    out = img if in_place and img.mode in ("RGB", "RGBA") else img.convert("RGBA")
    out.putalpha(alpha)
    # A solid fill through a 1-bit mask is a plain per-pixel store: ~3x faster on
    # 12 MP than blending through an "L" mask, and one small extra image.
    out.paste((0, 0, 0, 0), None, alpha.point(_ZERO_TO_FULL, "1"))
    return out


_ZERO_TO_FULL = [255] + [0] * 255  # lookup table: alpha 0 -> 1 (clear), anything else -> 0


def alpha_matting(img: Image.Image, mask: Image.Image, *, in_place: bool = False) -> Image.Image:
    """Refine the edge along the photo's colours (finer hair): a guided filter, numpy only.

    See :mod:`.refine` (it replaced pymatting, whose numba/llvmlite the installed app
    does not ship).
    """
    from .refine import refine_alpha

    return apply_mask(img, refine_alpha(img, mask), in_place=in_place)
