"""The built wheel works on its own: the bundled model travels inside the package,
so AI background removal is offline out of the box after ``pip install``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support import REPO

pytestmark = pytest.mark.slow

CHECK = """
import json, sys
from shh_converter import paths
print(json.dumps({"module": __import__("shh_converter").__file__,
                  "model": str(paths.bundled_model_path())}))
"""


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from this checkout and unpack it as pip would install it."""
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    source = tmp_path_factory.mktemp("source") / "shh-converter"
    junk = (".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*junk))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(source)],
        check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    wheel = next(out.glob("shh_converter-*.whl"))
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    return target


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(site))  # before the editable checkout on sys.path
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_wheel_carries_the_model_and_finds_it(installed_wheel: Path, tmp_path: Path) -> None:
    done = _run(installed_wheel, tmp_path, "-c", CHECK)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["module"]).is_relative_to(installed_wheel)  # not the source checkout
    model = Path(found["model"])
    assert model.is_relative_to(installed_wheel) and model.stat().st_size > 4_000_000


def test_installed_self_test_runs_the_bundled_model(installed_wheel: Path, tmp_path: Path) -> None:
    done = _run(installed_wheel, tmp_path, "-m", "shh_converter", "self-test", "--only", "model")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    (check,) = [c for c in report["checks"] if c["name"] == "model"]
    assert check["status"] == "pass" and "md5 ok" in check["detail"]


def test_wheel_carries_the_translations(installed_wheel: Path, tmp_path: Path) -> None:
    code = (
        "import os; os.environ.pop('SHH_CONVERTER_UI__LANGUAGE', None);"
        "from shh_converter import i18n; print(i18n.locale_dir());"
        "print(*(i18n.setup(c) + '=' + i18n._('Download') for c in ('de', 'ja')))"
    )
    done = _run(installed_wheel, tmp_path, "-c", code)
    assert done.returncode == 0, done.stderr
    folder, words = done.stdout.splitlines()
    assert Path(folder).is_relative_to(installed_wheel)
    assert words == "de=Herunterladen ja=ダウンロード"


def test_wheel_carries_every_module_of_the_package(installed_wheel: Path) -> None:
    """setuptools' package list is written by hand: a new subpackage left out of it
    (core/formats/ once was) would install a program that cannot start."""
    source = REPO / "shh_converter"
    wanted = {p.relative_to(source).as_posix() for p in source.rglob("*.py")}
    installed = installed_wheel / "shh_converter"
    carried = {p.relative_to(installed).as_posix() for p in installed.rglob("*.py")}
    assert len(wanted) > 100
    assert sorted(wanted - carried) == []
