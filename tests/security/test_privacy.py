"""Privacy: no connection is ever attempted by a batch; logs and crash reports name no home
folder and hold no image data.

Sockets are blocked with an audit hook (``sys.addaudithook``) installed by a
``sitecustomize`` in every process of the run -- the CLI and each spawned worker --
so an attempt anywhere is recorded and refused. Real AI background removal runs
on the bundled model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from faultkit import cli_argv
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from support import CORPUS, REPO

BLOCKER = r"""
import os, socket, sys
_LOG = os.environ["SHH_TEST_NET_LOG"]
with open(_LOG + ".active", "a") as fh:
    fh.write(f"{os.getpid()}\n")
_NETWORK = {socket.AF_INET, socket.AF_INET6}

def _hook(event, args):
    reach = event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr")
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        reach = getattr(args[0], "family", None) in _NETWORK
    if reach:
        with open(_LOG, "a") as fh:
            fh.write(f"{os.getpid()} {event} {args[1:]!r}\n")
        raise PermissionError(f"network blocked by the test: {event}")

sys.addaudithook(_hook)
"""
MARKER = "PRIVATE-PIXELS-7f3a"


def blocked_env(tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path]:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    log = tmp_path / "net.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(hook_dir), env.get("PYTHONPATH", "")])
    env["SHH_TEST_NET_LOG"] = str(log)
    env["SHH_CONVERTER_UPDATES__CHECK_ON_STARTUP"] = "false"
    env.update(extra)
    return env, log


@pytest.mark.slow
def test_ai_batch_attempts_no_connection(tmp_path: Path) -> None:
    env, log = blocked_env(tmp_path)
    photos = [
        CORPUS / "photos" / "Kleiber_by_Lukas_Baubkus.jpg",
        CORPUS / "photos" / "exif_Portrait_6.jpg",
    ]
    done = subprocess.run(
        cli_argv("convert", *map(str, photos), "-o", str(tmp_path / "out"), "--remove-bg"),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out").glob("*.webp"))) == 2
    active = set(Path(str(log) + ".active").read_text().split())
    assert len(active) >= 2, "the blocker was not active in the worker processes too"
    assert not log.exists(), log.read_text()


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    """Guard for the test above: a connection attempt is caught and recorded."""
    env, log = blocked_env(tmp_path)
    for probe in (
        "import socket; socket.socket().connect(('127.0.0.1', 9))",
        "import socket; socket.getaddrinfo('example.org', 443)",
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode != 0 and "network blocked by the test" in done.stderr
    seen = log.read_text()
    assert "socket.connect" in seen and "socket.getaddrinfo" in seen


def _kill_workers_when_busy(proc: subprocess.Popen[str], min_mb: float) -> bool:
    """SIGKILL the CLI's worker processes once one holds ``min_mb`` (busy on the big file)."""
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        for child in parent.children(recursive=True):
            try:
                if child.memory_info().rss > min_mb * 2**20:
                    child.kill()
                    return True
            except psutil.Error:
                continue
        time.sleep(0.02)  # polling the process table, not a wait for a result
    return False


@pytest.mark.slow
def test_logs_and_crash_reports_name_no_home_and_hold_no_image_data(tmp_path: Path) -> None:
    home = tmp_path / "home" / "alice-7c1e"
    pictures = home / "Pictures" / "trip"
    pictures.mkdir(parents=True)
    info = PngInfo()
    info.add_text("Comment", MARKER)
    Image.new("RGB", (64, 64), (10, 200, 30)).save(pictures / "good.png", pnginfo=info)
    (pictures / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + MARKER.encode() * 20)
    Image.effect_noise((4000, 4000), 60).convert("RGB").save(pictures / "big.png", compress_level=1)
    app_home = home / "app"
    env, _ = blocked_env(tmp_path, HOME=str(home), SHH_CONVERTER_HOME=str(app_home))
    proc = subprocess.Popen(
        # Full size (no resize): the worker holds the whole 16 MP image while it encodes.
        cli_argv(
            "convert",
            str(pictures),
            "-o",
            str(home / "out"),
            "--verbose",
            "--jobs",
            "1",
            "--resize",
            "none",
        ),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = _kill_workers_when_busy(proc, min_mb=150)
    _, err = proc.communicate(timeout=300)
    assert killed, "no worker was busy on the big file"
    assert proc.returncode == 1, err
    assert "big.png" in err and "broken.png" in err  # both failed, with reasons
    reports = list((app_home / "crash-reports").glob("*.json"))
    logs = list((app_home / "logs").glob("*.log*"))
    assert reports and logs
    for path in reports + logs:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert str(home) not in text, f"{path.name} names the home folder"
        assert "alice-7c1e" not in text, f"{path.name} names the user"
        assert MARKER not in text, f"{path.name} holds image data"
    report = json.loads(reports[0].read_text(encoding="utf-8"))
    assert "~" in json.dumps(report["context"])  # the file is named, from ~
