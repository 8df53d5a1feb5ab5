"""Streams figures: a backfill within Strava's read limits, memory of a 10-hour ride, metrics time, `import main`.

Run by `bench/run.py` (`make bench`), or alone: `.venv/bin/python -m bench.streams [--quick]`, which rewrites
only the "Streams" section of docs/benchmarks.md and the `streams` key of bench/results.json.

- Backfill: the simulator (default limits: 100 reads / 15 min, 1,000 / day) on a virtual clock, one sync
  run at each 15-minute window (what the continuation at the window reset does), skipping to the next UTC
  midnight once a run reports the daily window exhausted. Its streams are cut to a few samples: the
  budget plan depends on the number of requests, not on their size. Days used count full days plus the
  share of the last day's read limit used, against the floor: streams requests needed (manual entries
  need none) / daily read limit.
- Memory: tracemalloc peak while one 10-hour ride's answer (36,000 samples x 11 streams, as JSON) is
  parsed, turned into its rows and metrics, and written to DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strava import schema
from strava.client import STREAM_KEYS
from strava.power import stream_metrics
from strava.secrets.file import FileSecretStore
from strava.settings import Settings
from strava.simulator import StravaSimulator
from strava.simulator.streams import activity_streams
from strava.simulator.wire import NOT_FOUND, Response
from strava.streams import streams_row
from strava.sync import run_sync
from strava.warehouse.duckdb import DuckDBWarehouse

ROOT = Path(__file__).resolve().parent.parent
DAY, WINDOW = 86_400, 900
MARKER = "## Streams"


class _SmallStreams(StravaSimulator):
    """The simulator with 3-sample streams (manual entries still 404), cheap to serve 5,000 times."""

    def _streams(self, activity_id: int, query: dict[str, str], headers: dict[str, str]) -> Response:
        activity = self._store.find(activity_id)
        if activity is None or activity["manual"] or self._authorized(headers, None):
            return Response(404, NOT_FOUND)
        return Response(200, {"time": {"data": [0, 1, 2]}, "watts": {"data": [200, 210, 190]}})


def backfill(n: int, work: Path) -> dict[str, Any]:
    clock = [float(datetime(2026, 1, 1, tzinfo=UTC).timestamp())]
    start = clock[0]
    sim = _SmallStreams(n, seed=11, clock=lambda: clock[0], end=datetime(2025, 12, 31, tzinfo=UTC)).start()
    secrets = work / "secrets.json"
    secrets.write_text(json.dumps(sim.secrets()))
    settings = Settings(api_url=sim.api_url, oauth_url=sim.oauth_url, retry_seconds=0,
                        weather=False)  # the Strava budget is measured here; weather has its own figures
    warehouse = DuckDBWarehouse(work / "backfill.duckdb")
    runs = reads = 0
    wall = time.perf_counter()
    try:
        while True:
            runs += 1
            summary = run_sync(settings, warehouse=warehouse, secrets=FileSecretStore(secrets))
            listed = len(warehouse.activity_ids())
            if listed >= n and not warehouse.activities_without(schema.ACTIVITY_STREAMS, ("id",), 1):
                break
            stopped = (summary.streams_stopped or "") + str((summary.error or {}).get("message", ""))
            clock[0] = (clock[0] // DAY + 1) * DAY if "daily" in stopped else (clock[0] // WINDOW + 1) * WINDOW
        reads = sim.rate.state()["read_usage"][1]
        days_full = int((clock[0] - start) // DAY)
    finally:
        warehouse.close()
        sim.stop()
    manual = sum(1 for a in sim.activities if a["manual"])
    days = days_full + reads / 1000
    floor = (n - manual) / 1000  # one read per activity with streams, at the daily read limit
    return {"activities": n, "manual": manual, "runs": runs, "days_used": days, "floor_days": floor,
            "ratio": days / floor, "last_day_reads": reads, "wall_s": time.perf_counter() - wall}


def ten_hour_ride(work: Path) -> dict[str, Any]:
    """Peak Python memory while one 10-hour ride's streams are parsed, mapped, measured and stored."""
    ride = {"id": 1, "moving_time": 36_000, "elapsed_time": 36_000, "upload_id": 2, "distance": 300_000.0,
            "average_speed": 8.3, "device_watts": True, "average_watts": 200.0, "has_heartrate": True,
            "average_heartrate": 140.0, "average_cadence": 88.0, "average_temp": 18, "elev_low": 200.0,
            "elev_high": 900.0, "map": {"summary_polyline": "_p~iF~ps|U_ulLnnqC_mqNvxq`@"}}
    streams = activity_streams(ride, 1)
    assert streams is not None
    streams["time"] = list(range(36_000))  # exactly 36,000 samples per stream
    streams = {k: (v + v[-1:] * 36_000)[:36_000] for k, v in streams.items()}
    body = json.dumps({k: {"data": v} for k, v in streams.items() if k in STREAM_KEYS}).encode()
    warehouse = DuckDBWarehouse(work / "ride.duckdb")
    warehouse.setup()
    now = datetime.now(UTC)
    tracemalloc.start()
    parsed = json.loads(body)
    data = {k: v["data"] for k, v in parsed.items()}
    metrics, curve = stream_metrics(data, 250.0, (130, 150, 165, 178))
    warehouse.replace_activity_rows(schema.ACTIVITY_STREAMS, [1], [streams_row(1, now, parsed, now)])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    warehouse.close()
    return {"samples": 36_000, "streams": len(parsed), "json_mb": len(body) / 1e6, "python_peak_mb": peak / 1e6}


def metrics_time(runs: int = 7) -> dict[str, Any]:
    ride = {"id": 4, "moving_time": 14_400, "elapsed_time": 14_400, "upload_id": 5, "distance": 120_000.0,
            "average_speed": 8.3, "device_watts": True, "average_watts": 210.0, "has_heartrate": True,
            "average_heartrate": 140.0}
    data = activity_streams(ride, 1)
    assert data is not None
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        stream_metrics(data, 250.0, (130, 150, 165, 178))
        samples.append(time.perf_counter() - t)
    return {"samples": len(data["time"]), "min_ms": min(samples) * 1000, "median_ms": sorted(samples)[runs // 2] * 1000}


def import_main(runs: int = 7) -> float:
    code = "import time; t = time.perf_counter(); import main; print(time.perf_counter() - t)"
    return min(float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                    check=True).stdout) for _ in range(runs)) * 1000


def measure(quick: bool = False) -> dict[str, Any]:
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="strava-bench-streams-") as folder:
        work = Path(folder)
        return {"backfill": backfill(500 if quick else 5000, work), "ten_hour_ride": ten_hour_ride(work),
                "metrics_4h": metrics_time(), "import_main_ms": import_main(), "load_average": [load, os.getloadavg()]}


def markdown(results: dict[str, Any]) -> str:
    b, m, r = results["backfill"], results["metrics_4h"], results["ten_hour_ride"]
    verdict = "met" if b["ratio"] <= 1.1 else "MISSED"
    return "\n".join([
        MARKER, "",
        "Generated by `bench/streams.py` (see its docstring for the method). Load average (1/5/15 min) at start "
        f"{_load(results, 0)}, at end {_load(results, 1)}: other work on the machine slows the timings down.", "",
        "| Figure | Measured | Target |", "|---|---|---|",
        f"| Streams backfill, {b['activities']:,} activities ({b['manual']} manual, never asked) at 100 / 15 min "
        f"and 1,000 / day | {b['days_used']:.2f} days vs floor {b['floor_days']:.2f} = {b['ratio']:.2f}x "
        f"({b['runs']} runs, {b['wall_s']:.0f} s wall) | ≤ 1.1x: {verdict} |",
        f"| Python peak loading a 10-hour ride ({r['samples']:,} samples x {r['streams']} streams, "
        f"{r['json_mb']:.1f} MB of JSON): parse, rows, metrics, DuckDB write | {r['python_peak_mb']:.0f} MB | — |",
        f"| All metrics of a 4-hour ride ({m['samples']:,} samples) | {m['min_ms']:.1f} ms (median "
        f"{m['median_ms']:.1f} ms) | < 50 ms: {'met' if m['min_ms'] < 50 else 'MISSED'} |",
        f"| `import main` (min of 7) | {results['import_main_ms']:.0f} ms | < 150 ms: "
        f"{'met' if results['import_main_ms'] < 150 else 'MISSED'} |", ""])


def _load(results: dict[str, Any], index: int) -> str:
    return "/".join(f"{v:.1f}" for v in results.get("load_average", [[0, 0, 0]] * 2)[index])


def with_section(text: str, section: str) -> str:
    """`text` with its Streams section (to the end) replaced by `section`."""
    head = text.split(MARKER)[0].rstrip("\n")
    return head + "\n\n" + section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="500 activities instead of 5,000")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    results = measure(args.quick)
    stored = json.loads(args.json.read_text()) if args.json.exists() else {}
    args.json.write_text(json.dumps({**stored, "streams": results}, indent=2, default=str) + "\n")
    section = markdown(results)
    args.markdown.write_text(with_section(args.markdown.read_text() if args.markdown.exists() else "", section))
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
