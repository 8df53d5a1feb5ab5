#!/usr/bin/env bash
# `make serve`: the Cloud Functions on this machine, served by the real functions-framework, syncing from
# the built-in Strava simulator into `.strava/serve/strava.duckdb`: the sync (`run`) and Strava's webhook
# callback (`webhook`, subscribed to the simulator at start; its events wait in the local spool for the
# next sync). No cloud account needed.
#
#   PORT=8080 HOST=127.0.0.1 (sync function)  WEBHOOK_PORT=PORT+1 (webhook function)
#   SIM_PORT=0 (simulator; 0 = any free port)  ACTIVITIES=300
#   SERVE_DIR=.strava/serve (secrets file, DuckDB file, simulator log)
#
# The simulator's data is generated afresh on each start, so the DuckDB file is too (a file kept from an
# earlier start would hold activities this simulator never had). Ctrl-C stops both servers.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8080}"
WEBHOOK_PORT="${WEBHOOK_PORT:-$((PORT + 1))}"
HOST="${HOST:-127.0.0.1}"  # loopback: the function has no authentication of its own
SIM_PORT="${SIM_PORT:-0}"
ACTIVITIES="${ACTIVITIES:-300}"
DIR="${SERVE_DIR:-.strava/serve}"
BIN=.venv/bin
SIM_LOG="$DIR/simulator.log"

mkdir -p "$DIR"
rm -f "$DIR/strava.duckdb" "$DIR/strava.duckdb.wal" "$DIR/webhook-events.jsonl"

SIM_PID=""
FN_PID=""
HOOK_PID=""
cleanup() {
    # Only the two processes this script started, by their ids. INT is gunicorn's quick shutdown (TERM
    # waits for open keep-alive connections); the simulator, started in the background of a script,
    # ignores INT, so it gets TERM.
    [[ -z "$FN_PID" ]] || kill -INT "$FN_PID" 2>/dev/null || true
    [[ -z "$HOOK_PID" ]] || kill -INT "$HOOK_PID" 2>/dev/null || true
    [[ -z "$SIM_PID" ]] || kill "$SIM_PID" 2>/dev/null || true
    for pid in $FN_PID $HOOK_PID $SIM_PID; do
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

# The webhook function first: Strava (the simulator) checks the callback while subscribing.
"$BIN/functions-framework" --target=webhook --source=main.py --host "$HOST" --port "$WEBHOOK_PORT" &
HOOK_PID=$!
for _ in $(seq 200); do
    "$BIN/python" -c "import socket; socket.create_connection(('127.0.0.1', $WEBHOOK_PORT), 0.2)" 2>/dev/null && break
    kill -0 "$HOOK_PID" 2>/dev/null || { echo "the webhook function did not start" >&2; exit 1; }
    sleep 0.05
done
"$BIN/python" -m strava webhook subscribe --callback-url "http://127.0.0.1:$WEBHOOK_PORT" >"$DIR/subscribe.log" 2>&1 \
    || { echo "webhook subscribe failed:" >&2; cat "$DIR/subscribe.log" >&2; exit 1; }
stored() { "$BIN/python" -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$DIR/secrets.json" "$1"; }
SIM_URL="${STRAVA_API_URL%/api/v3}"

cat <<EOF
Strava simulator ($ACTIVITIES activities): $STRAVA_API_URL
Cloud Function: http://localhost:$PORT  (warehouse $STRAVA_WAREHOUSE)
Webhook function: http://localhost:$WEBHOOK_PORT  (subscription $(stored webhook_subscription_id); events wait in $DIR/webhook-events.jsonl for the next sync)

Trigger a sync (what Cloud Scheduler sends):
  curl -X POST localhost:$PORT -H 'Content-Type: application/json' -d '{}'
A full sync that also reconciles deletions:
  curl -X POST localhost:$PORT -H 'Content-Type: application/json' -d '{"full": true}'

Strava's subscription check (answers the challenge for the stored verify token, 403 for another):
  curl "localhost:$WEBHOOK_PORT/?hub.mode=subscribe&hub.challenge=hello&hub.verify_token=\$(python3 -c 'import json; print(json.load(open("$DIR/secrets.json"))["webhook_verify_token"])')"
A webhook event as Strava posts it (the next sync reads the activity back and applies what Strava confirms):
  curl -X POST localhost:$WEBHOOK_PORT -H 'Content-Type: application/json' -d '{"object_type": "activity", "object_id": 1, "aspect_type": "delete", "updates": {}, "owner_id": $(stored athlete_id), "subscription_id": $(stored webhook_subscription_id), "event_time": 1700000000}'
The simulator delivering one (with Strava's retries) for an activity it has:
  curl -X POST $SIM_URL/_sim/webhook/events -H 'Content-Type: application/json' -d '{"object_id": ACTIVITY_ID, "aspect_type": "update"}'

Logs (JSON lines, as Cloud Logging reads them) follow. Ctrl-C stops.
EOF

# In the background and waited for, so that a signal reaches the trap at once and stops every server.
"$BIN/functions-framework" --target=run --source=main.py --host "$HOST" --port "$PORT" &
FN_PID=$!
wait "$FN_PID"
