"""Background-removal models: the registry, checksums, and on-demand downloads.

``u2netp`` (4.6 MB) ships inside the app, so removal works offline out of the box.
Larger models are downloaded on demand into ``paths.models_dir`` (never the user's
``~/.u2net``), from the URLs rembg publishes, and checked against rembg's published
checksums; :mod:`.downloads` does the HTTP (resume, retry, cancel). Nothing here
touches the network unless :func:`download` is called: converting with a model
that is not installed is a clear error, never a download (the program this
replaces hung for a minute on machines without internet).

Checksums of installed files are verified once per process (cached by path, size
and modification time) before a model is first used, because a damaged file
otherwise surfaces as an obscure onnxruntime crash.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ... import paths
from .. import downloads
from ..errors import BackgroundRemovalError

if TYPE_CHECKING:
    from pathlib import Path

    from ..downloads import ProgressCallback
    from ..events import CancelToken

log = logging.getLogger(__name__)

URL_ENV = "SHH_CONVERTER_MODEL_URL"
DEFAULT_BASE_URL = "https://github.com/danielgatis/rembg/releases/download/v0.0.0/"
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
INSTALLED, BUNDLED, NOT_INSTALLED = "installed", "bundled", "not installed"


class ModelError(BackgroundRemovalError):
    """A model is unknown, missing, damaged, or could not be downloaded."""


class DownloadCancelled(ModelError):
    """The user cancelled a download (nothing was written)."""


@dataclass(frozen=True)
class ModelInfo:
    """One model: where it comes from, how to check it, how to feed it."""

    name: str
    remote_file: str  # file name under the download base URL
    checksum: str  # "md5:<hex>" or "sha256:<hex>", as rembg publishes them
    approx_mb: float
    input_size: int  # square network input
    mean: tuple[float, float, float] = IMAGENET[0]
    std: tuple[float, float, float] = IMAGENET[1]
    sigmoid: bool = False  # raw logits out (BiRefNet) rather than a saliency map
    note: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.name}.onnx"


MODELS: dict[str, ModelInfo] = {
    m.name: m
    for m in (
        ModelInfo("u2netp", "u2netp.onnx", "md5:8e83ca70e441ab06c318d82300c84806", 4.6, 320,
                  note="small and fast (bundled)"),
        ModelInfo("silueta", "silueta.onnx", "md5:55e59e0d8062d2f5d013f4725ee84782", 43, 320,
                  note="u2net pruned to 43 MB"),
        ModelInfo("u2net", "u2net.onnx", "md5:60024c5c889badc19c04ad937298a77b", 176, 320,
                  note="general purpose, better edges"),
        ModelInfo("u2net_human_seg", "u2net_human_seg.onnx",
                  "md5:c09ddc2e0104f800e3e1bb4652583d1f", 176, 320, note="people"),
        ModelInfo("isnet-general-use", "isnet-general-use.onnx",
                  "md5:fc16ebd8b0c10d971d3513d564d01e29", 179, 1024,
                  mean=(0.5, 0.5, 0.5), std=(1.0, 1.0, 1.0), note="general purpose, slower"),
        ModelInfo("isnet-anime", "isnet-anime.onnx", "md5:6f184e756bb3bd901c8849220a83e38e",
                  176, 1024, std=(1.0, 1.0, 1.0), note="anime characters"),
        ModelInfo("birefnet-general-lite", "BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx",
                  "md5:4fab47adc4ff364be1713e97b7e66334", 224, 1024, sigmoid=True,
                  note="high quality, slow"),
    )
}  # fmt: skip


def get_info(name: str) -> ModelInfo:
    """The registry entry for ``name``; :class:`ModelError` listing the known names if unknown."""
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(MODELS)
        msg = f"unknown model {name!r} (known: {known})"
        raise ModelError(msg) from None


def bundled_path(name: str) -> Path | None:
    """The copy shipped inside the app, if there is one."""
    path = paths.bundled_model_path(name)
    return path if path.is_file() else None


def user_path(name: str) -> Path:
    """Where a downloaded model lives (whether or not it is there yet)."""
    return paths.models_dir / get_info(name).file_name


def installed_path(name: str) -> Path | None:
    """The file to load for ``name``: a download in the models folder, else the bundled copy."""
    path = user_path(name)
    if path.is_file():
        return path
    return bundled_path(name)


def file_checksum(path: Path, algorithm: str) -> str:
    """Hex digest of ``path`` read in chunks (a 1 GB model is never read at once)."""
    return downloads.file_digest(path, algorithm)


def checksum_ok(path: Path, checksum: str) -> bool:
    """Whether ``path`` matches ``"md5:<hex>"`` / ``"sha256:<hex>"``."""
    algorithm, _, expected = checksum.partition(":")
    return file_checksum(path, algorithm) == expected.lower()


_verified: set[tuple[str, int, int]] = set()
_verify_lock = threading.Lock()


def verified_path(name: str) -> Path:
    """The installed model file for ``name``, checksum-verified once per process.

    Raises :class:`ModelError` with a one-line message when the model is unknown,
    not installed, or damaged. Never downloads.
    """
    info = get_info(name)
    path = installed_path(name)
    if path is None:
        msg = (
            f"model {name!r} is not installed: download it in Preferences > Models"
            f" or run 'shh-converter models download {name}'"
        )
        raise ModelError(msg)
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _verify_lock:
        if key in _verified:
            return path
        if not checksum_ok(path, info.checksum):
            fix = (
                "reinstall SHH Converter"
                if path == bundled_path(name)
                else f"run 'shh-converter models download {name}' again"
            )
            msg = f"model file {path.name} is damaged (checksum mismatch): {fix}"
            raise ModelError(msg)
        _verified.add(key)
    return path


def base_url(override: str | None = None) -> str:
    """Download base URL: the argument, else ``$SHH_CONVERTER_MODEL_URL``, else rembg's releases."""
    url = override or os.environ.get(URL_ENV) or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


def status(name: str) -> str:
    """``"installed"`` (downloaded), ``"bundled"`` (ships with the app) or ``"not installed"``."""
    if user_path(name).is_file():
        return INSTALLED
    return BUNDLED if bundled_path(name) is not None else NOT_INSTALLED


def partial_bytes(name: str) -> int:
    """Bytes of an interrupted download waiting to be resumed (0 when none)."""
    part = downloads.part_path(user_path(name))
    return part.stat().st_size if part.is_file() else 0


def delete(name: str) -> bool:
    """Remove the downloaded copy of ``name`` (and any unfinished download).

    The bundled copy is part of the app and stays. Returns whether anything was removed.
    """
    target = user_path(name)
    removed = False
    for path in (target, downloads.part_path(target)):
        if path.is_file():
            path.unlink()
            removed = True
    with _verify_lock:
        _verified.difference_update({k for k in _verified if k[0] == str(target)})
    if removed:
        log.info("model %s deleted from %s", name, paths.redact_home(str(target.parent)))
    return removed


def download(
    model: str | ModelInfo,
    *,
    url_base: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    timeout: float = 30.0,
    force: bool = False,
    retry: downloads.RetryPolicy | None = None,
) -> Path:
    """Download ``model`` into ``paths.models_dir``, verify its checksum, return its path.

    The file appears only once complete and verified (see :mod:`.downloads`): a
    dropped connection keeps the part file and is retried, resuming with an HTTP
    range, as is a later call after the app was closed mid-download; a cancel or a
    wrong checksum leaves nothing. ``progress(done, total)`` runs after every chunk
    (``total`` is None when the server sends no length). A copy already there that
    passes its checksum is kept without any network access unless ``force``.
    """
    info = get_info(model) if isinstance(model, str) else model
    url = base_url(url_base) + info.remote_file
    target = paths.ensure(paths.models_dir) / info.file_name
    if not force and target.is_file() and checksum_ok(target, info.checksum):
        log.info("model %s already installed and verified", info.name)
        return target
    log.info("downloading model %s from %s", info.name, url)
    try:
        downloads.fetch_verified(
            url,
            target,
            info.checksum,
            progress=progress,
            cancel=cancel,
            timeout=timeout,
            retry=retry or downloads.RetryPolicy(),
        )
    except downloads.Cancelled:
        log.info("download of model %s cancelled", info.name)
        msg = "download cancelled"
        raise DownloadCancelled(msg) from None
    except downloads.Offline as exc:
        msg = f"could not download {info.name} ({exc})"
        raise ModelError(msg) from None
    except downloads.DownloadFailed as exc:
        msg = f"could not download {info.name}: {exc}"
        raise ModelError(msg) from None
    except OSError as exc:  # the models folder is not writable, the disk is full
        msg = f"could not save {info.name}: {exc.strerror or exc}"
        raise ModelError(msg) from None
    log.info("model %s saved to %s", info.name, paths.redact_home(str(target)))
    return target
