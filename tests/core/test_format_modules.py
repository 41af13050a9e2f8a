"""One format, one module: a format's facts are declared in core/formats/ and nowhere else."""

from __future__ import annotations

import ast

from shh_converter.core import formats
from shh_converter.core.settings import OutputFormat
from tests.support import REPO

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


def test_every_format_has_its_module_and_its_registry_entry() -> None:
    assert set(formats.SPECS) == set(OutputFormat)
    for fmt, spec in formats.SPECS.items():
        module = FORMATS_DIR / f"{fmt.value}.py"
        assert module.is_file(), module
        assert spec is getattr(formats, fmt.value).SPEC
        assert spec.format == fmt and spec.writer is not None and spec.save_options is not None
