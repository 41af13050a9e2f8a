"""The CLI's recipe contract, in-process: --variant, --set, --recipe, --preset, presets,
--max-kb, --if-bigger, --keep-dates, per-output report entries; per-output resume after
a kill (a real process, killed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support import killed_after_first_file, run_cli
from support.inprocess import cli_in_process

from shh_converter.core.atomic import TEMP_PREFIX


def photo(path: Path, size: tuple[int, int] = (900, 600), seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    base = np.stack([x * 255 / size[0], y * 255 / size[1], np.full(x.shape, 90)], -1)
    pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=92)
    return path


def report_of(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_variants_make_every_output_and_report_each(tmp_path: Path) -> None:
    photo(tmp_path / "src" / "a.jpg")
    photo(tmp_path / "src" / "sub" / "b.jpg", seed=1)
    report = tmp_path / "r.json"
    proc = cli_in_process(
        "convert", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "--recursive",
        "--variant", "webp:w=480,suffix=-480", "--variant", "webp:w=960,suffix=-960",
        "--variant", "jpeg:w=300,q=70", "--report", str(report),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    mirror = tmp_path / "out" / "src"  # the folder given keeps its name under DEST
    made = sorted(p.relative_to(mirror).as_posix() for p in mirror.rglob("*.*"))
    assert [m for m in made if not m.split("/")[-1].startswith(".")] == [
        "a-480.webp", "a-960.webp", "a.jpg", "sub/b-480.webp", "sub/b-960.webp", "sub/b.jpg",
    ]  # fmt: skip
    data = report_of(report)
    assert data["totals"]["files"] == 2 and data["totals"]["outputs"] == 6
    assert [len(data["recipe"]["outputs"])] == [3]
    for entry in data["files"]:
        with Image.open(entry["output"]) as im:
            assert (entry["width"], entry["height"]) == im.size
        assert entry["status"] == "converted" and entry["encodes"] == 1
    widths = [e["width"] for e in data["files"]]
    assert widths == [480, 900, 300, 480, 900, 300]  # 900 px sources: never enlarged to 960
    inputs = data["inputs"]
    assert [i["outputs"] for i in inputs] == [3, 3]
    assert inputs[0]["bytes_out"] == sum(e["bytes_out"] for e in data["files"][:3])


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (("--variant", "webp:w=abc"), "w: 'abc' is not a whole number"),
        (("--variant", "webp:w=1", "--variant", "webp:w=2"), "outputs 1 and 2"),
        (("--format", "webp", "--format", "jpeg"), "--format given 2 times"),
        (("--set", "banners"), "unknown set"),
        (("--preset", "Nope"), "unknown preset 'Nope'"),
        (("--recipe", "missing.toml"), "cannot read"),
        (("--max-kb", "0"), "--max-kb"),
        (("--if-bigger", "never"), "--if-bigger"),
    ],
)
def test_bad_recipe_options_exit_2_with_one_line(
    tmp_path: Path, argv: tuple[str, ...], names: str
) -> None:
    photo(tmp_path / "a.jpg", (50, 40))
    proc = cli_in_process("convert", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "out"), *argv)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0] and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_recipe_file_names_the_output_and_field(tmp_path: Path) -> None:
    photo(tmp_path / "a.jpg", (50, 40))
    recipe = tmp_path / "r.toml"
    recipe.write_text('[[outputs]]\nformat = "webp"\n[[outputs]]\nformat = "png"\nq = 300\n')
    proc = cli_in_process(
        "convert", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--recipe", str(recipe)
    )
    assert proc.returncode == 2
    assert "r.toml: output 2" in proc.stderr and "q: 300" in proc.stderr


def test_set_and_recipe_file_add_outputs_in_order(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (300, 120), (30, 90, 200, 255)).save(logo)
    recipe = tmp_path / "extra.json"
    recipe.write_text(json.dumps({"outputs": [{"format": "webp", "w": 64, "name": "tiny.webp"}]}))
    report = tmp_path / "r.json"
    proc = cli_in_process(
        "convert", str(logo), "-o", str(tmp_path / "site"), "--set", "favicon",
        "--recipe", str(recipe), "--report", str(report),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    names = [
        Path(e["output"]).relative_to(tmp_path / "site").as_posix()
        for e in report_of(report)["files"]
    ]
    assert names == [
        "logo/favicon.ico", "logo/apple-touch-icon.png", "logo/icon-192.png",
        "logo/icon-512.png", "tiny.webp", "logo/site.webmanifest",
    ]  # fmt: skip
    with Image.open(tmp_path / "site" / "logo" / "favicon.ico") as ico:
        assert sorted(ico.info["sizes"]) == [(16, 16), (32, 32), (48, 48)]


@pytest.mark.parametrize("fmt", ["jpeg", "jxl"])
def test_max_kb_is_a_cap_from_the_command_line(tmp_path: Path, fmt: str) -> None:
    src = photo(tmp_path / "a.png", (1600, 1000))  # PNG: a JPEG source makes a lossless JXL
    Image.open(src).save(src, "PNG")
    ext = {"jpeg": "jpg"}.get(fmt, fmt)
    plain = cli_in_process("convert", str(src), "-o", str(tmp_path / "plain"), "--format", fmt)
    assert plain.returncode == 0, plain.stderr
    size = (tmp_path / "plain" / f"a.{ext}").stat().st_size
    report = tmp_path / "r.json"
    for name, kb in (("above", size // 1000 + 20), ("below", size // 2000)):
        proc = cli_in_process(
            "convert", str(src), "-o", str(tmp_path / name), "--format", fmt,
            "--max-kb", str(kb), "--report", str(report),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        entry = report_of(report)["files"][0]
        written = tmp_path / name / f"a.{ext}"
        if name == "above":  # the chosen quality fits: the same file, one encode
            assert written.read_bytes() == (tmp_path / "plain" / f"a.{ext}").read_bytes()
            assert entry["encodes"] == 1 and entry["note"] is None
        else:
            assert 0.9 * kb * 1000 <= written.stat().st_size <= kb * 1000
            assert entry["encodes"] >= 2 and entry["note"].startswith("quality lowered to")


def test_keep_dates_and_if_bigger_from_the_command_line(tmp_path: Path) -> None:
    photo(tmp_path / "a.jpg", (1600, 1000))
    report = tmp_path / "r.json"
    proc = cli_in_process(
        "convert", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "out"), "--format", "jpeg",
        "--keep-dates", "--report", str(report),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out" / "a.jpg"
    assert out.stat().st_mtime_ns == (tmp_path / "a.jpg").stat().st_mtime_ns
    tiny = tmp_path / "tiny.webp"  # a lossy WebP at quality 5: lossless can only be bigger
    Image.open(photo(tmp_path / "t.jpg", (200, 150))).save(tiny, "WEBP", quality=5)
    skip = cli_in_process(
        "convert", str(tiny), "-o", str(tmp_path / "o2"), "--lossless", "--if-bigger", "skip",
        "--report", str(report),
    )  # fmt: skip
    assert skip.returncode == 0, skip.stderr
    entry = report_of(report)["files"][0]
    assert entry["status"] == "skipped" and "not smaller than the source" in entry["error"]
    assert not (tmp_path / "o2" / "tiny.webp").exists()


def test_presets_are_shared_listed_exported_and_imported(tmp_path: Path) -> None:
    listed = cli_in_process("presets", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Favicon set\t(built-in)" in listed.stdout.splitlines()
    shown = cli_in_process("presets", "show", "Responsive images (srcset)")
    assert [o["resize"]["width"] for o in json.loads(shown.stdout)["outputs"]] == [
        480,
        960,
        1600,
        1600,
    ]
    exported = tmp_path / "social.json"
    assert cli_in_process("presets", "export", "Social media sizes", str(exported)).returncode == 0
    imported = cli_in_process("presets", "import", str(exported), "--name", "My social")
    assert imported.returncode == 0, imported.stderr
    assert "My social\t(yours)" in cli_in_process("presets", "list").stdout.splitlines()
    photo(tmp_path / "a.jpg", (1300, 800))
    proc = cli_in_process(
        "convert", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "out"), "--preset", "My social",
        "--quality", "60",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sizes = {p.name: Image.open(p).size for p in (tmp_path / "out").glob("*.jpg")}
    assert sizes == {
        "a-og.jpg": (1200, 630),
        "a-square.jpg": (1080, 1080),
        "a-story.jpg": (1080, 1920),
    }
    assert cli_in_process("presets", "show", "Nope").returncode == 2


def test_report_to_stdout(tmp_path: Path) -> None:
    photo(tmp_path / "a.jpg", (100, 80))
    proc = cli_in_process(
        "convert", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--quiet", "--report", "-"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["files"][0]["status"] == "converted" and not (tmp_path / "-").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="killpg is POSIX-only")
def test_a_killed_recipe_run_resumes_output_by_output(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(8):
        photo(src / f"{i:02d}.jpg", (800, 500), seed=i)
    out = tmp_path / "out"
    slow = "webp:method=5,lossless=true"  # a second or so per file: the kill lands mid-batch
    args = ("convert", str(src), "-o", str(out),
            "--jobs", "1", "--variant", "webp:w=300,suffix=-s", "--variant", slow)  # fmt: skip
    killed_after_first_file(*args)  # runner and worker, no clean-up at all
    out = out / src.name  # where the outputs are: the folder given keeps its name
    # Whole outputs only: a temp the kill cut short (pathlib's glob matches dot files) is
    # the re-run's to remove.
    whole = [p for p in out.glob("*.webp") if not p.name.startswith(TEMP_PREFIX)]
    before = {p.name: p.stat().st_mtime_ns for p in whole}
    assert 2 <= len(before) < 16
    report = tmp_path / "r.json"
    rerun = run_cli(*args, "--report", str(report))
    assert rerun.returncode == 0, rerun.stderr
    status = {Path(e["output"]).name: e["status"] for e in report_of(report)["files"]}
    expected = {f"{i:02d}{s}.webp" for i in range(8) for s in ("-s", "")}
    assert set(status) == expected  # every output once: no "(2)" copies
    for name, mtime in before.items():  # a whole output of the killed run is kept as it is
        if (out / name).stat().st_mtime_ns == mtime:
            assert status[name] == "skipped"
    assert sorted(p.name for p in out.glob("*.webp")) == sorted(expected)
    assert not [p for p in out.iterdir() if p.name.startswith(".shh-partial-")]
    for name in expected:
        with Image.open(out / name) as im:
            im.load()  # every output decodes: nothing half-written under a final name


def test_names_say_real_widths_and_the_report_has_the_picture_html(tmp_path: Path) -> None:
    small = photo(tmp_path / "in" / "small.jpg", (640, 427))
    big = photo(tmp_path / "in" / "big.jpg", (2000, 1000), seed=2)
    report = tmp_path / "r.json"
    proc = cli_in_process(
        "convert", str(small), str(big), "-o", str(tmp_path / "web"), "--set", "responsive",
        "--report", str(report),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = report_of(report)
    written = {
        Path(e["output"]).name: (e["width"], e["height"]) for e in data["files"] if e["output"]
    }
    for name, size in written.items():
        with Image.open(tmp_path / "web" / name) as im:
            assert im.size == size and name.rsplit("-", 1)[1].split(".")[0] == str(size[0])
    assert sorted(written) == [
        "big-1600.jpg", "big-1600.webp", "big-480.webp", "big-960.webp",
        "small-480.webp", "small-640.jpg", "small-640.webp",
    ]  # fmt: skip
    html = {Path(i["source"]).name: i["html"] for i in data["inputs"]}
    assert 'srcset="small-480.webp 480w, small-640.webp 640w"' in html["small.jpg"]
    assert '<img src="small-640.jpg"' in html["small.jpg"] and 'width="640"' in html["small.jpg"]
    assert "big-960.webp 960w" in html["big.jpg"] and "1600w" in html["big.jpg"]
    # A hand-written variant agrees with the set (no enlarging), a {width} name is real.
    proc = cli_in_process(
        "convert", str(small), "-o", str(tmp_path / "v"), "--variant", "webp:w=960",
        "--variant", "png:name={stem}-{width}w.{ext}", "--resize", "none",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with Image.open(tmp_path / "v" / "small.webp") as im:
        assert im.size == (640, 427)
    with Image.open(tmp_path / "v" / "small-640w.png") as im:
        assert im.size == (640, 427)
