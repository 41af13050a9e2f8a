"""The Windows version resource of the executables, from the package version.

``shh_converter.spec`` writes it with :func:`write_version_file` and passes it to
``EXE(version=...)``; Explorer's Properties > Details then shows the same version
as ``shh-converter --version``, the installer and the update check.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

# PyInstaller's text format for a VSVersionInfo (read by
# PyInstaller.utils.win32.versioninfo.load_version_info_from_text_file).
TEMPLATE = """# UTF-8
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers},
    prodvers={numbers},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable(
        '040904B0',
        [StringStruct('CompanyName', 'SHH Converter developers'),
         StringStruct('FileDescription', 'SHH Converter'),
         StringStruct('FileVersion', '{version}'),
         StringStruct('InternalName', 'shh-converter'),
         StringStruct('LegalCopyright', 'MIT licence'),
         StringStruct('OriginalFilename', 'SHH Converter.exe'),
         StringStruct('ProductName', 'SHH Converter'),
         StringStruct('ProductVersion', '{version}')])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """``"5.0.0"`` -> (5, 0, 0, 0); a pre-release suffix is dropped (``5.1.0rc1`` -> 5.1.0.0)."""
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3]]
    numbers += [0] * (4 - len(numbers))
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def version_text(version: str) -> str:
    """The resource in PyInstaller's text format."""
    return TEMPLATE.format(numbers=version_tuple(version), version=version)


def write_version_file(path: Path, version: str) -> Path:
    """Write :func:`version_text` to ``path`` (its folder created) and return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(version_text(version), encoding="utf-8")
    return path
