#!/usr/bin/env bash
# `make serve`: the Cloud Function on this machine, served by the real functions-framework, syncing from
# the built-in Strava simulator into `.strava/serve/strava.duckdb`. No cloud account needed.
#
#   PORT=8080 HOST=127.0.0.1 (function)  SIM_PORT=0 (simulator; 0 = any free port)  ACTIVITIES=300
#   SERVE_DIR=.strava/serve (secrets file, DuckDB file, simulator log)
#
# The simulator's data is generated afresh on each start, so the DuckDB file is too (a file kept from an
# earlier start would hold activities this simulator never had). Ctrl-C stops both servers.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8080}"
HOST="${HOST:-127.0.0.1}"  # loopback: the function has no authentication of its own
SIM_PORT="${SIM_PORT:-0}"
ACTIVITIES="${ACTIVITIES:-300}"
DIR="${SERVE_DIR:-.strava/serve}"
BIN=.venv/bin
SIM_LOG="$DIR/simulator.log"

mkdir -p "$DIR"
rm -f "$DIR/strava.duckdb" "$DIR/strava.duckdb.wal"

SIM_PID=""
FN_PID=""
cleanup() {
    # Only the two processes this script started, by their ids. INT is gunicorn's quick shutdown (TERM
    # waits for open keep-alive connections); the simulator, started in the background of a script,
    # ignores INT, so it gets TERM.
    [[ -z "$FN_PID" ]] || kill -INT "$FN_PID" 2>/dev/null || true
    [[ -z "$SIM_PID" ]] || kill "$SIM_PID" 2>/dev/null || true
    for pid in $FN_PID $SIM_PID; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BIN/python" -m strava simulate --port "$SIM_PORT" --activities "$ACTIVITIES" \
    --secrets-out "$DIR/secrets.json" >"$SIM_LOG" 2>&1 &
SIM_PID=$!

# The simulator prints `export STRAVA_API_URL=... STRAVA_OAUTH_URL=...` once it listens.
for _ in $(seq 200); do
    grep -q 'STRAVA_API_URL=' "$SIM_LOG" && break
    if ! kill -0 "$SIM_PID" 2>/dev/null; then
        echo "the simulator did not start:" >&2
        cat "$SIM_LOG" >&2
        exit 1
    fi
    sleep 0.05
done
url_of() { grep -o "$1=[^ ]*" "$SIM_LOG" | head -n 1 | cut -d= -f2-; }
STRAVA_API_URL="$(url_of STRAVA_API_URL)"
STRAVA_OAUTH_URL="$(url_of STRAVA_OAUTH_URL)"
if [[ -z "$STRAVA_API_URL" || -z "$STRAVA_OAUTH_URL" ]]; then
    echo "could not read the simulator's URLs from $SIM_LOG:" >&2
    cat "$SIM_LOG" >&2
    exit 1
fi
export STRAVA_API_URL STRAVA_OAUTH_URL
export STRAVA_SECRETS="file:$DIR/secrets.json" STRAVA_WAREHOUSE="duckdb:$DIR/strava.duckdb"

cat <<EOF
Strava simulator ($ACTIVITIES activities): $STRAVA_API_URL
Cloud Function: http://localhost:$PORT  (warehouse $STRAVA_WAREHOUSE)

Trigger a sync (what Cloud Scheduler sends):
  curl -X POST localhost:$PORT -H 'Content-Type: application/json' -d '{}'
A full sync that also reconciles deletions:
  curl -X POST localhost:$PORT -H 'Content-Type: application/json' -d '{"full": true}'

Logs (JSON lines, as Cloud Logging reads them) follow. Ctrl-C stops.
EOF

# In the background and waited for, so that a signal reaches the trap at once and stops both servers.
"$BIN/functions-framework" --target=run --source=main.py --host "$HOST" --port "$PORT" &
FN_PID=$!
wait "$FN_PID"
