#!/usr/bin/env bash
# Give checkov a virtualenv of its own (.venv-checkov): it depends on bc-python-hcl2, which installs
# the same `hcl2` module as python-hcl2 and downgrades common packages, so it must not share .venv.
# Idempotent: does nothing when the pinned version is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION="3.3.30"
VENV=".venv-checkov"
PYTHON="${PYTHON:-python3}"

installed="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("checkov"))' 2>/dev/null || true)"
if [[ "$installed" == "$CHECKOV_VERSION" ]]; then
    exit 0
fi

echo "setting up $VENV (checkov==$CHECKOV_VERSION)..."
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
"$VENV/bin/checkov" --version
