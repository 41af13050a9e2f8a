"""``shh-converter convert``: exit codes, output lines, report (the CLI in-process); Ctrl-C, a
hard kill, the progress bar on a terminal and native libraries' noise on the process's
stderr (real processes)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from support import REPO, ctrl_c_after_first_file, killed_after_first_file, run_cli
from support.images import noisy, solid
from support.inprocess import cli_in_process

from shh_converter.cli import build_parser
from shh_converter.cli.convert import recipe_from_args, settings_from_args
from shh_converter.core import formats, presets
from shh_converter.core.atomic import TEMP_PREFIX
from shh_converter.core.errors import UsageError
from shh_converter.core.presets import PresetBook
from shh_converter.core.settings import DEFAULT_SETTINGS, OutputFormat, ResizeMode, Settings

pytestmark = pytest.mark.timeout(300)
REPORT_KEYS = ("source", "output", "status", "error", "bytes_in", "bytes_out", "seconds")


def hashes(folder: Path) -> dict[Path, str]:
    return {
        p: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(TEMP_PREFIX)]


# -- argument handling, in process ----------------------------------------------------------


def parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(["convert", *argv])


def test_settings_from_args_maps_every_flag() -> None:
    args = parse(
        "in", "-o", "out", "--format", "webp", "--quality", "70", "--near-lossless", "60",
        "--alpha-quality", "50", "--method", "5", "--resize", "pad", "--width", "100",
        "--height", "80", "--no-upscale", "--background", "#102030", "--metadata", "keep",
        "--keep-icc", "--animated", "--name-template", "{stem}-x.{ext}", "--on-conflict", "skip",
        "--remove-bg", "--bg-mode", "flat", "--model", "u2netp", "--post-process",
        "--alpha-matting", "--mask-only", "--trim", "--trim-padding", "5%", "--tolerance", "30",
        "--fill-holes",
    )  # fmt: skip
    s = settings_from_args(args)
    assert s.encode.format == OutputFormat.WEBP and s.encode.quality == 70
    assert (s.encode.near_lossless, s.encode.alpha_quality, s.encode.method) == (60, 50, 5)
    assert s.resize.mode == ResizeMode.PAD and (s.resize.width, s.resize.height) == (100, 80)
    assert s.resize.upscale is False and s.background == (0x10, 0x20, 0x30)
    assert s.metadata.value == "keep" and s.keep_icc and s.animated
    assert s.name_template == "{stem}-x.{ext}" and s.on_conflict.value == "skip"
    bg = s.background_removal
    assert bg.enabled and bg.mode.value == "flat" and bg.post_process and bg.alpha_matting
    assert bg.mask_only and bg.trim and bg.trim_padding == "5%" and bg.flat_tolerance == 30
    assert bg.fill_holes


def test_defaults_come_from_the_one_default_recipe() -> None:
    s = settings_from_args(parse("in", "-o", "out"))
    assert (s.encode, s.resize) == (DEFAULT_SETTINGS.encode, DEFAULT_SETTINGS.resize)
    assert recipe_from_args(parse("in", "-o", "out")).outputs == (s,)
    assert PresetBook(dict, lambda d: None).get(presets.DEFAULT).outputs == (DEFAULT_SETTINGS,)
    # The format table's WebP defaults are the same (--quality's help says so).
    assert formats.default_options(OutputFormat.WEBP) == DEFAULT_SETTINGS.encode
    assert Settings().encode == DEFAULT_SETTINGS.encode  # a bad saved value repairs to it
    assert not DEFAULT_SETTINGS.resize.upscale
    assert (
        settings_from_args(parse("in", "-o", "o", "--size", "500")).resize.mode.value == "max-side"
    )


def test_nothing_is_enlarged_unless_asked(tmp_path: Path) -> None:
    """README's first example on a small PNG; the default recipe on a big photo; --upscale."""
    small, big = tmp_path / "in" / "small.png", tmp_path / "in" / "big.jpg"
    small.parent.mkdir()
    Image.new("RGB", (512, 512), (30, 90, 160)).save(small)
    Image.new("RGB", (2400, 1200), (200, 90, 30)).save(big, quality=90)
    example = ("--resize", "max-side", "--size", "1600")
    for name, flags in (("example", example), ("plain", ()), ("up", (*example, "--upscale"))):
        proc = cli_in_process("convert", str(small), str(big), "-o", str(tmp_path / name), *flags)
        assert proc.returncode == 0, proc.stderr
    sizes = {}
    for made in sorted(tmp_path.glob("*/*.webp")):
        with Image.open(made) as im:
            sizes[f"{made.parent.name}/{made.name}"] = im.size
    assert sizes == {
        "example/big.webp": (1600, 800),
        "example/small.webp": (512, 512),
        "plain/big.webp": (1600, 800),  # the default recipe: longest side 1600 px
        "plain/small.webp": (512, 512),
        "up/big.webp": (1600, 800),
        "up/small.webp": (1600, 1600),
    }


@pytest.mark.parametrize(
    "argv",
    [
        ("--resize", "fill", "--width", "10"),
        ("--resize", "max-side"),
        ("--resize", "none", "--width", "10"),
        ("--format", "jpeg", "--lossless"),
        ("--trim",),
        ("--model", "../evil"),
    ],
)
def test_inconsistent_flags_are_usage_errors(argv: tuple[str, ...]) -> None:
    with pytest.raises(UsageError):
        settings_from_args(parse("in", "-o", "out", *argv))


# -- the real command -----------------------------------------------------------------------


def test_converts_and_reports(tmp_path: Path) -> None:
    src = tmp_path / "src"
    solid(src / "a.png", (64, 48))
    solid(src / "b.jpg", (30, 20))
    before = hashes(src)
    report = tmp_path / "r" / "report.json"
    proc = cli_in_process("convert", str(src), "-o", str(tmp_path / "out"), "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.count("converted: ") == 2
    data = json.loads(report.read_text(encoding="utf-8"))
    assert set(data) == {"version", "settings", "recipe", "files", "inputs", "totals"}
    assert data["settings"]["encode"]["format"] == "webp"
    assert [Path(f["source"]).name for f in data["files"]] == ["a.png", "b.jpg"]
    for entry in data["files"]:
        assert set(entry) == {
            "source",
            "output",
            "status",
            "error",
            "note",
            "warnings",
            "bytes_in",
            "bytes_out",
            "width",
            "height",
            "encodes",
            "seconds",
        }
        assert entry["status"] == "converted" and entry["error"] is None
        assert entry["encodes"] == 1 and entry["note"] is None
        assert (entry["width"], entry["height"]) == Image.open(entry["output"]).size
        assert entry["bytes_out"] == Path(entry["output"]).stat().st_size > 0
        assert entry["bytes_in"] == Path(entry["source"]).stat().st_size
    assert data["totals"]["converted"] == 2 and data["totals"]["failed"] == 0
    assert hashes(src) == before


def test_bad_files_fail_with_one_line_each_and_exit_1(tmp_path: Path) -> None:
    src = tmp_path / "src"
    solid(src / "good.png")
    (src / "empty.jpg").write_bytes(b"")
    (src / "text.png").write_text("hello", encoding="utf-8")
    truncated = (src / "good.png").read_bytes()[:60]
    (src / "cut.png").write_bytes(truncated)
    report = tmp_path / "report.json"
    proc = cli_in_process(
        "convert", str(src), str(tmp_path / "gone.jpg"), "-o", str(tmp_path / "out"),
        "--report", str(report),
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    failed = [line for line in proc.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 4, proc.stderr
    for name in ("empty.jpg", "text.png", "cut.png", "gone.jpg"):
        line = next(line for line in failed if name in line)
        reason = line.split(f"{name}: ", 1)[1]
        assert len(reason) > 5 and reason.lower() not in ("error", "failed")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert len(data["files"]) == 5
    assert data["totals"]["failed"] == 4 and data["totals"]["converted"] == 1
    assert not partials(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "src").glob("*.webp")) == ["good.webp"]


def test_quiet_prints_only_errors(tmp_path: Path) -> None:
    solid(tmp_path / "a.png")
    (tmp_path / "bad.png").write_bytes(b"nope")
    proc = cli_in_process(
        "convert", str(tmp_path / "a.png"), str(tmp_path / "bad.png"), "-o",
        str(tmp_path / "out"), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert [line.split(":")[0] for line in proc.stderr.splitlines()] == ["failed"]


@pytest.mark.parametrize(
    "argv",
    [
        ("--quality", "101"),
        ("--format", "bmp"),
        ("--resize", "fill", "--width", "10"),
        ("--background", "purple"),
        ("--name-template", "{nope}.{ext}"),
        ("--jobs", "0"),
        ("--trim-padding", "x"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, argv: tuple[str, ...]) -> None:
    solid(tmp_path / "a.png")
    proc = cli_in_process("convert", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), *argv)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "error" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_destination_flag_and_file_destination(tmp_path: Path) -> None:
    a = solid(tmp_path / "a.png")
    assert cli_in_process("convert", str(a)).returncode == 2
    proc = cli_in_process("convert", str(a), "-o", str(a))
    assert proc.returncode == 2 and "not a folder" in proc.stderr


def test_unicode_names_and_dash_paths(tmp_path: Path) -> None:
    solid(tmp_path / "фото 😀 ü.png")
    solid(tmp_path / "-dash.png")
    proc = cli_in_process("convert", "-o", "out", "--", "фото 😀 ü.png", "-dash.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "фото 😀 ü.webp").is_file()
    assert (tmp_path / "out" / "-dash.webp").is_file()
    proc = cli_in_process("convert", "./-dash.png", "-o", "out2", cwd=tmp_path)
    assert proc.returncode == 0 and (tmp_path / "out2" / "-dash.webp").is_file()


def test_same_stem_inputs_never_overwrite_each_other(tmp_path: Path) -> None:
    solid(tmp_path / "a.jpg", (30, 20))
    solid(tmp_path / "a.png", (50, 40))
    proc = cli_in_process("convert", str(tmp_path / "a.jpg"), str(tmp_path / "a.png"), "-o", "out",
                   cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with Image.open(tmp_path / "out" / "a.webp") as first:
        assert first.size == (30, 20)
    with Image.open(tmp_path / "out" / "a (2).webp") as second:
        assert second.size == (50, 40)


def test_destination_inside_source_twice(tmp_path: Path) -> None:
    src = tmp_path / "src"
    solid(src / "a.png")
    solid(src / "sub" / "b.png")
    before = hashes(src)
    args = ("convert", str(src), "-o", str(src / "out"), "--recursive")
    first = cli_in_process(*args)
    assert first.returncode == 0, first.stderr
    second = cli_in_process(*args, "--report", str(tmp_path / "r.json"))
    assert second.returncode == 0, second.stderr
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [f["status"] for f in data["files"]] == ["skipped", "skipped"]
    assert not (src / "out" / "out").exists()
    assert sorted(p.relative_to(src).as_posix() for p in (src / "out").rglob("*.webp")) == [
        "out/a.webp",
        "out/sub/b.webp",
    ]
    after = hashes(src)
    assert {p: h for p, h in after.items() if p in before} == before


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX-only here")
def test_ctrl_c_exits_130_and_leaves_only_whole_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(16):
        noisy(src / f"{i:02d}.bmp", 900 + i)
    before = hashes(src)
    out = tmp_path / "out"
    code, err = ctrl_c_after_first_file(
        "convert", str(src), "-o", str(out),
        "--method", "6", "--jobs", "2", "--report", str(tmp_path / "r.json"),
    )  # fmt: skip
    assert code == 130, err
    assert "Traceback" not in err
    assert not partials(out)
    written = sorted((out / "src").glob("*.webp"))  # the folder given keeps its name
    assert 1 <= len(written) < 16
    for path in written:
        with Image.open(path) as im:
            im.load()
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["totals"]["cancelled"] is True and len(data["files"]) == 16
    assert sorted(Path(f["output"]) for f in data["files"] if f["status"] == "converted") == written
    assert hashes(src) == before


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX-only")
def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    for i in range(3):
        solid(tmp_path / "src" / f"{i}.png")
    (tmp_path / "src" / "bad.png").write_bytes(b"nope")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "shh_converter", "convert", str(tmp_path / "src"),
             "-o", str(tmp_path / "out")],
            cwd=REPO, stdout=subprocess.PIPE, stderr=slave, text=True, timeout=120,
        )  # fmt: skip
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 1
    assert "4/4" in terminal and "file" in terminal  # tqdm's counter reached the end
    assert "failed: " in terminal and "bad.png" in terminal
    assert "converted: " not in proc.stdout  # no per-file lines when there is a bar


@pytest.mark.skipif(sys.platform == "win32", reason="killpg is POSIX-only")
def test_rerun_after_a_hard_kill_finishes_only_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(12):
        noisy(src / f"{i:02d}.bmp", 900 + i)
    out = tmp_path / "out"
    args = ("convert", str(src), "-o", str(out), "--method", "6", "--jobs", "2")
    assert killed_after_first_file(*args) == -signal.SIGKILL  # the runner and its workers
    written = (out / "src").glob("*.webp")  # with the temps (pathlib matches dot files)
    done_before = {p.name for p in written if not p.name.startswith(TEMP_PREFIX)}
    assert 1 <= len(done_before) < 12
    old = time.time() - 3600  # as if the re-run came later: the killed run's temps are stale
    for temp in partials(out):
        os.utime(temp, (old, old))
    report = tmp_path / "r.json"
    rerun = run_cli(*args, "--report", str(report))
    assert rerun.returncode == 0, rerun.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    status = {Path(f["output"]).name: f["status"] for f in data["files"]}
    assert sorted(status) == [f"{i:02d}.webp" for i in range(12)]  # no "a (2).webp" copies
    assert "skipped" in status.values()
    for name in set(status) - done_before:
        assert status[name] == "converted"
    assert not partials(out)
    assert sorted(p.name for p in (out / "src").glob("*.webp")) == sorted(status)


def test_quiet_hides_native_library_noise(tmp_path: Path, corpus: Path) -> None:
    """libtiff writes ~200 warnings straight to fd 2 for this file; --quiet must show one line."""
    noisy_tiff = corpus / "corrupt" / "crash-2020-10-test.tif"
    proc = run_cli("convert", str(noisy_tiff), "-o", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"failed: {noisy_tiff}: "), proc.stderr[:500]


@pytest.mark.skipif(sys.platform == "win32", reason="Windows forbids newlines in names")
def test_a_newline_in_a_name_keeps_one_line_per_file(tmp_path: Path) -> None:
    bad = tmp_path / "two\nlines.png"
    bad.write_bytes(b"not an image")
    proc = cli_in_process("convert", str(bad), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("failed: ")
