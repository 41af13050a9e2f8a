"""Where the models run: onnxruntime's execution providers, chosen, asked for and read back.

``performance.ai_provider`` (config) picks: ``auto`` (the default) asks for the
accelerator this onnxruntime has for the platform -- CoreML on macOS (in the
standard wheel), CUDA (``onnxruntime-gpu``) then DirectML (``onnxruntime-directml``)
on Windows, CUDA on Linux -- and CPU where it has none; ``cpu`` never asks for
one; ``coreml``, ``directml`` or ``cuda`` ask for that one alone. CPU is always
last in the list, so what an accelerator cannot run runs on CPU.

Never a silent CPU: the providers a session really got are read back
(``session.get_providers()``: the first one runs the model). When an accelerator
was asked for (or forced) but the session runs on CPU -- not in this onnxruntime,
failed to load the model, dropped by onnxruntime -- the :class:`Outcome` carries
a one-line note that is logged as a warning and shown in the batch summary and
the self-test. onnxruntime's own fallback is turned off (``enable_fallback=0``):
it prints to stdout, which would corrupt an image written to ``-o -``, and it
would retry on CPU without telling anyone.

The setting reaches the worker processes through the environment
(:data:`PREFERENCE_ENV`, the config's own override name for it): start-up sets
it from the config and spawned workers inherit it. Imports no onnxruntime itself.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import paths

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

log = logging.getLogger(__name__)

PREFERENCE_ENV = "SHH_CONVERTER_PERFORMANCE__AI_PROVIDER"  # = config key performance.ai_provider
PREFERENCES = ("auto", "cpu", "coreml", "directml", "cuda")
CPU = "CPUExecutionProvider"
PROVIDER_NAMES = {
    "coreml": "CoreMLExecutionProvider",
    "directml": "DmlExecutionProvider",
    "cuda": "CUDAExecutionProvider",
}
# ``auto``'s order per platform. Windows: CUDA first, because onnxruntime-gpu is
# only there when someone installed it on purpose, for their NVIDIA card.
AUTO_ORDER = {"darwin": ("coreml",), "win32": ("cuda", "directml"), "linux": ("cuda",)}
# CoreML compiles the model on first use; with this option it keeps the compiled
# model for the next session (option name: onnxruntime's CoreML provider options,
# present in the pinned 1.32.0 macOS arm64 wheel).
COREML_CACHE_OPTION = "ModelCacheDirectory"


@dataclass(frozen=True)
class Choice:
    """What to ask onnxruntime for: provider names, best first, CPU last."""

    wanted: tuple[str, ...]
    note: str | None = None  # why a forced accelerator is not among them


@dataclass(frozen=True)
class Outcome:
    """What a session really got (``session.get_providers()``)."""

    providers: tuple[str, ...]
    note: str | None = None  # set when it runs on CPU although an accelerator was wanted

    @property
    def provider(self) -> str:
        """The provider that runs the model (the rest of the graph runs on the others)."""
        return self.providers[0] if self.providers else CPU


def preference(environ: Mapping[str, str] | None = None) -> str:
    """The setting in this process (:data:`PREFERENCE_ENV`); a bad value counts as ``auto``."""
    raw = (os.environ if environ is None else environ).get(PREFERENCE_ENV, "auto")
    value = raw.strip().lower()
    if value in PREFERENCES:
        return value
    log.warning("%s=%r is not one of %s; using auto", PREFERENCE_ENV, raw, ", ".join(PREFERENCES))
    return "auto"


def set_preference(value: str) -> None:
    """Make ``value`` this process's setting and its future workers' (start-up calls it)."""
    os.environ[PREFERENCE_ENV] = value


def choose(wish: str, available: Sequence[str], platform: str | None = None) -> Choice:
    """The providers to ask for, given the setting and what this onnxruntime lists."""
    if wish == "cpu":
        return Choice((CPU,))
    system = platform or sys.platform
    system = "linux" if system.startswith("linux") else system
    keys = AUTO_ORDER.get(system, ()) if wish == "auto" else (wish,)
    found = [PROVIDER_NAMES[k] for k in keys if k in PROVIDER_NAMES]
    usable = [name for name in found if name in available]
    if usable:
        return Choice((usable[0], CPU))
    note = None
    if wish != "auto":  # forced, and not there: say so (auto without one is plain CPU)
        what = found[0] if found else wish
        note = (
            f"{what} was asked for (performance.ai_provider={wish}) but this onnxruntime"
            f" does not have it (it has {', '.join(available) or 'none'}); running on CPU"
        )
    return Choice((CPU,), note)


def open_session(ort: Any, path: Path, opts: Any, cache_name: str) -> tuple[Any, Outcome]:
    """An ``InferenceSession`` for ``path`` on the chosen provider, and what it really got.

    ``cache_name``: the model's name and checksum, naming its CoreML cache folder
    (a changed model file or onnxruntime version never reuses an old compile).
    An accelerator that fails to load the model falls back to CPU with a note; a
    model that CPU cannot load either raises onnxruntime's error.
    """
    choice = choose(preference(), ort.get_available_providers())
    note = choice.note
    made = None
    if choice.wanted[0] != CPU:
        try:
            made = _session(ort, path, opts, choice.wanted, cache_name)
        except Exception as exc:  # onnxruntime raises its own Fail/RuntimeError types
            note = f"{choice.wanted[0]} could not load the model ({one_line(exc)}); running on CPU"
    if made is None:
        made = _session(ort, path, opts, (CPU,), cache_name)
    got = tuple(str(p) for p in made.get_providers())
    if note is None and got and got[0] != choice.wanted[0]:
        note = f"{choice.wanted[0]} was asked for but the session got {got[0]}; running on CPU"
    if note:
        log.warning("model %s: %s", path.stem, note)
    return made, Outcome(got, note)


def _session(ort: Any, path: Path, opts: Any, wanted: Sequence[str], cache_name: str) -> Any:
    asked = [(name, _options(name, ort, cache_name)) for name in wanted]
    return ort.InferenceSession(str(path), sess_options=opts, providers=asked, enable_fallback=0)


def _options(name: str, ort: Any, cache_name: str) -> dict[str, str]:
    if name != PROVIDER_NAMES["coreml"]:
        return {}
    folder = coreml_cache_dir(str(ort.__version__), cache_name)
    try:
        paths.ensure(folder)
    except OSError as exc:  # no cache: CoreML still runs, it compiles the model each time
        log.warning("no CoreML model cache (%s); the model is compiled each time", exc.strerror)
        return {}
    return {COREML_CACHE_OPTION: str(folder)}


def coreml_cache_dir(ort_version: str, cache_name: str) -> Path:
    """Per-user cache folder of one model's CoreML compile, per onnxruntime version."""
    return paths.cache_dir / "coreml" / f"onnxruntime-{ort_version}" / cache_name


def one_line(exc: BaseException) -> str:
    """The first line of an error's text (onnxruntime's run to many), at most 200 characters."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
