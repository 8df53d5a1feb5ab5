"""Simulated days of the deployed schedule against Strava's read limits, on the simulator's virtual clock.

The schedule is Terraform's: an incremental run at 00:00, 06:00, 12:00 and 18:00 UTC, the reconciliation
pass (`{"full": true}`) daily at 03:30, and, after any run the rate limit stopped, its continuation 30 s
after the window resets (what the Cloud Tasks task does; one per mode and window). Each run is the real
`run_sync` against the simulator over loopback and a DuckDB file; the client's rate budget reads the same
virtual clock, so days pass in seconds. A run takes no virtual time (a real one takes seconds: far less
than a window).

    .venv/bin/python -m bench.schedule [--quick]   # writes bench/schedule.json and its docs/benchmarks.md section
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from strava.client import StravaClient  # noqa: E402
from strava.continuation import continuation  # noqa: E402
from strava.ratelimit import RateBudget  # noqa: E402
from strava.secrets.base import Credentials  # noqa: E402
from strava.secrets.file import FileSecretStore  # noqa: E402
from strava.settings import Settings  # noqa: E402
from strava.simulator import StravaSimulator  # noqa: E402
from strava.sync import run_sync  # noqa: E402
from strava.warehouse.duckdb import DuckDBWarehouse  # noqa: E402

READ_LIMITS = (100, 1000)  # Strava's: per 15 minutes, per day
RESERVE = Settings.rate_reserve
WINDOW_BUDGET = READ_LIMITS[0] - RESERVE
INCREMENTAL_HOURS = (0, 6, 12, 18)
PASS_AT = timedelta(hours=3, minutes=30)
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning, after that day's pass
PER_PAGE = 200
JSON_OUT = ROOT / "bench" / "schedule.json"
MARKDOWN = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- schedule:begin -->", "<!-- schedule:end -->"


@dataclass(order=True)
class Run:
    at: datetime
    mode: str = field(compare=False)  # "incremental" or "full"
    why: str = field(compare=False)  # "schedule", "continuation", "first sync" or "event"
    event: Callable[[], None] | None = field(default=None, compare=False)  # something that happens on Strava


class World:
    """One athlete: the simulator on a virtual clock, a secrets file, a DuckDB warehouse."""

    def __init__(self, activities: int, folder: Path, seed: int = 42) -> None:
        self.clock = START.timestamp()
        self.sim = StravaSimulator(activities, seed, clock=lambda: self.clock, end=START - timedelta(days=1),
                                   read_limits=READ_LIMITS).start()
        secrets = folder / "secrets.json"
        FileSecretStore(secrets).save(Credentials(**self.sim.secrets()))
        self.store = FileSecretStore(secrets)
        self.warehouse = DuckDBWarehouse(folder / "strava.duckdb")
        self.warehouse.setup()
        # the listing and its reconciliation alone: streams would spend the reads this measures
        self.settings = Settings(api_url=self.sim.api_url, oauth_url=self.sim.oauth_url, retry_seconds=1,
                                 streams=False, weather=False)
        self.refused = 0  # 429s: Strava refusing a request the budget let through (must stay 0)
        self.reads_by_day: dict[str, int] = {}

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.sim.now(), UTC)

    def run(self, run: Run) -> dict[str, Any]:
        self.sim.set_clock(run.at.timestamp())
        before = self._reads()
        client = StravaClient(self.settings, budget=RateBudget(RESERVE, clock=self.now))
        summary = run_sync(self.settings, full=run.mode == "full", warehouse=self.warehouse, secrets=self.store,
                           client=client)
        day = f"{run.at:%Y-%m-%d}"
        self.reads_by_day[day] = self.reads_by_day.get(day, 0) + self._reads() - before
        if summary.error and "429" in summary.error["message"]:
            self.refused += 1
        return {"summary": summary, "at": run.at}

    def _reads(self) -> int:
        return sum(1 for method, path, _ in self.sim.request_log if method == "GET" and path.startswith("/api/"))

    def close(self) -> None:
        self.warehouse.close()
        self.sim.stop()


def scheduled(start: datetime, end: datetime) -> list[Run]:
    runs = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        runs += [Run(day + timedelta(hours=h), "incremental", "schedule") for h in INCREMENTAL_HOURS]
        runs.append(Run(day + PASS_AT, "full", "schedule"))
        day += timedelta(days=1)
    return [r for r in runs if start <= r.at < end]


def play(world: World, runs: list[Run], end: datetime, stop=None) -> list[dict[str, Any]]:
    """Run the schedule in time order, queueing continuations like the function does, until `end` or `stop`."""
    queue = list(runs)
    heapq.heapify(queue)
    named: set[str] = set()
    done = []
    while queue and queue[0].at < end:
        run = heapq.heappop(queue)
        if run.event is not None:
            world.sim.set_clock(run.at.timestamp())
            run.event()
            continue
        out = world.run(run)
        done.append(out)
        summary = out["summary"]
        plan = continuation(summary.status, summary.mode, summary.resume_at)
        if plan is not None and plan.name not in named:  # Cloud Tasks drops a duplicate name
            named.add(plan.name)
            heapq.heappush(queue, Run(plan.at, summary.mode, "continuation"))
        if stop is not None and stop(out):
            break
    return done


def backfill(activities: int, folder: Path) -> dict[str, Any]:
    """A first sync of `activities` from an empty warehouse, continued at each window reset."""
    world = World(activities, folder)
    started = time.perf_counter()
    try:
        runs = play(world, [Run(START, "incremental", "first sync")], START + timedelta(days=3),
                    stop=lambda out: out["summary"].status == "ok")
        windows = {r["at"].replace(minute=r["at"].minute // 15 * 15, second=0) for r in runs}
        requests = math.ceil(activities / PER_PAGE) + 1
        last = runs[-1]
        return {"activities": activities, "runs": len(runs), "windows": len(windows),
                "floor_windows": math.ceil(requests / WINDOW_BUDGET), "reads": requests,
                "status": last["summary"].status, "stored": len(world.warehouse.activity_ids()),
                "schedule_minutes": round((last["at"] - START).total_seconds() / 60, 1),
                "refused_429": world.refused, "compute_s": round(time.perf_counter() - started, 1)}
    finally:
        world.close()


def deletion_latency(activities: int, folder: Path, seed: int) -> dict[str, Any]:
    """Backfill, then play the schedule for two days; at 04:00 on the first (just after that day's pass began)
    one activity at a random date is deleted on Strava. Reports the hours until a run archived it, and the
    read requests of the second, whole steady day."""
    world = World(activities, folder, seed)
    started = time.perf_counter()
    try:
        play(world, [Run(START, "incremental", "first sync")], START + timedelta(days=1),
             stop=lambda out: out["summary"].status == "ok")
        day1 = START.replace(hour=0) + timedelta(days=1)
        deleted_at, end = day1 + timedelta(hours=4), day1 + timedelta(days=2)
        victim = random.Random(seed).choice(world.sim.activities)
        delete = Run(deleted_at, "", "event", lambda: world.sim.delete_activity(victim["id"]))
        runs = play(world, [*scheduled(world.now() + timedelta(seconds=1), end), delete], end)
        found = [out["at"] for out in runs if out["at"] >= deleted_at and out["summary"].deleted]
        steady_day = f"{day1 + timedelta(days=1):%Y-%m-%d}"
        return {"activities": activities, "deleted_start": victim["start_date"][:10],
                "latency_h": round((found[0] - deleted_at).total_seconds() / 3600, 2) if found else None,
                "reads_per_day": world.reads_by_day.get(steady_day), "steady_day": steady_day,
                "refused_429": world.refused, "compute_s": round(time.perf_counter() - started, 1)}
    finally:
        world.close()


def largest_history_for_48h(incremental_reads: int = 2, deletions_per_day: int = 10) -> int:
    """The most activities a daily pass lists within one day's read budget: what is left of the day after
    the reserve, the four incremental runs and the confirmations, 200 per page, less the empty last page."""
    pages = READ_LIMITS[1] - RESERVE - len(INCREMENTAL_HOURS) * incremental_reads - deletions_per_day - 1
    return pages * PER_PAGE


def section(results: dict[str, Any]) -> str:
    b = results["backfill"]
    rows = "\n".join(
        f"| {r['activities']:,} | {r['deleted_start']} | {_h(r['latency_h'])} | {r['reads_per_day']} | "
        f"{READ_LIMITS[1] - RESERVE} | {r['refused_429']} | {r['compute_s']} s |" for r in results["latency"])
    met = [r["activities"] for r in results["latency"] if r["latency_h"] is not None and r["latency_h"] <= 48]
    return "\n".join([
        BEGIN,
        "## Histories larger than one rate window (simulated days)",
        "",
        f"Generated by `.venv/bin/python -m bench.schedule` (part of `make bench`) on {results['date']}: "
        "Terraform's schedule (incremental runs every 6 h, the reconciliation pass daily at 03:30 UTC, "
        "continuations 30 s after each window reset) played on the simulator's virtual clock with Strava's read "
        f"limits {READ_LIMITS[0]}/15 min and {READ_LIMITS[1]:,}/day, reserve {RESERVE}; real `run_sync`, DuckDB. "
        "Runs take no virtual time.",
        "",
        f"**First backfill of {b['activities']:,} activities**: {b['windows']} rate windows used, floor "
        f"ceil({b['reads']} requests / {WINDOW_BUDGET}) = {b['floor_windows']} "
        f"({b['windows'] / b['floor_windows']:.2f}x, target <= 1.1x); {b['runs']} runs; the simulated schedule "
        f"took {b['schedule_minutes']} min from the first run to the last; {b['refused_429']} requests refused "
        f"with 429; {b['stored']:,} activities stored; {b['compute_s']} s of computing.",
        "",
        "**Deletion latency and steady-state requests**: one activity, at a random date, deleted at 04:00 UTC "
        "(just after that day's pass started); hours until a run archived it; read requests on the next whole day.",
        "",
        "| History | Deleted activity's date | Hours to archive (target <= 48) | Reads per day | Daily budget "
        "minus reserve | 429s | Computing |",
        "|---:|---|---:|---:|---:|---:|---:|",
        rows,
        "",
        (f"Largest measured history that meets 48 h: {max(met):,} activities." if met else "No size met 48 h.")
        + " Computed from the limits (docs/operations.md): a daily pass completes within one day's budget up to "
        f"{largest_history_for_48h():,} activities.",
        END,
    ])


def _h(hours: float | None) -> str:
    return "not archived" if hours is None else f"{hours:.1f}"


def write_section(text: str, path: Path = MARKDOWN) -> None:
    current = path.read_text() if path.exists() else ""
    block = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if block.search(current):
        path.write_text(block.sub(lambda _: text, current))
    else:
        path.write_text(current.rstrip() + "\n\n" + text + "\n")


def saved_section() -> str:
    """The last results' section, for bench/report.py to keep in docs/benchmarks.md."""
    return section(json.loads(JSON_OUT.read_text())) if JSON_OUT.exists() else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    sizes = [500, 2000] if args.quick else [5_000, 20_000, 50_000, 100_000]
    backfill_size = 5_000 if args.quick else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        folders = iter(Path(tmp) / str(i) for i in range(len(sizes) + 1))
        results: dict[str, Any] = {"date": f"{datetime.now(UTC):%Y-%m-%d}"}
        folder = next(folders)
        folder.mkdir()
        results["backfill"] = backfill(backfill_size, folder)
        print(json.dumps(results["backfill"]), file=sys.stderr, flush=True)
        results["latency"] = []
        for seed, size in enumerate(sizes, start=1):
            folder = next(folders)
            folder.mkdir()
            results["latency"].append(deletion_latency(size, folder, seed))
            print(json.dumps(results["latency"][-1]), file=sys.stderr, flush=True)
    if not args.quick:
        JSON_OUT.write_text(json.dumps(results, indent=2) + "\n")
        write_section(section(results))
    print(section(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
