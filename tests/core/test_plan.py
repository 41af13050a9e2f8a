"""Planner: discovery, safe output names, conflicts, destination inside the source."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from shh_converter.core.atomic import TEMP_PREFIX
from shh_converter.core.discover import JUNK_NAMES as JUNK
from shh_converter.core.errors import UsageError
from shh_converter.core.jobs import NOT_AN_IMAGE
from shh_converter.core.naming import output_name, sanitise_part, validate_template
from shh_converter.core.plan import BatchTooLargeError, plan_batch
from shh_converter.core.settings import (
    ConflictPolicy,
    EncodeOptions,
    Limits,
    OutputFormat,
    Settings,
)
from shh_converter.core.state import STATE_NAME, Ledger

if TYPE_CHECKING:
    from pathlib import Path


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def names(jobs) -> list[str]:  # type: ignore[no-untyped-def]
    return [j.output.name for j in jobs]


def test_folder_lists_every_regular_file_but_hidden_and_junk(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in ("b.jpg", "a.png", "notes.txt", "noext", ".hidden.jpg", "Thumbs.db", "desktop.ini"):
        touch(src / name)
    touch(src / f"{TEMP_PREFIX}abc-x.webp")
    touch(src / "sub" / "deep.jpg")
    plan = plan_batch([src], tmp_path / "out", Settings())
    assert [j.source.name for j in plan.jobs] == ["a.png", "b.jpg", "noext", "notes.txt"]
    assert all(j.error is None for j in plan.jobs)
    # Empty files: named like images they are converted (and fail, saying why); others
    # are not images by name or content, so they are skipped (issue 20, item 12).
    reasons = {j.source.name: j.skip_reason for j in plan.jobs}
    assert reasons == {
        "a.png": None,
        "b.jpg": None,
        "noext": NOT_AN_IMAGE,
        "notes.txt": NOT_AN_IMAGE,
    }


def test_explicit_files_are_taken_whatever_their_name(tmp_path: Path) -> None:
    odd = touch(tmp_path / ".secret.jpg")
    text = touch(tmp_path / "readme.txt")
    plan = plan_batch([odd, text], tmp_path / "out", Settings())
    assert [j.source for j in plan.jobs] == [odd, text]


def test_missing_input_is_a_failed_job(tmp_path: Path) -> None:
    ok = touch(tmp_path / "a.jpg")
    plan = plan_batch([tmp_path / "nope.jpg", ok], tmp_path / "out", Settings())
    assert plan.jobs[0].error == "file not found"
    assert plan.jobs[1].error is None
    assert [j.index for j in plan.jobs] == [0, 1]


def test_recursive_mirrors_tree(tmp_path: Path) -> None:
    src = tmp_path / "src"
    touch(src / "a.jpg")
    touch(src / "x" / "y" / "b.jpg")
    touch(src / ".git" / "c.jpg")
    plan = plan_batch([src], tmp_path / "out", Settings(), recursive=True)
    rel = sorted(j.output.relative_to(tmp_path / "out").as_posix() for j in plan.jobs)
    assert rel == ["src/a.webp", "src/x/y/b.webp"]  # the folder keeps its name


def test_same_source_given_twice_is_one_job(tmp_path: Path) -> None:
    a = touch(tmp_path / "src" / "a.jpg")
    plan = plan_batch([a, tmp_path / "src", a], tmp_path / "out", Settings())
    assert len(plan.jobs) == 1


def test_collision_within_batch_is_renamed_in_input_order(tmp_path: Path) -> None:
    a_png = touch(tmp_path / "a.png")
    a_jpg = touch(tmp_path / "a.jpg")
    plan = plan_batch([a_png, a_jpg], tmp_path / "out", Settings())
    assert names(plan.jobs) == ["a.webp", "a (2).webp"]
    # Case-only differences collide on Windows/macOS, so they are renamed everywhere.
    b = touch(tmp_path / "B.jpg")
    b2 = touch(tmp_path / "b.png")
    assert names(plan_batch([b, b2], tmp_path / "out", Settings()).jobs) == ["B.webp", "b (2).webp"]


@pytest.mark.parametrize(
    ("policy", "expected", "skip"),
    [
        ("rename", "a (2).webp", None),
        ("skip", "a.webp", "already exists"),
        ("overwrite", "a.webp", None),
    ],
)
def test_on_conflict_with_a_foreign_file(
    tmp_path: Path, policy: str, expected: str, skip: str | None
) -> None:
    src = touch(tmp_path / "a.jpg")
    touch(tmp_path / "out" / "a.webp", b"someone else's")
    plan = plan_batch([src], tmp_path / "out", Settings(on_conflict=ConflictPolicy(policy)))
    assert names(plan.jobs) == [expected]
    assert plan.jobs[0].skip_reason == skip


def test_source_is_never_a_target_even_with_overwrite(tmp_path: Path) -> None:
    src = touch(tmp_path / "a.webp")
    settings = Settings(on_conflict=ConflictPolicy.OVERWRITE)
    plan = plan_batch([src], tmp_path, settings)
    assert plan.jobs[0].output != src
    assert plan.jobs[0].output.name == "a (2).webp"


def test_destination_inside_source_is_not_walked(tmp_path: Path) -> None:
    src = tmp_path / "src"
    touch(src / "a.jpg")
    touch(src / "out" / "old.webp")
    plan = plan_batch([src], src / "out", Settings(), recursive=True)
    assert [j.source.name for j in plan.jobs] == ["a.jpg"]


def test_destination_equal_to_source_skips_our_outputs(tmp_path: Path) -> None:
    src = tmp_path / "src"
    a = touch(src / "a.jpg")
    out = touch(src / "a.webp", b"made by us")
    ledger = Ledger(src)
    ledger.record(a, out, Settings().fingerprint())
    ledger.save()
    plan = plan_batch([src], src, Settings())
    assert [j.source.name for j in plan.jobs] == ["a.jpg"]
    assert plan.jobs[0].skip_reason == "up to date"
    assert (src / STATE_NAME).is_file()


def test_stale_temps_are_cleaned_in_destination(tmp_path: Path) -> None:
    src = touch(tmp_path / "a.jpg")
    stale = touch(tmp_path / "out" / f"{TEMP_PREFIX}0123456789ab-a.webp")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    plan = plan_batch([src], tmp_path / "out", Settings())
    assert not stale.exists()
    assert plan.removed_temps == 1


def test_max_batch(tmp_path: Path) -> None:
    files = [touch(tmp_path / f"{i}.jpg") for i in range(3)]
    with pytest.raises(BatchTooLargeError, match="limit of 2"):
        plan_batch(files, tmp_path / "out", Settings(limits=Limits(max_batch=2)))
    assert len(plan_batch(files, tmp_path / "out", Settings(limits=Limits(max_batch=3))).jobs) == 3


def test_name_template_fields_and_extension(tmp_path: Path) -> None:
    src = touch(tmp_path / "photos" / "cat.JPG")
    s = Settings(name_template="{parent}-{stem}-{index:03d}.{src_ext}.{ext}")
    assert output_name(s, src, 0) == "photos-cat-001.JPG.webp"
    jpeg = Settings(name_template="{stem}_small", encode=EncodeOptions(format=OutputFormat.JPEG))
    assert output_name(jpeg, src, 0) == "cat_small.jpg"


@pytest.mark.parametrize("template", ["{nope}", "{stem", "{0}", "{stem.upper}", "{index:q}"])
def test_bad_templates_are_usage_errors(template: str) -> None:
    with pytest.raises(UsageError):
        validate_template(template)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CON.webp", "_CON.webp"),
        ("lpt1", "_lpt1"),
        ("a<b>c:d.webp", "a_b_c_d.webp"),
        ("trailing. . ", "trailing"),
        ("..", "_"),
        ("", "_"),
        ('q"?*|.webp', "q____.webp"),
    ],
)
def test_sanitise_part(raw: str, expected: str) -> None:
    assert sanitise_part(raw) == expected


def test_long_names_are_shortened_keeping_extension() -> None:
    part = sanitise_part("é" * 300 + ".webp")
    assert part.endswith(".webp")
    assert len(part.encode("utf-8")) <= 200


def test_template_cannot_escape_destination(tmp_path: Path) -> None:
    src = touch(tmp_path / "a.jpg")
    for template in ("../../{stem}", "/etc/{stem}", "C:\\{stem}", "..\\..\\x\\{stem}"):
        plan = plan_batch([src], tmp_path / "out", Settings(name_template=template))
        out = plan.jobs[0].output
        assert (tmp_path / "out") in out.parents, (template, out)
        assert ".." not in out.parts


# -- properties -------------------------------------------------------------------------

NAME_CHARS = st.characters(
    blacklist_categories=["Cs"], blacklist_characters="/\x00", min_codepoint=32
)
file_names = st.text(NAME_CHARS, min_size=1, max_size=40).filter(
    lambda n: n not in (".", "..") and len(n.encode()) < 200
)
templates = st.sampled_from(
    ["{stem}.{ext}", "{stem}", "../{stem}", "{parent}/{stem}", "{stem}{src_ext}", "x", "/{name}"]
)


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    files=st.lists(file_names, min_size=1, max_size=8, unique_by=lambda n: n.casefold()),
    template=templates,
    policy=st.sampled_from(list(ConflictPolicy)),
    dest_is_src=st.booleans(),
    existing=st.lists(file_names, max_size=3),
)
def test_plan_properties(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[str],
    template: str,
    policy: ConflictPolicy,
    dest_is_src: bool,
    existing: list[str],
) -> None:
    root = tmp_path_factory.mktemp("prop")
    src = root / "src"
    src.mkdir()
    made = []
    for name in files:
        try:
            made.append(touch(src / name))
        except OSError:
            continue  # a name this file system refuses
    dest = src if dest_is_src else root / "out"
    for name in existing:
        out = dest / (sanitise_part(name) + ".webp")
        if not out.exists():
            touch(out, b"existing")
    sources_before = {p: p.read_bytes() for p in src.iterdir() if p.is_file()}
    plan = plan_batch([src], dest, Settings(name_template=template, on_conflict=policy))
    writers = [j for j in plan.jobs if not j.skip_reason and not j.error]
    keys = [str(j.output).casefold() for j in writers]
    assert len(keys) == len(set(keys)), "two jobs share an output"
    source_keys = {str(j.source).casefold() for j in plan.jobs}
    for job in plan.jobs:
        assert dest in job.output.parents, "output outside the destination"
        assert ".." not in job.output.relative_to(dest).parts
        for part in job.output.relative_to(dest).parts:
            assert part == sanitise_part(part), "illegal name part"
    for job in writers:
        assert str(job.output).casefold() not in source_keys, "a source is a target"
        if policy != ConflictPolicy.OVERWRITE:
            assert not job.output.exists(), "would replace an existing file"
    assert {p: p.read_bytes() for p in sources_before} == sources_before  # planning wrote nothing
    visible = {p for p in made if not p.name.startswith(".") and p.name.casefold() not in JUNK}
    assert visible <= {j.source for j in plan.jobs}, "a file was not found"
