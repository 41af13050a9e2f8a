"""Execution providers: the choice per platform, the read-back, and never a silent CPU.

The choice is a pure function of the setting and the providers an onnxruntime
build lists; it is checked with the lists of the real wheels of each platform.
The rest runs the real onnxruntime (CPU and Azure here, no GPU) on the real
bundled u2netp: a forced accelerator that this build lacks, one that onnxruntime
drops, and one whose session creation fails all end on CPU with a note in the
log and in the session's outcome.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image
from support import run_cli, run_python

from shh_converter import paths
from shh_converter.core.background import ai as bg_ai
from shh_converter.core.background import providers
from shh_converter.core.background import removal as background
from shh_converter.core.settings import BackgroundRemoval
from shh_converter.sidecars import config, selftest

CPU = providers.CPU
COREML = "CoreMLExecutionProvider"
DML = "DmlExecutionProvider"
CUDA = "CUDAExecutionProvider"
# get_available_providers() of the wheels each platform installs (onnxruntime 1.2x-1.32).
MACOS_WHEEL = [COREML, "AzureExecutionProvider", CPU]
WINDOWS_WHEEL = ["AzureExecutionProvider", CPU]
WINDOWS_DIRECTML = [DML, CPU]
WINDOWS_GPU = ["TensorrtExecutionProvider", CUDA, CPU]
LINUX_GPU = ["TensorrtExecutionProvider", CUDA, CPU]
LINUX_WHEEL = ["AzureExecutionProvider", CPU]


@pytest.mark.parametrize(
    ("available", "platform", "first"),
    [
        (MACOS_WHEEL, "darwin", COREML),
        (WINDOWS_WHEEL, "win32", CPU),
        (WINDOWS_DIRECTML, "win32", DML),
        ([*WINDOWS_GPU, DML], "win32", CUDA),  # onnxruntime-gpu installed on purpose wins
        (LINUX_GPU, "linux", CUDA),
        (LINUX_WHEEL, "linux", CPU),
        (MACOS_WHEEL, "linux", CPU),  # CoreML is asked for on macOS only
    ],
)
def test_auto_asks_for_the_platforms_accelerator_then_cpu(
    available: list[str], platform: str, first: str
) -> None:
    choice = providers.choose("auto", available, platform)
    assert choice.wanted[0] == first
    assert choice.wanted[-1] == CPU and len(set(choice.wanted)) == len(choice.wanted)
    assert choice.note is None  # no accelerator on the machine is no surprise


def test_cpu_setting_never_asks_for_an_accelerator() -> None:
    assert providers.choose("cpu", MACOS_WHEEL, "darwin").wanted == (CPU,)
    assert providers.choose("cpu", LINUX_GPU, "linux").wanted == (CPU,)


def test_a_forced_provider_is_asked_for_on_any_platform() -> None:
    assert providers.choose("cuda", LINUX_GPU, "darwin").wanted == (CUDA, CPU)
    assert providers.choose("directml", WINDOWS_DIRECTML, "win32").wanted == (DML, CPU)


def test_a_forced_provider_this_build_lacks_is_cpu_with_a_note() -> None:
    choice = providers.choose("directml", WINDOWS_WHEEL, "win32")
    assert choice.wanted == (CPU,)
    assert choice.note is not None
    assert DML in choice.note and "running on CPU" in choice.note


def test_a_bad_setting_counts_as_auto(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert providers.preference({providers.PREFERENCE_ENV: "GPU please"}) == "auto"
    assert "GPU please" in caplog.text
    assert providers.preference({providers.PREFERENCE_ENV: " CPU "}) == "cpu"
    assert providers.preference({}) == "auto"


def test_the_config_option_is_the_one_the_workers_read(tmp_path: Any) -> None:
    """Declared with its default; its override variable is the one providers reads."""
    option = config.BY_KEY["performance.ai_provider"]
    assert option.default == "auto"
    assert all(option.valid(v) for v in providers.PREFERENCES)
    assert not option.valid("gpu")
    name = config.ENV_PREFIX + option.key.upper().replace(".", "__")
    assert name == providers.PREFERENCE_ENV
    bad = tmp_path / "config.json"
    bad.write_text('{"performance": {"ai_provider": "quantum"}}', encoding="utf-8")
    cfg = config.load(bad, environ={})
    assert cfg.get("performance.ai_provider") == "auto"  # a bad value never stops the start
    assert any("ai_provider" in w for w in cfg.warnings)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """No session or outcome left from another test."""
    monkeypatch.setattr(bg_ai, "_sessions", {})
    monkeypatch.setattr(bg_ai, "_spare", {})
    monkeypatch.setattr(bg_ai, "_outcomes", {})


def _cut_out() -> Image.Image:
    img = Image.new("RGB", (96, 64), (30, 90, 200))
    img.paste((240, 200, 40), (30, 16, 66, 48))
    return background.remove_background(img, BackgroundRemoval(enabled=True))


def test_auto_here_reads_back_cpu(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(providers.PREFERENCE_ENV, raising=False)
    assert _cut_out().mode == "RGBA"
    got = bg_ai.outcome("u2netp")
    assert got is not None
    assert got.providers == (CPU,) and got.provider == CPU
    assert got.note is None


def test_forced_coreml_missing_here_runs_on_cpu_with_a_note(
    fresh: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(providers.PREFERENCE_ENV, "coreml")
    with caplog.at_level(logging.WARNING, logger="shh_converter"):
        cutout = _cut_out()
    alpha = np.asarray(cutout.getchannel("A"))
    assert alpha[32, 48] > 128 and alpha[4, 4] < 128  # still a real cut-out, on CPU
    got = bg_ai.outcome("u2netp")
    assert got is not None and got.provider == CPU
    assert got.note is not None and COREML in got.note
    assert got.note in caplog.text  # logged as a warning, not only kept


class ListsMore(ModuleType):
    """The real onnxruntime, listing one more provider than it has (a GPU machine's list).

    Sessions are made by the real ``InferenceSession``: what it does with a listed
    provider that is not really there is what is tested.
    """

    def __init__(self, real: Any, extra: str) -> None:
        super().__init__("onnxruntime")
        self._real, self._extra = real, extra

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get_available_providers(self) -> list[str]:
        return [self._extra, *self._real.get_available_providers()]


def _open(monkeypatch: pytest.MonkeyPatch, wish: str, extra: str) -> providers.Outcome:
    monkeypatch.setenv(providers.PREFERENCE_ENV, wish)
    ort = ListsMore(bg_ai.import_onnxruntime(), extra)
    model = paths.bundled_model_path("u2netp")
    session, got = providers.open_session(ort, model, ort.SessionOptions(), "u2netp-test")
    feed = {session.get_inputs()[0].name: np.zeros((1, 3, 320, 320), np.float32)}
    assert session.run(None, feed)[0].shape == (1, 1, 320, 320)  # the CPU session works
    return got


def test_a_listed_provider_that_the_session_drops_is_noted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="shh_converter"):
        got = _open(monkeypatch, "cuda", CUDA)
    assert got.providers == (CPU,)
    assert got.note is not None and CUDA in got.note and "running on CPU" in got.note
    assert got.note in caplog.text


def test_a_provider_whose_session_fails_falls_back_to_cpu_with_a_note(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # onnxruntime refuses to make a session with a provider it does not know at all:
    # the failure a broken GPU install gives, raised by the real InferenceSession.
    monkeypatch.setitem(providers.PROVIDER_NAMES, "cuda", "BrokenGpuExecutionProvider")
    with caplog.at_level(logging.WARNING, logger="shh_converter"):
        got = _open(monkeypatch, "cuda", "BrokenGpuExecutionProvider")
    assert got.providers == (CPU,)
    assert got.note is not None
    # onnxruntime 1.32 honours enable_fallback=0 and raises ("could not load the model");
    # the floor, 1.19, ignores it and falls back itself ("the session got CPU..."):
    # either way the note names the provider and says the CPU runs the model.
    assert "BrokenGpuExecutionProvider" in got.note and "running on CPU" in got.note
    assert got.note in caplog.text


def test_coreml_caches_its_compile_in_the_per_user_cache() -> None:
    ort = bg_ai.import_onnxruntime()
    options = providers._options(COREML, ort, "u2netp-8e83ca70e441")
    folder = paths.cache_dir / "coreml" / f"onnxruntime-{ort.__version__}" / "u2netp-8e83ca70e441"
    assert options == {"ModelCacheDirectory": str(folder)}
    assert folder.is_dir()
    assert providers._options(CPU, ort, "u2netp-8e83ca70e441") == {}


def test_self_test_names_the_provider_and_the_fallback(
    fresh: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(providers.PREFERENCE_ENV, "cuda")
    report = selftest.run(["onnxruntime", "model"])
    details = {c["name"]: c["detail"] for c in report["checks"]}
    assert "cuda: CPUExecutionProvider" in details["onnxruntime"]
    assert "on CPUExecutionProvider" in details["model"]
    assert "note: CUDAExecutionProvider was asked for" in details["model"]
    monkeypatch.setenv(providers.PREFERENCE_ENV, "cpu")
    monkeypatch.setattr(bg_ai, "_sessions", {})
    again = selftest.run(["model"])["checks"][0]["detail"]
    assert "on CPUExecutionProvider" in again and "note" not in again


def test_onnxruntime_telemetry_is_turned_off_before_it_loads() -> None:
    code = (
        "import os, sys\n"
        "from shh_converter.core.background import ai as bg_ai\n"
        "assert 'onnxruntime' not in sys.modules\n"
        "bg_ai.import_onnxruntime()\n"
        "print(os.environ.get('ORT_DISABLE_TELEMETRY'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    done = run_python("-c", code, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_a_batch_on_the_cpu_against_the_setting_says_so(app_home: Any, tmp_path: Any) -> None:
    """Config file -> start-up -> spawned AI worker -> the batch summary and the log."""
    folder = paths.ensure(app_home / "config")
    (folder / "config.json").write_text('{"performance": {"ai_provider": "coreml"}}', "utf-8")
    src = tmp_path / "in.png"
    Image.new("RGB", (120, 80), (30, 90, 200)).save(src)
    env = {k: v for k, v in os.environ.items() if k != providers.PREFERENCE_ENV}
    done = run_cli("convert", str(src), "-o", str(tmp_path / "out"), "--remove-bg", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    notes = [line for line in lines if line.startswith("note: ") and "asked for" in line]
    assert len(notes) == 1 and "CoreMLExecutionProvider was asked for" in notes[0]
    assert "running on CPU" in notes[0] and lines[-1] == notes[0]  # the last line on stderr
    log_text = (app_home / "logs" / "shh-converter.log").read_text("utf-8")
    assert "model u2netp loaded on CPUExecutionProvider" in log_text
    assert "CoreMLExecutionProvider was asked for" in log_text
    plain = run_cli("convert", str(src), "-o", str(tmp_path / "out2"), "--remove-bg",
                    env={**env, providers.PREFERENCE_ENV: "auto"})  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert "asked for" not in plain.stderr


def test_the_windows_summary_line_points_to_the_note() -> None:
    from shh_converter.core.events import BatchFinished
    from shh_converter.core.jobs import JobResult
    from shh_converter.gui.progress import summary_text

    note = "CUDAExecutionProvider could not load the model (out of memory); running on CPU"
    results = tuple(
        JobResult(paths.cache_dir / f"{i}.jpg", None, "converted", ai_note=note) for i in range(3)
    )
    text = summary_text(BatchFinished("b", results, False, 1.0))
    assert text.startswith("Done: 3 converted")
    assert text.endswith(" · AI ran on the CPU, not on the GPU asked for (see the log)")
    plain = (JobResult(paths.cache_dir / "a.jpg", None, "converted"),)
    assert " · " not in summary_text(BatchFinished("b", plain, False, 1.0))
