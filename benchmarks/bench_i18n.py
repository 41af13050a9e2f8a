"""Launch with a translation loaded: the window must still show within 0.5 s.

Run:  .venv/bin/python benchmarks/bench_i18n.py [--runs 9] [--json out.json]

Starts its own Xvfb and works in a temp folder (SHH_CONVERTER_HOME). Each run
starts, side by side and in turn, fresh processes for: a bare one-label ttk window
(the reference), the app in English, in German and in Japanese. Each child does
what ``shh-converter`` does for the window (``i18n.setup(config.language_from())``, then the
window's modules, logging, crash hooks, the root, the App) and reports seconds from
the parent's ``t0`` to the root's first ``<Map>`` and first ``<Expose>``. Printed:
medians, each language's ratio to English and to the bare window, the catalog
load alone (``i18n.setup``), and the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MODES = ("bare", "en", "de", "ja")
BUDGET_S = 0.5


def launch(mode: str) -> dict[str, float]:
    env = {**os.environ, "SHH_CONVERTER_UI__LANGUAGE": "en" if mode == "bare" else mode}
    t0 = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, repr(t0)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def catalog_load_ms(code: str, runs: int = 50) -> float:
    from shh_converter import i18n

    times = []
    for _ in range(runs):
        import gettext

        gettext._translations.clear()  # type: ignore[attr-defined]  # gettext caches: time a cold load
        start = time.perf_counter()
        i18n.setup(code)
        i18n._("Download")
        times.append(time.perf_counter() - start)
    i18n.setup("en")
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "T0"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from bench_gui import child_launch  # the same launch, in the language of the env

        child_launch(args.child[0], float(args.child[1]))
        return 0
    from support import start_xvfb

    home = tempfile.mkdtemp(prefix="shh-bench-i18n-")
    os.environ["SHH_CONVERTER_HOME"] = home
    os.environ["SHH_CONVERTER_UPDATES__CHECK_ON_STARTUP"] = "false"
    proc, display = start_xvfb()
    os.environ["DISPLAY"] = display
    load_before = os.getloadavg()
    samples: dict[str, dict[str, list[float]]] = {m: {"map": [], "expose": []} for m in MODES}
    try:
        launch("en")  # warm the file cache once; not counted
        for _ in range(args.runs):
            for mode in MODES:
                seen = launch(mode)
                samples[mode]["map"].append(seen["map"])
                samples[mode]["expose"].append(seen["expose"])
    finally:
        proc.terminate()
        proc.wait(10)
    results: dict[str, Any] = {
        mode: {kind: statistics.median(v) for kind, v in kinds.items()}
        for mode, kinds in samples.items()
    }
    results["catalog_load_ms"] = {code: catalog_load_ms(code) for code in ("de", "ja")}
    results["loadavg"] = {"before": load_before, "after": os.getloadavg()}
    results["runs"] = args.runs
    print(f"median of {args.runs} launches each, interleaved (load {load_before[0]:.2f})")
    en = results["en"]["expose"]
    for mode in MODES:
        r = results[mode]
        print(
            f"{mode:>4}: <Map> {r['map'] * 1000:5.0f} ms"
            f"  first <Expose> {r['expose'] * 1000:5.0f} ms"
            f"  x{r['expose'] / en:.2f} of English  x{r['expose'] / results['bare']['expose']:.2f}"
            f" of bare Tk  {'ok' if r['expose'] <= BUDGET_S else 'OVER'} (budget 500 ms)"
        )
    for code, ms in results["catalog_load_ms"].items():
        print(f"catalog load alone ({code}): {ms:.2f} ms")
    print(f"load average after: {results['loadavg']['after'][0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
