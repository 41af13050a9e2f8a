"""Build ``dist/SHH-Converter-<version>-<arch>.dmg`` from the PyInstaller ``.app`` (macOS only).

    pyinstaller --noconfirm --clean build_scripts/shh_converter.spec
    python installer/macos/make_dmg.py [--sign "Developer ID Application: ..."]

Steps: optional codesign (hardened runtime), then ``hdiutil create`` of a
compressed image holding the app and an /Applications link. ``<arch>`` is the
machine it was built on (``arm64`` or ``x86_64``): the release workflow builds on
both kinds of runner and attaches both images. Notarisation
(``xcrun notarytool submit --wait``) needs an Apple account and is left to the
release machine. Only runs on macOS; it cannot be exercised on the Linux CI.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dist" / "SHH Converter.app"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign", help="codesign identity (omit for an unsigned test build)")
    args = parser.parse_args()
    if sys.platform != "darwin":
        print("make_dmg.py runs on macOS only", file=sys.stderr)
        return 2
    if not APP.is_dir():
        print(f"{APP} not found: run PyInstaller first", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from shh_converter import __version__

    if args.sign:
        subprocess.run(
            [
                "codesign",
                "--deep",
                "--force",
                "--options",
                "runtime",
                "--sign",
                args.sign,
                str(APP),
            ],
            check=True,
        )
    out = ROOT / "dist" / f"SHH-Converter-{__version__}-{platform.machine()}.dmg"
    with tempfile.TemporaryDirectory() as staging_dir:
        staging = Path(staging_dir)
        shutil.copytree(APP, staging / APP.name, symlinks=True)
        (staging / "Applications").symlink_to("/Applications")
        out.unlink(missing_ok=True)
        subprocess.run(
            [
                "hdiutil",
                "create",
                "-volname",
                "SHH Converter",
                "-srcfolder",
                str(staging),
                "-ov",
                "-format",
                "UDZO",
                str(out),
            ],
            check=True,
        )
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
