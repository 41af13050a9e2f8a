#!/usr/bin/env bash
# Sets up SHH Converter on Debian/Ubuntu (Tk and venv from apt, the app in .venv)
# and opens the window. Arguments are passed on: paths to add, or a command such
# as `bash scripts/run.sh convert photos/ -o web/`.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends python3-venv python3-tk >/dev/null
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q .
exec .venv/bin/shh-converter "$@"
