#!/usr/bin/env bash
# Give the peer the benchmark compares against, strava-offline, a virtualenv of its own (.venv-peer):
# it is another project with its own pins, and our package must never be importable beside it.
# Idempotent: a stamp file names the installed pin; nothing happens when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PEER_VERSION="1.1.1"
VENV=".venv-peer"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.installed-strava-offline-$PEER_VERSION"

if [[ -f "$STAMP" && -x "$VENV/bin/python" ]]; then
    exit 0
fi

echo "setting up $VENV (strava-offline==$PEER_VERSION)..."
rm -f "$VENV"/.installed-*
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "strava-offline==$PEER_VERSION"
"$VENV/bin/python" -c 'import importlib.metadata as m; print("strava-offline", m.version("strava-offline"))'
touch "$STAMP"
