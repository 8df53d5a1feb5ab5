#!/usr/bin/env bash
# Render the HTML report with headless Chromium and print the PNG's path.
#   scripts/report-screenshot.sh [REPORT.html] [OUT.png]
# Without a report it builds the demo one (`python -m strava demo` -> .strava/demo/report.html). Chromium
# comes from Debian (installed when missing and running as root). All network features are switched
# off: the report must render from the file alone.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
REPORT="${1:-}"
OUT="${2:-out/report.png}"

chromium_bin() {
    command -v chromium || command -v chromium-browser || true
}

if [[ -z "$(chromium_bin)" ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "chromium is not installed; run: sudo apt-get install -y chromium" >&2
        exit 1
    fi
    apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2
fi
CHROMIUM="$(chromium_bin)"

if [[ -z "$REPORT" ]]; then
    REPORT=.strava/demo/report.html
    if [[ -f strava/__main__.py ]]; then
        "$PY" -m strava demo --dir .strava/demo >&2
    else  # no CLI yet: a synthetic warehouse, same report code
        PYTHONPATH=. "$PY" - "$REPORT" <<'PYEOF' >&2
import sys, tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from strava.report import write_report
from strava.schema import activity_row
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.analytics import synthetic

warehouse = DuckDBWarehouse(Path(tempfile.mkdtemp()) / "demo.duckdb")
warehouse.setup()
now = datetime.now(UTC)
warehouse.upsert_activities([activity_row(a, now)[0] for a in synthetic.activities(600)], "demo")
warehouse.set_athlete_settings(date(now.year - 3, 1, 1), 240.0, 72.0)
print(write_report(warehouse.conn, Path(sys.argv[1])))
PYEOF
    fi
fi
[[ -f "$REPORT" ]] || { echo "no report at $REPORT" >&2; exit 1; }

mkdir -p "$(dirname "$OUT")"
PROFILE="$(mktemp -d)"
trap 'rm -rf "$PROFILE"' EXIT
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$PROFILE" --window-size=1400,6400 --virtual-time-budget=5000 \
    --screenshot="$(realpath -m "$OUT")" "file://$(realpath "$REPORT")" >"$PROFILE/chromium.log" 2>&1 || {
    tail -n 20 "$PROFILE/chromium.log" >&2
    echo "chromium failed to render $REPORT" >&2
    exit 1
}
realpath "$OUT"
