"""Helpers shared by the tests (import as ``from support import ...``).

Here: the repository's places, the corpus, real processes (``run_python``, ``run_cli``),
a private Xvfb, ``wait_until``. Beside it: ``support.images`` (test pictures and
``assert_similar``), ``support.web`` (a local HTTP server) and ``support.inprocess``
(the CLI run inside the test process).

Kept out of ``conftest.py`` on purpose: with several ``conftest.py`` files in the
tree, ``import conftest`` would find whichever pytest loaded first.
"""

from __future__ import annotations

import contextlib
import csv
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus")).resolve()
SHARED_MODEL = REPO.parent / "shared" / "models" / "u2netp.onnx"


def manifest_rows() -> list[dict[str, str]]:
    """Rows of the corpus MANIFEST.tsv (file, source, license, kind, expected)."""
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def run_python(*args: str, timeout: float = 300, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` (e.g. ``"-c", code``) in the repository as a real subprocess.

    Text output captured; returns the CompletedProcess.
    """
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=kwargs.pop("cwd", REPO),
        **kwargs,
    )


def run_cli(*args: str, timeout: float = 300, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``python -m shh_converter ARGS`` as a real subprocess; returns CompletedProcess."""
    return run_python("-m", "shh_converter", *args, timeout=timeout, **kwargs)


def ctrl_c_after_first_file(*args: str, timeout: float = 120) -> tuple[int, str]:
    """``python -m shh_converter ARGS`` as a real process, Ctrl-C'd (SIGINT, POSIX) as
    soon as it prints its first ``converted:`` line; its exit code and stderr."""
    import signal

    return _after_first_file(args, lambda proc: proc.send_signal(signal.SIGINT), timeout)


def killed_after_first_file(*args: str, timeout: float = 60) -> int:
    """``python -m shh_converter ARGS`` as a real process in a session of its own,
    SIGKILLed with its workers (the whole group: no clean-up at all, POSIX) as soon as it
    prints its first ``converted:`` line; its exit status."""
    import signal

    def kill_group(proc: subprocess.Popen[str]) -> None:
        os.killpg(proc.pid, signal.SIGKILL)

    return _after_first_file(args, kill_group, timeout, own_session=True)[0]


def _after_first_file(
    args: tuple[str, ...],
    interrupt: Callable[[subprocess.Popen[str]], None],
    timeout: float,
    own_session: bool = False,
) -> tuple[int, str]:
    """The CLI as a real process, ``interrupt`` called once its first file is converted
    (skipped non-images come first, without work); its exit code and stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "shh_converter", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        start_new_session=own_session,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until a file is done
        while line.startswith("skipped: "):
            line = proc.stdout.readline()
        assert line.startswith("converted: "), line
        interrupt(proc)
        _out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Call ``predicate`` until it returns something true, and return that.

    Fails the test, naming ``what``, once ``timeout`` seconds pass without it. It polls
    for a state the test then asserts on; it never stands in for the assertion.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s: {what}"
        time.sleep(interval)


def start_xvfb(screen: str = "1280x800x24") -> tuple[subprocess.Popen[bytes], str]:
    """Start a private Xvfb; return it and its display (``:N``).

    ``-displayfd`` makes Xvfb pick a free display and write its number once it
    accepts clients, so there is no guessing and no sleeping. Raises RuntimeError
    when Xvfb is missing or does not start within 30 s.
    """
    import select
    import shutil

    if not shutil.which("Xvfb"):
        msg = "Xvfb missing: apt-get install -y xvfb (see scripts/test.sh)"
        raise RuntimeError(msg)
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    number = b""
    try:
        while not number.endswith(b"\n"):
            chunk = os.read(read_end, 16) if select.select([read_end], [], [], 30)[0] else b""
            if not chunk:
                proc.kill()
                msg = "Xvfb did not start"
                raise RuntimeError(msg)
            number += chunk
    finally:
        os.close(read_end)
    return proc, ":" + number.decode().strip()


def run_probe_on_screen(script: Path, screen: str, *args: str, **env: str) -> dict[str, Any]:
    """Run the probe ``script`` with ``args`` in a child process on a fresh Xvfb of
    ``screen`` (``"1024x640"``) with ``env`` added; its JSON report (stdout's last line).

    A fresh X server and process per screen: a Tk interpreter keeps its display until
    its process ends, and the window's labels are translated when its modules load.
    """
    import json

    proc, display = start_xvfb(f"{screen}x24")
    try:
        done = run_python(str(script), *args, env={**os.environ, "DISPLAY": display, **env})
    finally:
        proc.terminate()
        proc.wait(10)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@contextlib.contextmanager
def as_display(proc: subprocess.Popen[bytes], display: str) -> Iterator[str]:
    """``display`` (a started Xvfb, see :func:`start_xvfb`) as ``$DISPLAY`` while inside;
    then the server stopped and the old ``$DISPLAY`` back."""
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        proc.terminate()
        proc.wait(10)
        if old is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = old


# -- inputs and their outputs (issue 20: earlier outputs, folder layout) ----------------

SAMPLE_PHOTOS = ("mpl_grace_hopper.jpg", "debian_emblem-debian_256.png", "arrow.heic")


def copy_photos(folder: Path, names: tuple[str, ...] = SAMPLE_PHOTOS) -> list[Path]:
    """Copies of a few corpus photos in ``folder`` (created); the copies, in order."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(CORPUS / "photos" / name, folder / name)) for name in names]


def convert_into(inputs: list[Path], dest: Path, *options: str) -> dict[str, Any]:
    """``shh-converter convert INPUTS -o DEST --report``, in this process; the report.

    Fails the test unless the command exits 0 (the inputs are meant to convert).
    """
    import json
    import tempfile

    from .inprocess import cli_in_process

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = cli_in_process(
            "convert", *map(str, inputs), "-o", str(dest), "--report", str(report), *options
        )
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data


def image_files(folder: Path) -> list[str]:
    """Every non-hidden file under ``folder``, as sorted ``/``-separated relative paths."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def sidecar_folder(folder: Path) -> tuple[Path, Path, list[Path]]:
    """A photo, a JPEG named ``.txt`` and three non-images beside them (xmp, json, txt).

    Returns (the photo, the disguised JPEG, the non-images).
    """
    import shutil

    photo = copy_photos(folder, ("mpl_grace_hopper.jpg",))[0]
    disguised = folder / "scan.txt"
    shutil.copy2(photo, disguised)
    others = [folder / "mpl_grace_hopper.xmp", folder / "album.json", folder / "notes.txt"]
    others[0].write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>\n', encoding="utf-8")
    others[1].write_text('{"title": "holiday"}\n', encoding="utf-8")
    others[2].write_text("printed on matte paper\n", encoding="utf-8")
    return photo, disguised, others


def copy_corpus(folder: Path, sub: str, names: tuple[str, ...]) -> list[Path]:
    """Copies of corpus files ``sub/NAME`` in ``folder`` (created, must not exist)."""
    import shutil

    folder.mkdir(parents=True)
    return [Path(shutil.copy2(CORPUS / sub / name, folder / name)) for name in names]


def upright_size(src: Path) -> tuple[int, int]:
    """``src``'s size as a viewer shows it (EXIF orientations 5-8 swap the sides)."""
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    with Image.open(src) as im:
        w, h = im.size
        return (h, w) if im.getexif().get(0x0112) in (5, 6, 7, 8) else (w, h)


def fitted(size: tuple[int, int], longest: int | None) -> tuple[int, int]:
    """``size`` within ``longest`` px on its longest side (none: as it is), never enlarged."""
    w, h = size
    if longest is None or max(w, h) <= longest:
        return size
    factor = longest / max(w, h)
    return max(1, round(w * factor)), max(1, round(h * factor))
