"""How fast `main.webhook` acknowledges a Strava event, cold and warm (Strava wants 200 within 2 s).

    .venv/bin/python bench/webhook_ack.py [--cold 5] [--warm 50]

For each durable path (the local spool; Cloud Tasks through the local REST fake and the real client
library), it starts the real functions-framework server (`--target=webhook`) several times and times,
from process start, the first event acknowledged (cold: server boot, `import main`, the lazy imports and
the first request, i.e. what a cold Cloud Run instance adds to the ack minus the container start), then
`--warm` more events on the warm server. Prints one JSON object. A development tool: it reaches the test
fake of Cloud Tasks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make our packages importable
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from localservices import start_functions_framework  # noqa: E402
from localservices.cloudtasks import FakeCloudTasks  # noqa: E402

QUEUE = "projects/demo-project/locations/europe-west1/queues/strava-sync"
SECRETS = {"client_id": "1", "client_secret": "s", "refresh_token": "r", "webhook_verify_token": "v" * 32,
           "webhook_subscription_id": 7, "athlete_id": 42}


def _event(n: int) -> dict:
    return {"object_type": "activity", "object_id": 1000 + n, "aspect_type": "update", "updates": {"title": "x"},
            "owner_id": 42, "subscription_id": 7, "event_time": 1_700_000_000 + n}


def _one_server(env: dict[str, str], folder: Path, warm: int, first: int) -> tuple[float, float, list[float]]:
    """(process start -> first ack, that first request alone, the warm requests)."""
    started = time.perf_counter()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STRAVA_", "GOOGLE_"))}
    with start_functions_framework(clean, env, folder, timeout=60, poll=0.005, target="webhook") as server:
        sent = time.perf_counter()
        answer = requests.post(server.url, json=_event(first), timeout=30)
        cold, first_request = time.perf_counter() - started, time.perf_counter() - sent
        assert answer.status_code == 200 and answer.json()["status"] == "queued", answer.text
        times = []
        for n in range(first + 1, first + 1 + warm):
            sent = time.perf_counter()
            answer = requests.post(server.url, json=_event(n), timeout=30)
            times.append(time.perf_counter() - sent)
            assert answer.status_code == 200, answer.text
    return cold, first_request, times


def measure(path: str, cold_runs: int, warm: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="webhook-ack-"))
    secrets = folder / "secrets.json"
    secrets.write_text(json.dumps(SECRETS))
    env = {"STRAVA_SECRETS": f"file:{secrets}"}
    fake = None
    if path == "cloudtasks":
        fake = FakeCloudTasks(QUEUE).start()
        env |= {"STRAVA_TASKS": f"cloudtasks:{QUEUE}", "CLOUD_TASKS_EMULATOR_HOST": fake.url,
                "STRAVA_TASKS_TARGET_URL": "https://sync.example.run.app",
                "STRAVA_TASKS_SERVICE_ACCOUNT": "sched@demo-project.iam.gserviceaccount.com"}
    colds, firsts, warms = [], [], []
    try:
        for run in range(cold_runs):
            cold, first, times = _one_server(env, Path(tempfile.mkdtemp(dir=folder)), warm, run * (warm + 1))
            colds.append(cold)
            firsts.append(first)
            warms += times
    finally:
        if fake is not None:
            fake.stop()
    ms = sorted(t * 1000 for t in warms)
    return {"cold_ms_median": round(statistics.median(colds) * 1000), "cold_ms_max": round(max(colds) * 1000),
            "first_request_ms_median": round(statistics.median(firsts) * 1000),
            "warm_ms_median": round(statistics.median(ms), 1), "warm_ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "warm_ms_max": round(ms[-1], 1), "cold_runs": cold_runs, "warm_requests": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=5, help="server starts per path")
    parser.add_argument("--warm", type=int, default=50, help="events per warm server")
    args = parser.parse_args()
    print(json.dumps({path: measure(path, args.cold, args.warm) for path in ("spool", "cloudtasks")}, indent=2))


if __name__ == "__main__":
    main()
