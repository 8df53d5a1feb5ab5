"""One benchmark scenario, run in a fresh process: `python -m bench.scenario '<json spec>'`.

Prints one JSON line with the figures. Kinds:
- sync: `run_sync` as the CLI runs it (the warehouse opened from its spec), timed around the call;
  optionally with tracemalloc (Python allocations during run_sync only) or a pyinstrument profile.
- baseline: one full-reload run (bench/baseline.py).
- speed: pre-generated activity dicts -> activity_row -> DuckDBWarehouse.upsert_activities in batches of
  BATCH_ROWS, no HTTP.
Peak RSS is the whole process's (ru_maxrss), imports included.
"""

from __future__ import annotations

import gc
import importlib
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from strava.secrets.file import FileSecretStore
from strava.settings import Settings

PROFILE_LINES = 60


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _settings(spec: dict[str, Any]) -> Settings:
    return Settings(api_url=spec["api_url"], oauth_url=spec["oauth_url"], secrets=f"file:{spec['secrets']}",
                    warehouse=spec.get("warehouse", "duckdb:unused"), read_timeout=60.0,
                    weather=False, streams=False)  # the listing sync, as Simulator.sync_env() says why


@contextmanager
def _profiled(path: str | None):
    """pyinstrument around the block when `path` is given; the flat self-time listing is written there."""
    if not path:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        flat = profiler.output_text(flat=True, time="percent_of_total")
        tree = profiler.output_text(time="percent_of_total", short_mode=False)
        Path(path).write_text("\n".join(flat.splitlines()[:PROFILE_LINES]) + "\n\n--- call tree ---\n" + tree)


def _preimport(warehouse: str) -> None:
    """Import what the run will use, so its wall time and allocations are the sync's, not module loading
    (cold start is measured on its own)."""
    importlib.import_module("strava.sync")
    if warehouse.startswith("bigquery:"):
        importlib.import_module("strava.warehouse.bigquery")
        importlib.import_module("google.cloud.bigquery")
    else:
        importlib.import_module("strava.warehouse.duckdb")


def sync(spec: dict[str, Any]) -> dict[str, Any]:
    _preimport(spec["warehouse"])
    from strava.sync import run_sync

    settings = _settings(spec)
    if spec.get("tracemalloc"):
        tracemalloc.start()
    started = time.perf_counter()
    with _profiled(spec.get("profile")):
        summary = run_sync(settings, full=spec.get("full", False))
    wall = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else None
    tracemalloc.stop()
    result = summary.to_dict()
    return {"summary": {k: result[k] for k in ("status", "api_calls", "fetched", "inserted", "updated", "error")},
            "wall_s": wall, "rows_per_s": summary.fetched / wall if wall else None, "rss_mb": _rss_mb(),
            "tracemalloc_peak_mb": None if peak is None else peak / 2**20}


def baseline(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.baseline import full_reload

    result = full_reload(_settings(spec), FileSecretStore(spec["secrets"]), spec["db"])
    return {**result, "rss_mb": _rss_mb()}


def speed(spec: dict[str, Any]) -> dict[str, Any]:
    """Transform + DuckDB upsert throughput, split into its steps."""
    from datetime import UTC, datetime

    from strava.schema import activity_row
    from strava.simulator.data import generate_activities
    from strava.sync import BATCH_ROWS
    from strava.warehouse.duckdb import DuckDBWarehouse

    items = generate_activities(spec["n"], spec.get("seed", 1))
    # The input stands in for pages arriving one at a time: keep the cyclic GC from re-scanning 50,000
    # pre-generated dicts a real sync never holds (it inflated this figure by ~25%).
    gc.freeze()
    warehouse = DuckDBWarehouse(spec["db"])
    warehouse.setup()
    now = datetime.now(UTC)
    spent = {"transform_s": 0.0, "upsert_s": 0.0, "close_s": 0.0}
    stored = 0
    batches_ms: list[float] = []  # per-batch upsert time: DuckDB's automatic checkpoints show up as spikes

    def clock(step: str, fn: Callable[..., Any], *args: Any) -> Any:
        t = time.perf_counter()
        out = fn(*args)
        spent[step] += time.perf_counter() - t
        return out

    with _profiled(spec.get("profile")):
        for start in range(0, len(items), BATCH_ROWS):
            chunk = items[start:start + BATCH_ROWS]
            rows = clock("transform_s", lambda c: [activity_row(item, now)[0] for item in c], chunk)
            before = spent["upsert_s"]
            result = clock("upsert_s", warehouse.upsert_activities, rows, f"bench-{start}")
            batches_ms.append(round((spent["upsert_s"] - before) * 1000, 1))
            stored += result.inserted
        clock("close_s", warehouse.close)  # the final checkpoint: part of getting the rows onto disk
    total = sum(spent.values())
    return {"n": len(items), "stored": stored, "batch_rows": BATCH_ROWS, **spent, "total_s": total,
            "upsert_batches_ms": batches_ms, "rows_per_s": len(items) / total, "rss_mb": _rss_mb()}


KINDS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"sync": sync, "baseline": baseline, "speed": speed}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    print(json.dumps(KINDS[spec["kind"]](spec), default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
