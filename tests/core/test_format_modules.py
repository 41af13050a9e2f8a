"""One format, one module: a format's facts are declared in core/formats/ and nowhere else."""

from __future__ import annotations

import ast
import dataclasses

from support import REPO

from shh_converter.core import formats
from shh_converter.core.formats.common_options import CommonOptions
from shh_converter.core.settings import EncodeOptions, OutputFormat

PACKAGE = REPO / "shh_converter"
FORMATS_DIR = PACKAGE / "core" / "formats"


def _format_names() -> dict[str, OutputFormat]:
    """What names a format in code: its value, extension and aliases (lower case, as the
    registry spells them; Pillow's upper-case names are input-side facts)."""
    names: dict[str, OutputFormat] = {}
    for spec in formats.SPECS.values():
        for name in (spec.format.value, spec.extension, *spec.aliases):
            names[name] = spec.format
    return names


def _format_of(node: ast.expr | None, names: dict[str, OutputFormat]) -> OutputFormat | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "OutputFormat"
    ):
        return OutputFormat.__members__.get(node.attr)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return names.get(node.value)
    return None


def declarations(source: str) -> list[tuple[int, set[OutputFormat]]]:
    """Where ``source`` declares facts of formats: a dict keyed by a format (a table of
    writers, option mappers, extensions) or a collection of two or more formats (the
    formats that share a fact). A comparison with one format is a use and passes."""
    names = _format_names()
    found: list[tuple[int, set[OutputFormat]]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            keyed = {f for f in (_format_of(k, names) for k in node.keys) if f is not None}
            if keyed:
                found.append((node.lineno, keyed))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            listed = [f for f in (_format_of(e, names) for e in node.elts) if f is not None]
            if len(listed) >= 2:
                found.append((node.lineno, set(listed)))
    return found


def _option_fields() -> frozenset[str]:
    """The encoder option fields that belong to formats (all but the shared format and
    quality of :class:`CommonOptions`, which every lossy format reads)."""
    common = {f.name for f in dataclasses.fields(CommonOptions)}
    return frozenset(f.name for f in dataclasses.fields(EncodeOptions)) - common


def _is_enum(node: ast.ClassDef) -> bool:
    return any(
        (isinstance(b, ast.Name) and b.id.endswith("Enum"))
        or (isinstance(b, ast.Attribute) and b.attr.endswith("Enum"))
        for b in node.bases
    )


def declared_members(source: str) -> list[tuple[int, str]]:
    """Where ``source`` declares a format's name or options in a class: an enum member
    named after a format or valued with its name (``WEBP = "webp"``), or a class field
    that is one of a format's option fields or named after a format (``webp_method:
    int``). Reading an option (``opts.method``) or a format (``OutputFormat.PNG``) is a
    use and passes."""
    names = _format_names()
    options = _option_fields()
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and _is_enum(node):
                value = stmt.value.value if isinstance(stmt.value, ast.Constant) else None
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and (
                        target.id.lower() in names or value in names
                    ):
                        found.append((stmt.lineno, f"{node.name}.{target.id}"))
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                field = stmt.target.id
                if field in options or field.split("_")[0] in names:
                    found.append((stmt.lineno, f"{node.name}.{field}"))
    return found


def test_the_scan_finds_the_old_tables() -> None:
    """The check can fail: the declarations this issue removed are found."""
    old = (
        "_WRITERS = {OutputFormat.PNG: _write_png, OutputFormat.JPEG: _write_jpeg}\n"
        "_MAPPERS = {OutputFormat.WEBP: _webp_options}\n"
        "ext = {'jpeg': 'jpg'}.get(fmt.value, fmt.value)\n"
        "lossy = fmt in (OutputFormat.JPEG, OutputFormat.AVIF)\n"
    )
    found = sorted(declarations(old), key=lambda item: item[0])
    assert [line for line, _f in found] == [1, 2, 3, 4]
    assert found[0][1] == {OutputFormat.PNG, OutputFormat.JPEG}
    assert declarations("if fmt == OutputFormat.PNG:\n    pass\n") == []


def test_no_format_is_declared_outside_core_formats() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if FORMATS_DIR not in p.parents]
    assert len(modules) > 50  # the whole package was scanned
    found = {
        f"{path.relative_to(REPO)}:{line}": sorted(f.value for f in fmts)
        for path in modules
        for line, fmts in declarations(path.read_text(encoding="utf-8"))
    }
    assert found == {}, f"declare these in core/formats/<format>.py: {found}"


def test_the_member_scan_finds_the_old_declarations() -> None:
    """The check can fail: the enum and the option fields that core/settings.py declared
    before they moved to core/formats/ are found; their uses are not."""
    old = (
        "class OutputFormat(str, enum.Enum):\n"
        "    WEBP = 'webp'\n"
        "    JPEG = 'jpeg'\n"
        "class Kind(enum.Enum):\n"
        "    LOGO = 'png'\n"
        "@dataclass(frozen=True)\n"
        "class EncodeOptions:\n"
        "    quality: int = 82\n"
        "    method: int = ranged(4, 0, 6)\n"
        "    avif_speed: int = ranged(6, 0, 10)\n"
        "    webp_level: int = 3\n"
    )
    assert declared_members(old) == [
        (2, "OutputFormat.WEBP"),
        (3, "OutputFormat.JPEG"),
        (5, "Kind.LOGO"),
        (9, "EncodeOptions.method"),
        (10, "EncodeOptions.avif_speed"),
        (11, "EncodeOptions.webp_level"),
    ]
    uses = (
        "class Job:\n"
        "    fmt: OutputFormat = OutputFormat.PNG\n"
        "    quality: int = 0\n"
        "    def f(self, opts):\n"
        "        return opts.method\n"
    )
    assert declared_members(uses) == []


def test_no_format_name_or_option_is_declared_outside_core_formats() -> None:
    """The goal of issue 22 as stated: a format's name (the OutputFormat members) and its
    options (the EncodeOptions fields) are declared in core/formats/ and nowhere else."""
    modules = [p for p in PACKAGE.rglob("*.py") if FORMATS_DIR not in p.parents]
    assert len(modules) > 50  # the whole package was scanned
    assert _option_fields() >= {"method", "progressive", "avif_speed", "ico_sizes"}
    found = {
        f"{path.relative_to(REPO)}:{line}": what
        for path in modules
        for line, what in declared_members(path.read_text(encoding="utf-8"))
    }
    assert found == {}, f"declare these in core/formats/: {found}"


def test_every_format_has_its_module_and_its_registry_entry() -> None:
    assert set(formats.SPECS) == set(OutputFormat)
    for fmt, spec in formats.SPECS.items():
        module = FORMATS_DIR / f"{fmt.value}.py"
        assert module.is_file(), module
        assert spec is getattr(formats, fmt.value).SPEC
        assert spec.format == fmt and spec.writer is not None and spec.save_options is not None
