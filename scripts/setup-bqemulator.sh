#!/usr/bin/env bash
# Give the BigQuery emulator (bqemulator, DuckDB-backed) a virtualenv of its own and install DuckDB's
# `spatial` extension into it offline. Idempotent: a stamp naming the pins makes a second run instant.
#
# Why a separate venv: bqemulator pins grpc tooling that downgrades protobuf, and it registers a pytest
# plugin. Why the private HOME: DuckDB installs extensions under ~/.duckdb; the test fixture starts the
# emulator with the same HOME so it finds `spatial` instead of trying to download it (no internet here).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv-bqemulator
PINS=(bqemulator==1.4.0 duckdb==1.5.5 duckdb-extensions==1.5.5 duckdb-extension-spatial==1.5.5 numpy)
STAMP="$VENV/.installed-$(printf '%s\n' "${PINS[@]}" | md5sum | cut -c1-12)"

if [[ -f "$STAMP" ]]; then
    exit 0
fi

rm -f "$VENV"/.installed-*
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PINS[@]}"

mkdir -p "$VENV/home"
HOME="$PWD/$VENV/home" "$VENV/bin/python" - <<'EOF'
import duckdb
import duckdb_extensions

duckdb_extensions.import_extension("spatial")
duckdb.connect().execute("LOAD spatial")  # proves a later start with this HOME finds it offline
EOF

touch "$STAMP"
echo "bqemulator ready in $VENV"
