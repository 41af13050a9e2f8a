#!/usr/bin/env bash
# Sets up SHH Converter on Debian/Ubuntu (Tk and venv from apt, the app in .venv from
# the lock) and opens the window. Arguments are passed on: paths to add, or a command
# such as `bash scripts/run.sh convert photos/ -o web/`.
# The set-up runs only the first time and again when pyproject.toml or the lock change;
# after that the window opens at once (the app is installed editable, so changes to the
# code need no set-up).
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=build_scripts/constraints.txt
STAMP=.venv/shh-setup.sha256
if [ ! -x .venv/bin/shh-converter ] || ! sha256sum --check --status "$STAMP" 2>/dev/null; then
    if ! python3 -c "import tkinter, ensurepip, venv" 2>/dev/null && command -v apt-get >/dev/null; then
        SUDO=""
        if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends python3-venv python3-tk >/dev/null
    fi
    python3 -m venv .venv
    .venv/bin/python -m pip install -q -c "$LOCK" pip setuptools wheel
    .venv/bin/python -m pip install -q -c "$LOCK" --no-build-isolation -e .
    sha256sum pyproject.toml "$LOCK" > "$STAMP"
fi
exec .venv/bin/shh-converter "$@"
