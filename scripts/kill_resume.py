"""Kill the CLI (and its workers) with SIGKILL at random moments, many times; then resume.

Each round starts ``shh-converter convert`` on a generated batch, waits for a
random number of finished files plus a random few milliseconds, and kills it
outright: every other round the whole process group (the CLI and its worker
processes, like a power cut), otherwise the CLI alone (its workers are orphaned
and must notice). After each kill it checks that every file under a final name
decodes completely (nothing partial is ever visible). After all rounds one
normal run must exit 0, leave no ``.shh-partial-*`` temp, make no ``a (2).webp``
copies and skip what was already complete.

    python scripts/kill_resume.py --rounds 50 --files 16      # the long run (POSIX)

``tests/faults/test_kill_resume.py`` runs a few rounds of the same code in CI.
Prints one JSON summary line; exit 0 when every check held.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
TEMP_PREFIX = ".shh-partial-"


def make_batch(folder: Path, files: int, side: int, seed: int) -> list[Path]:
    """``files`` noisy PNGs (noise: real encoding work, so kills land mid-file)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    made = []
    for i in range(files):
        path = folder / f"img{i:03d}.png"
        Image.effect_noise((side, side), 40 + rng.random() * 60).convert("RGB").save(path)
        made.append(path)
    return made


def cli(src: Path, dest: Path, home: Path) -> list[str]:
    return [sys.executable, "-m", "shh_converter", "convert", str(src), "-o", str(dest)]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "SHH_CONVERTER_HOME": str(home), "PYTHONUNBUFFERED": "1"}


def complete(path: Path) -> bool:
    """True when ``path`` decodes to the last pixel."""
    try:
        with Image.open(path) as im:
            im.load()
    except Exception:
        return False
    return True


def one_kill(src: Path, dest: Path, home: Path, rng: random.Random, whole_group: bool) -> bool:
    """Start a batch, kill it at a random moment; True when it was still running then."""
    proc = subprocess.Popen(
        cli(src, dest, home),
        cwd=REPO,
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: killpg reaches the workers
    )
    assert proc.stdout is not None
    wanted, seen = rng.randrange(0, 4), 0
    while seen < wanted:
        line = proc.stdout.readline()
        if not line:
            break  # the batch ended before the moment came
        seen += line.startswith("converted:")
    time.sleep(rng.random() * 0.3)  # not an assertion: where in a file the kill lands
    mid_batch = proc.poll() is None
    with contextlib.suppress(ProcessLookupError):  # it may have finished just now
        if whole_group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    return mid_batch


def outputs_folder(src: Path, dest: Path) -> Path:
    """Where the CLI writes ``src``'s outputs: a folder given keeps its name under ``dest``."""
    return dest / src.name


def finals(dest: Path) -> list[Path]:
    """Files under a final name (the hidden temps and ledger left out)."""
    return sorted(p for p in dest.glob("*.webp") if not p.name.startswith("."))


def wait_for_orphans(dest: Path, timeout: float = 60.0) -> None:
    """Orphaned workers finish their file, then see the closed pipe and exit."""
    from shh_converter.core.atomic import temp_owner_alive

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = [p for p in dest.glob(TEMP_PREFIX + "*") if temp_owner_alive(p.name)]
        if not live:
            return
        time.sleep(0.1)


def run_rounds(work: Path, rounds: int, files: int, side: int, seed: int) -> dict[str, Any]:
    """The whole experiment in ``work``; returns the figures and the problems found."""
    rng = random.Random(seed)
    src, dest, home = work / "src", work / "out", work / "home"
    made = outputs_folder(src, dest)  # where the outputs and their temps appear
    make_batch(src, files, side, seed)
    problems: list[str] = []
    kills = mid_batch = temps_left = restarts = 0
    for n in range(rounds):
        if n and n < rounds - 1 and len(finals(made)) == files:
            shutil.rmtree(dest)  # all done: start the batch over, so every kill hits work
            restarts += 1
        mid_batch += one_kill(src, dest, home, rng, whole_group=n % 2 == 0)
        kills += 1
        if not made.is_dir():
            continue
        temps_left += len([p for p in made.iterdir() if p.name.startswith(TEMP_PREFIX)])
        wait_for_orphans(made)
        for out in finals(made):
            if not complete(out):
                problems.append(f"round {n}: partial file under a final name: {out.name}")
    done_before = sum(complete(p) for p in finals(made)) if made.is_dir() else 0
    final = subprocess.run(
        cli(src, dest, home), cwd=REPO, env=_env(home), capture_output=True, text=True, timeout=600
    )
    outputs = [p.name for p in finals(made)]
    leftovers = sorted(p.name for p in made.glob(TEMP_PREFIX + "*"))
    skipped = sum(line.startswith("skipped:") for line in final.stdout.splitlines())
    if final.returncode != 0:
        problems.append(f"final run exit {final.returncode}: {final.stderr[-500:]}")
    if outputs != sorted(p.with_suffix(".webp").name for p in src.glob("*.png")):
        problems.append(f"outputs after resume: {outputs}")
    if leftovers:
        problems.append(f"temps left after the re-run: {leftovers}")
    if not all(complete(made / name) for name in outputs):
        problems.append("an output does not decode after the re-run")
    return {
        "rounds": rounds,
        "kills": kills,
        "kills_mid_batch": mid_batch,
        "temps_left_by_kills": temps_left,
        "batch_restarts": restarts,
        "files": files,
        "complete_before_resume": done_before,
        "skipped_on_resume": skipped,
        "problems": problems,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--side", type=int, default=900, help="image side in pixels")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if sys.platform == "win32":
        print("POSIX only (SIGKILL, process groups)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="shh-kill-") as work:
        started = time.monotonic()
        result = run_rounds(Path(work), args.rounds, args.files, args.side, args.seed)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["load"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result))
    return 0 if not result["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
