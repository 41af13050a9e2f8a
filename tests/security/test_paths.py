"""Hostile and awkward names: every output legal on Windows, inside the destination, unique.

Real files with such names are made here (Linux allows all but ``/`` and NUL), planned
and converted; the rules checked are Windows' (the strictest of the three), and
collisions are judged case- and normalisation-insensitively (Windows, macOS).
"""

from __future__ import annotations

import os
import sys
import unicodedata
from pathlib import Path

import pytest
from faultkit import image
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from support import run_cli

from shh_converter.core.naming import output_name
from shh_converter.core.plan import plan_batch
from shh_converter.core.settings import Settings

FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)}
RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"
}
POSIX_ONLY = pytest.mark.skipif(
    sys.platform == "win32", reason="these names cannot exist on Windows"
)

HOSTILE_FILES = [
    *(f"x{c}y.png" for c in '<>:"\\|?*'),
    "tab\tand\nnewline.png",
    "CON.png",
    "aux.png",
    "Com\u00b9.png",
    "CONIN$.png",
    "conout$.jpg",
    "lpt9.png",
    "nul",
    "prn.tar.png",
    "dots...png",
    "trailing space .png",
    "caf\u00e9.png",  # NFC
    "cafe\u0301.png",  # NFD: the same name on macOS
    "Same.png",
    "same.png",  # case-only difference: the same name on Windows and macOS
    "SAME.jpg",
    "L" * 240 + ".png",
]
HOSTILE_FOLDERS = ["CON", "a:b", "trail. ", "dots..", "x" * 200]


def legal_on_windows(part: str) -> bool:
    if not part or part in (".", "..") or any(c in FORBIDDEN for c in part):
        return False
    if part[-1] in ". " or len(part.encode("utf-8")) > 255:
        return False
    return part.split(".")[0].rstrip(" ").upper() not in RESERVED


def collision_key(path: Path) -> str:
    return unicodedata.normalize("NFC", str(path)).casefold()


def check_outputs(outputs: list[Path], dest: Path) -> None:
    keys = [collision_key(p) for p in outputs]
    assert len(set(keys)) == len(keys), "two outputs collide on a case-insensitive disk"
    for out in outputs:
        relative = out.relative_to(dest)  # raises when outside
        assert ".." not in relative.parts
        for part in relative.parts:
            assert legal_on_windows(part), f"not a legal Windows name: {part!r}"


@POSIX_ONLY
def test_hostile_names_planned_legal_inside_and_unique(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "out"
    for name in HOSTILE_FILES:
        image(src / name)
    for folder in HOSTILE_FOLDERS:
        image(src / folder / "CON.png")
        image(src / folder / "con.png")
    plan = plan_batch([src], dest, Settings(), recursive=True)
    outputs = [t.path for j in plan.jobs for t in j.targets]
    assert len(plan.jobs) == len(HOSTILE_FILES) + 2 * len(HOSTILE_FOLDERS)
    assert all(j.error is None for j in plan.jobs), [j.error for j in plan.jobs if j.error]
    check_outputs(outputs, dest)


@POSIX_ONLY
def test_hostile_names_convert_for_real_and_a_rerun_skips_them(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "out"
    for name in HOSTILE_FILES:
        image(src / name)
    image(src / "trail. " / "CON.png")
    done = run_cli("convert", str(src), "--recursive", "-o", str(dest), timeout=300)
    assert done.returncode == 0, done.stderr
    made = [p for p in dest.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert len(made) == len(HOSTILE_FILES) + 1
    check_outputs(made, dest)
    longest = max(len(str(p)) for p in made)
    assert longest > 260  # past Windows' classic MAX_PATH: see docs/reliability.md
    again = run_cli("convert", str(src), "--recursive", "-o", str(dest), timeout=300)
    assert again.returncode == 0 and again.stdout.count("skipped:") == len(made), again.stdout


TEMPLATES = [
    "{stem}.{ext}",
    "../../{stem}",
    "/abs/{name}",
    "C:\\{stem}",
    "{parent}/../{stem}",
    "..",
]


@given(
    name=st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="/\x00"),
        min_size=1,
        max_size=300,
    ),
    template=st.sampled_from(TEMPLATES),
)
@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_name_and_template_gives_a_legal_name_inside(name: str, template: str) -> None:
    dest = Path("/dest")
    rendered = output_name(Settings(name_template=template), Path("/in") / name, 0)
    out = dest / rendered
    check_outputs([out], dest)


def test_undecodable_posix_bytes_become_a_legal_name() -> None:
    name = os.fsdecode(b"bad\xff\xfe.png")
    rendered = output_name(Settings(), Path("/in") / name, 0)
    check_outputs([Path("/dest") / rendered], Path("/dest"))
    rendered.encode("utf-8")  # printable, loggable
