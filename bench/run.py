"""`make bench`: API economy, speed, memory and cold start of the sync, against the full-reload approach.

Every scenario runs in a fresh process (bench/scenario.py); the simulator, the BigQuery emulator and the
function server run in processes of their own. Prints one table, writes docs/benchmarks.md and
bench/results.json.

    .venv/bin/python bench/run.py [--latency-ms 150] [--quick] [--peer-only]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (`python bench/run.py`): make our packages importable
    sys.path.insert(0, str(ROOT))

from bench import peer, peer_report, report, streams  # noqa: E402
from bench.services import (  # noqa: E402
    Simulator,
    bigquery_emulator,
    function_cold_start,
    function_memory,
    python,
)
from localservices import Service  # noqa: E402

SEED = 42
PER_PAGE = 200
SCENARIO_TIMEOUT = 300


def floor_calls(n: int) -> int:
    """The fewest requests that can list n activities: token + ceil(n/200) pages + the empty last page."""
    return 1 + math.ceil(n / PER_PAGE) + 1


@dataclass
class Bench:
    latency: float  # seconds per simulated Strava request for the call/wall-time scenarios
    sizes: dict[str, Any]
    work: Path
    results: dict[str, Any] = field(default_factory=dict)
    _n: int = 0

    def scenario(self, spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
        """Run one scenario in a fresh process and return its JSON line."""
        self._n += 1
        err = self.work / f"scenario-{self._n}-{spec['kind']}.stderr"
        with err.open("wb") as stderr:
            proc = subprocess.run([python(), "-m", "bench.scenario", json.dumps(spec)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=stderr, timeout=SCENARIO_TIMEOUT,
                                  env={**os.environ, **(env or {})})
        if proc.returncode != 0:
            raise RuntimeError(f"scenario {spec['kind']} failed:\n{err.read_text(errors='replace')[-3000:]}")
        return json.loads(proc.stdout.decode().strip().splitlines()[-1])

    def sync(self, sim: Simulator, warehouse: str, env: dict[str, str] | None = None, **extra: Any) -> dict:
        before = sim.calls()
        spec = {"kind": "sync", "api_url": sim.api_url, "oauth_url": sim.oauth_url,
                "secrets": str(self.secrets(sim)), "warehouse": warehouse, **extra}
        out = self.scenario(spec, env)
        out["sim_calls"] = sim.calls() - before  # counted by the server: cross-checks the client's count
        if out["summary"]["status"] != "ok":
            raise RuntimeError(f"sync did not succeed: {out['summary']}")
        return out

    def secrets(self, sim: Simulator) -> Path:
        return sim.write_secrets(self.work / f"secrets-{sim.activities}.json")

    def progress(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _initial_row(engine: str, n: int, latency: float, out: dict) -> dict:
    return {"engine": engine, "n": n, "latency_ms": latency * 1000, "api_calls": out["summary"]["api_calls"],
            "sim_calls": out["sim_calls"], "floor": floor_calls(n), "wall_s": out["wall_s"],
            "rows_per_s": out["rows_per_s"], "rss_mb": out["rss_mb"]}


def _memory_row(n: int, out: dict) -> dict:
    return {"n": n, "tracemalloc_peak_mb": out["tracemalloc_peak_mb"], "rss_mb": out["rss_mb"],
            "wall_s_traced": out["wall_s"]}


def run_small(bench: Bench, bq: Service) -> None:
    """1,000 activities: initial syncs (DuckDB, BigQuery), the function's cold start, tracemalloc baseline."""
    n = bench.sizes["small"]
    with Simulator(n, SEED, bench.latency, bench.work / "sim-small.log") as sim:
        db = bench.work / "small.duckdb"
        bench.progress(f"initial sync, {n} activities -> DuckDB")
        out = bench.sync(sim, f"duckdb:{db}")
        bench.results["initial"].append(_initial_row("duckdb", n, sim.latency, out))
        bench.progress(f"initial sync, {n} activities -> bqemulator")
        out = bench.sync(sim, f"bigquery:test.b{uuid.uuid4().hex[:10]}", {"BIGQUERY_EMULATOR_HOST": bq.url})
        bench.results["initial"].append(_initial_row("bigquery", n, sim.latency, out))
        bench.progress("cold start: functions-framework")
        bench.results["cold_start"]["function"] = function_runs(bench, sim, db)
        sim.configure(latency=0)
        bench.progress(f"tracemalloc, {n} activities")
        bench.results["memory"].append(_memory_row(n, bench.sync(sim, f"duckdb:{bench.work / 'mem-small.duckdb'}",
                                                                 tracemalloc=True)))


def function_runs(bench: Bench, sim: Simulator, db: Path, runs: int = 3) -> dict[str, Any]:
    env = {**sim.sync_env(), "STRAVA_SECRETS": f"file:{bench.secrets(sim)}", "STRAVA_WAREHOUSE": f"duckdb:{db}"}
    samples = [function_cold_start(env, bench.work, post=True) for _ in range(runs)]
    return {"runs": samples, "ready_s_min": min(s["ready_s"] for s in samples),
            "first_sync_s_min": min(s["first_sync_s"] for s in samples), "latency_ms": sim.latency * 1000}


def function_into_bigquery(bench: Bench, sim: Simulator, bq: Service) -> dict[str, Any]:
    """The production path end to end: a POST to the real function server, syncing into bqemulator."""
    env = {**sim.sync_env(), "STRAVA_SECRETS": f"file:{bench.secrets(sim)}", "BIGQUERY_EMULATOR_HOST": bq.url,
           "STRAVA_WAREHOUSE": f"bigquery:test.f{uuid.uuid4().hex[:10]}"}
    before = sim.calls()
    out = function_cold_start(env, bench.work, post=True)
    if out["first_sync_status"] != "ok":
        raise RuntimeError(f"the function's sync did not succeed: {out}")
    calls = sim.calls() - before
    bench.progress(f"steady state through the function, {sim.activities} history -> bqemulator (peak RSS)")
    steady = function_memory(env, bench.work)
    if any(answer["status"] != "ok" for answer in steady["requests"]):
        raise RuntimeError(f"the function's steady-state sync did not succeed: {steady}")
    return {**out, "n": sim.activities, "sim_calls": calls, "latency_ms": sim.latency * 1000, "steady": steady}


def run_medium(bench: Bench, bq: Service) -> None:
    """10,000 activities: initial syncs, BigQuery speed and profile, steady state, the full-reload baseline."""
    n = bench.sizes["medium"]
    bq_env = {"BIGQUERY_EMULATOR_HOST": bq.url}
    with Simulator(n, SEED, bench.latency, bench.work / "sim-medium.log") as sim:
        db = bench.work / "medium.duckdb"
        bench.progress(f"initial sync, {n} activities -> DuckDB")
        bench.results["initial"].append(_initial_row("duckdb", n, sim.latency, bench.sync(sim, f"duckdb:{db}")))
        bench.progress(f"initial sync, {n} activities -> bqemulator")
        out = bench.sync(sim, f"bigquery:test.b{uuid.uuid4().hex[:10]}", bq_env)
        bench.results["initial"].append(_initial_row("bigquery", n, sim.latency, out))
        sim.configure(latency=0)
        bench.progress(f"initial sync, {n} activities -> bqemulator, no latency (+ profile)")
        out = bench.sync(sim, f"bigquery:test.b{uuid.uuid4().hex[:10]}", bq_env)
        bench.results["initial"].append(_initial_row("bigquery", n, 0.0, out))
        bench.progress(f"initial sync through the function (functions-framework, POST {{}}), {n} -> bqemulator")
        bench.results["function_bigquery"] = function_into_bigquery(bench, sim, bq)
        profile = bench.work / "profile-bigquery.txt"
        bench.sync(sim, f"bigquery:test.b{uuid.uuid4().hex[:10]}", bq_env, profile=str(profile))
        bench.results["profiles"]["bigquery_initial"] = profile.read_text()
        bench.progress(f"tracemalloc, {n} activities")
        bench.results["memory"].append(_memory_row(n, bench.sync(sim, f"duckdb:{bench.work / 'mem-medium.duckdb'}",
                                                                 tracemalloc=True)))
        sim.configure(latency=bench.latency)
        steady_and_baseline(bench, sim, db)


def steady_and_baseline(bench: Bench, sim: Simulator, db: Path, new: int = 3, reload_runs: int = 2) -> None:
    for added in (0, new):
        for _ in range(added):
            sim.add_activity()
        bench.progress(f"steady state: {added} new activities")
        out = bench.sync(sim, f"duckdb:{db}")
        s = out["summary"]
        bench.results["steady"].append({"history": sim.count(), "new": added, "api_calls": s["api_calls"],
                                        "sim_calls": out["sim_calls"], "wall_s": out["wall_s"],
                                        "rewritten": s["inserted"] + s["updated"], "fetched": s["fetched"],
                                        "latency_ms": sim.latency * 1000})
    runs = []
    for i in range(reload_runs):
        bench.progress(f"full-reload baseline, run {i + 1}")
        before = sim.calls()
        out = bench.scenario({"kind": "baseline", "api_url": sim.api_url, "oauth_url": sim.oauth_url,
                              "secrets": str(bench.secrets(sim)), "db": str(db)})
        runs.append({**out, "sim_calls": sim.calls() - before})
    bench.results["baseline"] = {"history": sim.count(), "runs": runs, "latency_ms": sim.latency * 1000}


def run_large(bench: Bench) -> None:
    n = bench.sizes["large"]
    with Simulator(n, SEED, bench.latency, bench.work / "sim-large.log") as sim:
        bench.progress(f"initial sync, {n} activities -> DuckDB")
        out = bench.sync(sim, f"duckdb:{bench.work / 'large.duckdb'}")
        bench.results["initial"].append(_initial_row("duckdb", n, sim.latency, out))
        sim.configure(latency=0)
        bench.progress(f"tracemalloc, {n} activities")
        bench.results["memory"].append(_memory_row(n, bench.sync(sim, f"duckdb:{bench.work / 'mem-large.duckdb'}",
                                                                 tracemalloc=True)))


def run_speed(bench: Bench) -> None:
    n = bench.sizes["speed"]
    bench.progress(f"transform + DuckDB upsert, {n} pre-generated activities (+ profile)")
    bench.results["speed"] = bench.scenario({"kind": "speed", "n": n, "seed": SEED,
                                             "db": str(bench.work / "speed.duckdb")})
    profile = bench.work / "profile-speed.txt"
    bench.scenario({"kind": "speed", "n": n, "seed": SEED, "db": str(bench.work / "speed-profile.duckdb"),
                    "profile": str(profile)})
    bench.results["profiles"]["transform_upsert"] = profile.read_text()


IMPORT_SNIPPET = "import time;t=time.perf_counter();import main;print(time.perf_counter()-t)"


def run_import(bench: Bench, runs: int = 7) -> None:
    bench.progress("cold start: import main")
    samples = [float(subprocess.run([python(), "-c", IMPORT_SNIPPET], cwd=ROOT, check=True, capture_output=True,
                                    text=True).stdout) for _ in range(runs)]
    proc = subprocess.run([python(), "-X", "importtime", "-c", "import main"], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    main_us, total_us = _importtime(proc.stderr)
    bench.results["cold_start"].update(import_main_s_min=min(samples), import_main_samples=samples,
                                       importtime_main_s=main_us / 1e6, importtime_total_self_s=total_us / 1e6)


def _importtime(text: str) -> tuple[int, int]:
    """(cumulative µs of `main`, sum of self µs of every import) from `-X importtime` output."""
    main_us, total_us = 0, 0
    for line in text.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if found:
            total_us += int(found.group(1))
            if found.group(4) == "main" and found.group(3) == " ":
                main_us = int(found.group(2))
    return main_us, total_us


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = re.search(r"MemTotal:\s+(\d+)", meminfo)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    import duckdb

    return {"cores": os.cpu_count(), "memory_gb": round(int(mem_kb.group(1)) / 2**20, 1) if mem_kb else None,
            "cpu": model.group(1).strip() if model else None, "python": sys.version.split()[0],
            "duckdb": duckdb.__version__, "load_average_at_start": os.getloadavg()}


SIZES = {"full": {"small": 1_000, "medium": 10_000, "large": 50_000, "speed": 50_000},
         "quick": {"small": 300, "medium": 2_000, "large": 5_000, "speed": 5_000}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=150.0,
                        help="added per-request latency for the call/wall-time scenarios (default 150)")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test of the bench itself)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the markdown (and print the table) from the existing --json file")
    parser.add_argument("--peer-only", action="store_true",
                        help="only the side-by-side comparison with strava-offline (stored into --json when it exists)")
    args = parser.parse_args(argv)
    if args.peer_only:
        return peer.main([*(["--quick"] if args.quick else []), "--json", str(args.json),
                          "--markdown", str(args.markdown)])
    if args.render:
        results = json.loads(args.json.read_text())
        results["targets"] = report.targets(results)  # verdict texts follow the current report code
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        args.markdown.write_text(report.markdown(results))
        print(report.table(results) + "\n\n" + report.targets_table(results))
        return 0
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="strava-bench-"))
    bench = Bench(args.latency_ms / 1000, SIZES["quick" if args.quick else "full"], work)
    bench.results.update(date=datetime.now(UTC).isoformat(timespec="seconds"), machine=machine(),
                         command=" ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
                         latency_ms=args.latency_ms, sizes=bench.sizes, initial=[], memory=[], steady=[],
                         cold_start={}, profiles={})
    try:
        with bigquery_emulator(work) as bq:
            run_small(bench, bq)
            run_medium(bench, bq)
        run_large(bench)
        run_speed(bench)
        run_import(bench)
        bench.results["peer"] = peer.compare(args.quick, progress=bench.progress)
        bench.results["streams"] = streams.measure(args.quick)
    except Exception:
        print(f"benchmark failed; logs kept in {work}", file=sys.stderr)
        raise
    bench.results["bench_wall_s"] = time.perf_counter() - started
    bench.results["machine"]["load_average_at_end"] = os.getloadavg()
    bench.results["targets"] = report.targets(bench.results)
    args.json.write_text(json.dumps(bench.results, indent=2, default=str) + "\n")
    args.markdown.write_text(report.markdown(bench.results))
    print(report.table(bench.results) + "\n\n" + peer_report.table(bench.results["peer"]) + "\n\n"
          + report.targets_table(bench.results))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
