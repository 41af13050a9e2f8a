"""``shh-converter watch`` as a real process: lines, the JSON-lines report, clean stops."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from support import REPO, run_cli

from shh_converter.core.atomic import TEMP_PREFIX

pytestmark = [pytest.mark.timeout(180), pytest.mark.skipif(os.name == "nt", reason="POSIX signals")]


def image(path: Path, colour=(200, 40, 40), size=(800, 600)) -> Path:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.effect_noise(size, 50).convert("RGB").save(path)
    return path


class WatchProcess:
    """``python -m shh_converter watch ...`` with its stdout and stderr read line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shh_converter", "watch", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self.sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.sel.register(self.proc.stdout, selectors.EVENT_READ, self.out)
        self.sel.register(self.proc.stderr, selectors.EVENT_READ, self.err)

    def wait_for(self, text: str, stream: str = "out", timeout: float = 60) -> None:
        lines = self.out if stream == "out" else self.err
        deadline = time.monotonic() + timeout
        while not any(text in line for line in lines):
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} in {stream} after {timeout} s: {self.out} {self.err}"
            assert self.proc.poll() is None, f"watch exited early: {self.out} {self.err}"
            self._read(min(left, 0.5))

    def _read(self, timeout: float) -> None:
        for sel_key, _mask in self.sel.select(timeout):
            line = sel_key.fileobj.readline()  # type: ignore[union-attr]
            if line:
                sel_key.data.append(line)
            else:
                self.sel.unregister(sel_key.fileobj)

    def stop(self, signum: int = signal.SIGINT, timeout: float = 60) -> int:
        self.proc.send_signal(signum)
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out.splitlines(keepends=True)
        self.err += err.splitlines(keepends=True)
        return self.proc.returncode


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_watch_prints_a_line_per_file_reports_json_lines_and_stops_cleanly(
    tmp_path: Path, signum: int
) -> None:
    inbox, dest, report = tmp_path / "in", tmp_path / "out", tmp_path / "watch.jsonl"
    inbox.mkdir()
    w = WatchProcess(str(inbox), "-o", str(dest), "--settle", "0.3", "--report", str(report))
    try:
        w.wait_for("watching", stream="err")
        image(tmp_path / "a.png")
        shutil.move(tmp_path / "a.png", inbox / "a.png")
        w.wait_for("converted: ")
        (inbox / "bad.jpg").write_bytes(b"not a picture" * 50)
        w.wait_for("failed: ", stream="err")
    finally:
        code = w.stop(signum)
    assert code == 1, "a file failed during the session"
    assert any("watch stopped: 1 converted, 0 skipped, 1 failed" in e for e in w.err), w.err
    assert not any("Traceback" in e for e in w.err), w.err
    entries = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(Path(e["source"]).name, e["status"]) for e in entries] == [
        ("a.png", "converted"),
        ("bad.jpg", "failed"),
    ]
    mirror = dest / inbox.name  # the watched folder keeps its name under DEST
    assert entries[0]["output"] == str(mirror / "a.webp") and entries[0]["time"]
    assert (mirror / "a.webp").is_file()


def test_stopping_during_a_batch_leaves_nothing_partial(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    staging = tmp_path / "staging"
    for i in range(20):
        image(staging / f"p{i:02d}.png", size=(1200, 900))
    inbox.mkdir()
    w = WatchProcess(str(inbox), "-o", str(dest), "--settle", "0.3")
    try:
        w.wait_for("watching", stream="err")
        os.replace(staging, inbox / "batch")
        w.wait_for("converted: ")
    finally:
        code = w.stop(signal.SIGTERM)
    assert code == 0, w.err
    outputs = list((dest / "in" / "batch").glob("*.webp"))
    assert 0 < len(outputs) < 20, "stopped mid-batch"
    assert not [p for p in dest.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    for output in outputs:  # every output left is whole
        with Image.open(output) as im:
            im.load()
    # The next watch finishes only the rest.
    w = WatchProcess(str(inbox), "-o", str(dest), "--settle", "0.3")
    try:
        deadline = time.monotonic() + 120
        while len(list((dest / "in" / "batch").glob("*.webp"))) < 20:
            assert time.monotonic() < deadline, "the restarted watch did not finish"
            w._read(0.2)
        w.wait_for("converted: ")
    finally:
        w.stop()
    assert sum("converted: " in line for line in w.out) == 20 - len(outputs)


def test_watch_refuses_a_file_or_a_folder_inside_the_destination(tmp_path: Path) -> None:
    image(tmp_path / "a.png")
    done = run_cli("watch", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), timeout=60)
    assert done.returncode == 2 and "is not a folder" in done.stderr
    (tmp_path / "out" / "in").mkdir(parents=True)
    done = run_cli("watch", str(tmp_path / "out" / "in"), "-o", str(tmp_path / "out"), timeout=60)
    assert done.returncode == 2 and "inside the destination" in done.stderr


def test_report_to_stdout_keeps_stdout_for_json_lines(tmp_path: Path) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    image(inbox / "a.png")  # there before the watch starts: the first scan takes it
    w = WatchProcess(str(inbox), "-o", str(dest), "--settle", "0.3", "--report", "-")
    try:
        w.wait_for('"status": "converted"')
    finally:
        code = w.stop()
    assert code == 0, w.err
    entries = [json.loads(line) for line in w.out]  # every stdout line is JSON
    assert [Path(e["source"]).name for e in entries] == ["a.png"]
    assert any("converted: " in line for line in w.err), "the human line moved to stderr"


def test_a_recipe_of_several_outputs_gets_a_report_line_per_output(tmp_path: Path) -> None:
    inbox, dest, report = tmp_path / "in", tmp_path / "out", tmp_path / "r.jsonl"
    image(inbox / "a.png")
    w = WatchProcess(
        str(inbox), "-o", str(dest), "--settle", "0.3", "--report", str(report),
        "--variant", "webp:w=200,suffix=-200", "--variant", "jpeg:w=100",
    )  # fmt: skip
    try:
        w.wait_for("converted: ")
    finally:
        w.stop()
    line = next(x for x in w.out if "converted: " in x)
    mirror = dest / inbox.name  # the watched folder keeps its name under DEST
    assert str(mirror / "a-200.webp") in line and str(mirror / "a.jpg") in line
    entries = [json.loads(x) for x in report.read_text().splitlines()]
    assert [(Path(e["output"]).name, e["width"]) for e in entries] == [
        ("a-200.webp", 200),
        ("a.jpg", 100),
    ]


@pytest.mark.parametrize("existing", ["skip", "convert", None])
def test_existing_images_are_converted_unless_skip_is_asked(
    tmp_path: Path, existing: str | None
) -> None:
    inbox, dest = tmp_path / "in", tmp_path / "out"
    image(inbox / "old.png", size=(200, 150))
    choice = ["--existing", existing] if existing else []  # none: the default, convert
    w = WatchProcess(str(inbox), "-o", str(dest), "--settle", "0.3", *choice)
    try:
        w.wait_for("watching", stream="err")
        image(tmp_path / "new.png", size=(200, 150))
        shutil.move(tmp_path / "new.png", inbox / "new.png")
        w.wait_for("converted: " + str(inbox / "new.png"))
    finally:
        code = w.stop()
    assert code == 0, w.err
    # old.png was there first: had it not been left, it would have been ready and
    # converted before new.png arrived, not after.
    made = sorted(p.name for p in (dest / inbox.name).glob("*.webp"))
    if existing == "skip":
        assert any("leaving 1 image already in the folders" in e for e in w.err), w.err
        assert made == ["new.webp"]
        assert any("watch stopped: 1 converted, 0 skipped" in e for e in w.err), w.err
    else:
        assert not any("leaving" in e for e in w.err), w.err
        assert made == ["new.webp", "old.webp"]
        assert any("watch stopped: 2 converted, 0 skipped" in e for e in w.err), w.err
