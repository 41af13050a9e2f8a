"""Recipes: SPEC and recipe-file parsing (every bad form), built-in sets, naming, collisions."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from support.images import grey_ramp

from shh_converter.core.convert import convert_job
from shh_converter.core.errors import UsageError
from shh_converter.core.plan import plan_batch
from shh_converter.core.presets import BUILTIN, PresetBook
from shh_converter.core.recipe import (
    Recipe,
    builtin_set,
    combine,
    load_recipe_file,
    parse_spec,
)
from shh_converter.core.settings import (
    BackgroundRemoval,
    IfBigger,
    MetadataMode,
    OutputFormat,
    ResizeMode,
    Settings,
)

if TYPE_CHECKING:
    from pathlib import Path

BASE = Settings()


def test_spec_keys_set_the_output() -> None:
    s = parse_spec("jpeg:w=1600,q=82,suffix=-big,max_kb=200,if_bigger=copy-source", BASE)
    assert s.encode.format == OutputFormat.JPEG and s.encode.quality == 82
    assert (s.resize.mode, s.resize.width, s.resize.height) == (ResizeMode.FIT, 1600, None)
    assert s.name_template == "{stem}-big.{ext}" and s.max_kb == 200
    assert s.if_bigger == IfBigger.COPY_SOURCE
    h = parse_spec("webp:h=300", BASE)
    assert (h.resize.mode, h.resize.width, h.resize.height) == (ResizeMode.FIT, None, 300)
    fill = parse_spec("png:w=10,h=20,fit=fill,bg=#ff0000,upscale=false", BASE)
    assert (fill.resize.mode, fill.background, fill.resize.upscale) == (
        ResizeMode.FILL,
        (255, 0, 0),
        False,
    )
    assert parse_spec("jpg", BASE).encode.format == OutputFormat.JPEG  # the usual spelling
    named = parse_spec("webp:name={stem}-{width}w.{ext},w=480", BASE)
    assert named.name_template == "{stem}-{width}w.{ext}"
    assert parse_spec("webp:method=6,lossless=true", BASE).encode.method == 6
    assert parse_spec("ico:ico_sizes=16/32", BASE).encode.ico_sizes == (16, 32)


def test_spec_keeps_the_base_for_what_it_does_not_say() -> None:
    base = Settings(metadata=MetadataMode.KEEP, background_removal=BackgroundRemoval(enabled=True))
    s = parse_spec("webp:w=480", base)
    assert s.metadata == MetadataMode.KEEP and s.background_removal.enabled
    assert s.encode.quality == base.encode.quality


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("", "format"),
        ("bmp", "format"),
        ("webp:w", "not key=value"),
        ("webp:=3", "not key=value"),
        ("webp:w=abc", "w: 'abc' is not a whole number"),
        ("webp:w=0", "w: 0 is not in"),
        ("webp:q=101", "q: 101 is not in 0-100"),
        ("webp:q=true", "q:"),
        ("webp:fit=stretch", "fit: 'stretch'"),
        ("webp:w=10,fit=fill", "fit=fill needs both w and h"),
        ("webp:suffix=a/b", "suffix"),
        ("webp:name={nope}.{ext}", "name:"),
        ("webp:upscale=maybe", "upscale: 'maybe' is not true or false"),
        ("webp:if_bigger=never", "if_bigger: 'never'"),
        ("webp:bg=purple", "bg:"),
        ("webp:max_kb=0", "max_kb: 0"),
        ("webp:colour=red", "unknown key 'colour'"),
        ("webp:method=99", "encode.method = 99 is not between 0 and 6"),
        ("jpeg:subsampling=4:1:1", "encode.subsampling = '4:1:1' is not one of"),
    ],
)
def test_every_bad_spec_is_one_usage_error_naming_the_field(spec: str, names: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_spec(spec, BASE)
    message = str(caught.value)
    assert names in message and repr(spec) in message and "\n" not in message


def test_recipe_files_in_toml_and_json_say_the_same(tmp_path: Path) -> None:
    toml = tmp_path / "web.toml"
    toml.write_text(
        'manifest = "site.webmanifest"\n[defaults]\nq = 70\n'
        '[[outputs]]\nformat = "webp"\nw = 480\nsuffix = "-480"\n'
        '[[outputs]]\nformat = "png"\nw = 192\nh = 192\nfit = "pad"\nname = "icon-192.png"\n',
        encoding="utf-8",
    )
    as_json = tmp_path / "web.json"
    data = {
        "manifest": "site.webmanifest",
        "defaults": {"q": 70},
        "outputs": [
            {"format": "webp", "w": 480, "suffix": "-480"},
            {"format": "png", "w": 192, "h": 192, "fit": "pad", "name": "icon-192.png"},
        ],
    }
    as_json.write_text(json.dumps(data), encoding="utf-8")
    a, b = load_recipe_file(toml, BASE), load_recipe_file(as_json, BASE)
    assert a == b
    assert [o.encode.quality for o in a.outputs] == [70, 70]
    assert a.manifest == "site.webmanifest" and a.outputs[1].resize.mode == ResizeMode.PAD


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[[outputs]\n", "not valid TOML"),
        ("outputs = 3\n", "outputs must be a list"),
        ("outputs = [1]\n", "output 1 must be a table"),
        ("colour = 1\n[[outputs]]\nformat='webp'\n", "unknown key 'colour'"),
        ("[[outputs]]\nformat='webp'\n[[outputs]]\nformat='webp'\nq=500\n", "output 2"),
        ("[[outputs]]\nformat = 'webp'\nencode = {quality = 'high'}\n", "encode.quality"),
        ("", "no outputs"),
    ],
)
def test_every_bad_recipe_file_names_the_output_and_field(
    tmp_path: Path, text: str, names: str
) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_recipe_file(path, BASE)
    assert names in str(caught.value) and "r.toml" in str(caught.value)


def test_a_missing_recipe_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        load_recipe_file(tmp_path / "none.toml", BASE)


def test_built_in_sets() -> None:
    responsive = builtin_set("responsive", BASE)
    shapes = [(o.encode.format, o.resize.width, o.resize.upscale) for o in responsive.outputs]
    assert shapes == [
        (OutputFormat.WEBP, 480, False),
        (OutputFormat.WEBP, 960, False),
        (OutputFormat.WEBP, 1600, False),
        (OutputFormat.JPEG, 1600, False),
    ]
    favicon = builtin_set("favicon", BASE)
    assert favicon.manifest == "{stem}/site.webmanifest"
    assert [o.name_template for o in favicon.outputs] == [
        "{stem}/favicon.ico",
        "{stem}/apple-touch-icon.png",
        "{stem}/icon-192.png",
        "{stem}/icon-512.png",
    ]
    assert favicon.outputs[0].encode.ico_sizes == (16, 32, 48)
    assert all(o.resize.mode == ResizeMode.PAD for o in favicon.outputs)
    assert [o.background for o in favicon.outputs] == [None, (255, 255, 255), None, None]
    social = builtin_set("social", BASE)
    boxes = [(o.resize.width, o.resize.height, o.resize.mode) for o in social.outputs]
    assert boxes == [
        (1200, 630, ResizeMode.FILL),
        (1080, 1080, ResizeMode.FILL),
        (1080, 1920, ResizeMode.FILL),
    ]
    with pytest.raises(UsageError, match="unknown set"):
        builtin_set("banners", BASE)


def test_outputs_must_agree_on_what_is_done_once_per_input() -> None:
    keep = parse_spec("webp", Settings(metadata=MetadataMode.KEEP))
    with pytest.raises(UsageError, match="output 2: metadata differs"):
        combine([Recipe.single(parse_spec("webp", BASE)), Recipe.single(keep)])


def photo(path: Path, size: tuple[int, int] = (640, 480)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    grey_ramp(size).save(path, "JPEG")
    return path


def test_each_input_gets_every_output_named_apart(tmp_path: Path) -> None:
    photo(tmp_path / "in" / "a.jpg", (2000, 1500))
    photo(tmp_path / "in" / "sub" / "a.jpg", (2000, 1500))
    recipe = builtin_set("responsive", BASE)
    plan = plan_batch([tmp_path / "in"], tmp_path / "out", recipe, recursive=True)
    names = [
        [t.path.relative_to(tmp_path / "out").as_posix() for t in j.targets] for j in plan.jobs
    ]
    assert names == [
        ["in/a-480.webp", "in/a-960.webp", "in/a-1600.webp", "in/a-1600.jpg"],
        ["in/sub/a-480.webp", "in/sub/a-960.webp", "in/sub/a-1600.webp", "in/sub/a-1600.jpg"],
    ]
    assert len({t.fingerprint for t in plan.jobs[0].targets}) == 4  # each output its own


def test_names_hold_real_sizes_and_no_file_is_made_twice(tmp_path: Path) -> None:
    """A 640 px photo and a portrait through the responsive set and a {width}x{height} name."""
    small = photo(tmp_path / "in" / "small.jpg", (640, 427))
    tall = photo(tmp_path / "in" / "tall.jpg", (1200, 1800))
    recipe = combine([builtin_set("responsive", BASE), Recipe.single(parse_spec(
        "png:name={stem}-{width}x{height}.{ext}", BASE))])  # fmt: skip
    plan = plan_batch([small, tall], tmp_path / "out", recipe)
    results = [convert_job(job, recipe.shared) for job in plan.jobs]
    made = sorted((tmp_path / "out").glob("*.*"))
    assert [m.name for m in made] == [
        "small-480.webp", "small-640.jpg", "small-640.webp", "small-640x427.png",
        "tall-1200.jpg", "tall-1200.webp", "tall-1200x1800.png", "tall-480.webp",
        "tall-960.webp",
    ]  # fmt: skip
    for m in made:  # the number in each name is the file's real width (and height)
        numbers = [int(n) for n in m.stem.split("-")[1].split("x")]
        with Image.open(m) as im:
            assert list(im.size)[: len(numbers)] == numbers
    digests = [hashlib.sha256(m.read_bytes()).hexdigest() for m in made]
    assert len(set(digests)) == len(digests)
    skipped = [o for r in results for o in r.outputs if o.status == "skipped"]
    assert [(o.error, o.output, o.bytes_out) for o in skipped] == [
        ("same file as small-640.webp: the source is only 640x427", None, 0),
    ]  # the portrait's 1600 px output is its 1200 px one: named so, nothing else like it
    assert all(r.status == "converted" for r in results)


def test_two_outputs_with_one_name_are_a_planning_error_before_any_write(tmp_path: Path) -> None:
    photo(tmp_path / "a.jpg")
    twins = combine([Recipe.single(parse_spec(f"webp:w={w}", BASE)) for w in (480, 960)])
    with pytest.raises(
        UsageError, match=r"outputs 1 and 2 of the recipe would both be named a\.webp"
    ):
        plan_batch([tmp_path / "a.jpg"], tmp_path / "out", twins)
    assert not (tmp_path / "out").exists()


def test_outputs_of_two_inputs_never_collide(tmp_path: Path) -> None:
    photo(tmp_path / "a.jpg")
    photo(tmp_path / "a.png")
    recipe = combine([Recipe.single(parse_spec(s, BASE)) for s in ("webp", "jpeg")])
    plan = plan_batch([tmp_path / "a.jpg", tmp_path / "a.png"], tmp_path / "out", recipe)
    names = [t.path.name for j in plan.jobs for t in j.targets]
    assert names == ["a.webp", "a.jpg", "a (2).webp", "a (2).jpg"]


def test_presets_are_recipes_stored_by_name() -> None:
    store: dict[str, object] = {}

    def save(data: dict[str, object]) -> None:
        store.clear()
        store.update(data)

    book = PresetBook(lambda: store, save)
    assert book.names()[: len(BUILTIN)] == list(BUILTIN)
    mine = builtin_set("social", parse_spec("webp", BASE))
    book.save("Mine", mine)
    assert book.get("Mine") == mine and "Mine" in book.names()
    with pytest.raises(UsageError, match="built-in"):
        book.save("Favicon set", mine)
    store["Broken"] = {"outputs": [{"encode": {"quality": "high"}}]}
    with pytest.raises(UsageError, match=r"preset 'Broken'.*encode\.quality"):
        book.get("Broken")
    store["Old"] = Settings(encode=Settings().encode).to_dict()  # older versions: one Settings
    assert book.get("Old") == Recipe.single(Settings())
    assert book.delete("Mine") and not book.delete("Mine")
