"""What the PyInstaller bundle leaves out (imported by ``shh_converter.spec``).

The app imports numpy, scipy.ndimage (+ scipy.special, which it pulls in),
onnxruntime, Pillow, pillow-heif, tkinterdnd2, sv-ttk and small pure-Python
libraries. PyInstaller follows every ``import`` it can see, also lazy ones inside
functions, so without this list the bundle carries whole trees no code path of
the app runs: rembg (the tests' reference only) with pymatting, numba, llvmlite
(~170 MB alone), scikit-image and pooch; the rest of scipy; onnxruntime's
model-conversion tools; test tools. ``tests/test_frozen.py`` proves the bundle
still converts, removes backgrounds (AI and flat colour, alpha matting too) and
opens its window without them.
"""

from __future__ import annotations

# fmt: off
# rembg's dependency tree: the app has its own onnxruntime pipeline (core/background/ai.py)
# and a numpy guided filter for alpha matting (core/background/refine.py).
REMBG_TREE = [
    "rembg", "pymatting", "numba", "llvmlite", "skimage", "pooch", "imageio",
    "networkx", "lazy_loader", "jsonschema", "cv2", "pywt", "imagehash",
]
# scipy: the app uses scipy.ndimage only (core/background/ai.py, core/background/flat.py).
SCIPY_UNUSED = [
    f"scipy.{name}" for name in (
        "cluster", "datasets", "differentiate", "fft", "fftpack", "integrate",
        "interpolate", "io", "linalg", "misc", "odr", "optimize", "signal", "sparse",
        "spatial", "stats", "special._precompute", "_lib.cobyqa",
    )
]
# onnxruntime's converters, quantisers and backends (need onnx, sympy, torch...).
ONNXRUNTIME_TOOLS = [
    "onnxruntime.transformers", "onnxruntime.quantization", "onnxruntime.tools",
    "onnxruntime.backend", "onnx", "sympy", "mpmath",
]
# Development tools that may be installed beside the app.
DEV_TOOLS = [
    "matplotlib", "IPython", "pytest", "_pytest", "hypothesis", "mypy", "ruff",
    "PyInstaller", "setuptools", "pkg_resources", "pandas", "tkinter.test",
]
# GPL-licensed codec bindings (pyproject's optional ``gpl-codecs`` extra): the MIT
# installers do not ship them, even when the build machine has them installed;
# the app refuses those choices where the library is missing.
GPL_CODECS = ["pillow_jxl", "imagequant"]
# fmt: on

EXCLUDES = REMBG_TREE + SCIPY_UNUSED + ONNXRUNTIME_TOOLS + DEV_TOOLS + GPL_CODECS
