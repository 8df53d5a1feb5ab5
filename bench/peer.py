"""Side by side with strava-offline (the peer): the same simulator, the same history, whole processes.

For each history size, on one simulator with no added latency: an initial sync into an empty store, a
steady-state sync (nothing new), and a full sync (`--full`, both tools), each as its own process,
timed from process start to exit with its peak RSS (bench/peer_rusage.py, a small process of its own)
and its Strava calls counted by the simulator. Ours is the CLI (`python -m strava sync`, DuckDB, file
secrets); the peer is strava-offline's `sqlite` command in .venv-peer (bench/peer_launcher.py).

    .venv/bin/python -m bench.peer [--quick] [--repeats 5]

prints the table and, when bench/results.json exists, stores the figures there under "peer" and
rewrites docs/benchmarks.md (`bench/run.py --peer-only` does the same).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `bench` and `strava` importable
    sys.path.insert(0, str(ROOT))

from bench.services import RAISED_LIMITS, Simulator, python  # noqa: E402

PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"
PEER_VERSION_CODE = "import importlib.metadata as m; print(m.version('strava-offline'))"
RUSAGE = ROOT / "bench" / "peer_rusage.py"
LAUNCHER = ROOT / "bench" / "peer_launcher.py"
SEED = 42
SIZES = {"full": (1_000, 10_000), "quick": (300, 2_000)}
MODES = ("initial", "steady", "full")
INT64_MAX = 2**63 - 1
RUN_TIMEOUT = 300
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")
IMPORT_TOP = 10


@dataclass
class Tool:
    """How to run one tool's sync as a process: its command line and environment."""

    name: str
    work: Path

    def store(self, tag: str) -> Path:
        return self.work / f"{self.name}-{tag}.{'duckdb' if self.name == 'ours' else 'sqlite'}"

    def command(self, sim: Simulator, store: Path, full: bool) -> tuple[list[str], dict[str, str]]:
        flag = ["--full"] if full else []
        state = sim.state()
        if self.name == "ours":
            secrets = sim.write_secrets(self.work / "ours-secrets.json")
            return [python(), "-m", "strava", "sync", *flag], {
                **sim.sync_env(), "STRAVA_SECRETS": f"file:{secrets}", "STRAVA_WAREHOUSE": f"duckdb:{store}"}
        token = self.expired_token(state["refresh_token"])
        return [str(PEER_PYTHON), str(LAUNCHER), sim.url, str(token), str(store), *flag], {
            "STRAVA_CLIENT_ID": state["client_id"], "STRAVA_CLIENT_SECRET": state["client_secret"],
            "XDG_CONFIG_HOME": str(self.work / "xdg-config"), "XDG_DATA_HOME": str(self.work / "xdg-data")}

    def expired_token(self, refresh_token: str) -> Path:
        """strava-offline's token file (requests-oauthlib's token dict) with an access token that has
        expired, as it has at a scheduled run 6 h after the last: it refreshes first, as ours always does."""
        path = self.work / "peer-token.json"
        path.write_text(json.dumps({"token_type": "Bearer", "access_token": "expired", "expires_in": -60,
                                    "expires_at": int(time.time()) - 60, "refresh_token": refresh_token}))
        path.chmod(0o600)
        return path


def measure(tool: Tool, sim: Simulator, store: Path, full: bool, log: str) -> dict[str, Any]:
    """One run of `tool` as a process of its own: wall time, peak RSS and the simulator's call count."""
    command, env = tool.command(sim, store, full)
    out, err = tool.work / f"{log}.stdout", tool.work / f"{log}.stderr"
    before = sim.calls()
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tool.work), **env}  # nothing of ours leaks in
    proc = subprocess.run([python(), "-I", str(RUSAGE), str(out), str(err), "--", *command], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"peer_rusage failed: {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(f"{tool.name} {log} exited with {result['returncode']}:\n"
                           f"{out.read_text()[-1000:]}\n{err.read_text(errors='replace')[-3000:]}")
    if tool.name == "ours" and json.loads(out.read_text().splitlines()[-1])["status"] != "ok":
        raise RuntimeError(f"our sync {log} did not succeed: {out.read_text()[-2000:]}")
    return {**result, "calls": sim.calls() - before}


def import_profile(tool: Tool, sim: Simulator, store: Path) -> dict[str, float]:
    """Milliseconds of import (self time, `-X importtime`) by top-level package in one run of `tool`, the
    largest first: what a steady-state run spends before it does anything."""
    command, env = tool.command(sim, store, False)
    proc = subprocess.run([command[0], "-X", "importtime", *command[1:]], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tool.work), **env}, timeout=RUN_TIMEOUT)
    spent: dict[str, float] = {}
    for found in IMPORT_LINE.finditer(proc.stderr):
        package = found.group(2).split(".")[0].lstrip("_")
        spent[package] = spent.get(package, 0.0) + int(found.group(1)) / 1000
    return dict(sorted(spent.items(), key=lambda item: -item[1]))


def stored_rows(tool: Tool, store: Path) -> int:
    """Activities in the store after a run: both tools must hold the whole history."""
    if tool.name == "peer":
        with sqlite3.connect(store) as conn:
            return conn.execute("SELECT count(*) FROM activity").fetchone()[0]
    import duckdb

    from strava.schema import ACTIVITIES

    with duckdb.connect(str(store), read_only=True) as conn:
        return conn.execute(f'SELECT count(*) FROM "{ACTIVITIES.name}"').fetchall()[0][0]


def clamp_upload_ids(sim: Simulator) -> int:
    """strava-offline 1.1.1 stops with OverflowError on an upload_id beyond INT64 (SQLite's INTEGER), which
    Strava's own example holds and the simulator reproduces; give those activities an in-range one, on
    the simulator, so both tools sync the same history. Returns how many were changed."""
    with urllib.request.urlopen(f"{sim.url}/_sim/activities", timeout=60) as response:
        history = json.loads(response.read())
    big = [a for a in history if isinstance(a.get("upload_id"), int) and a["upload_id"] > INT64_MAX]
    for a in big:
        upload_id = a["id"] + 10**8
        body = json.dumps({"upload_id": upload_id, "upload_id_str": str(upload_id)}).encode()
        request = urllib.request.Request(f"{sim.url}/_sim/activities/{a['id']}", data=body, method="PATCH",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()
    return len(big)


def _summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    calls = {s["calls"] for s in samples}
    if len(calls) != 1:
        raise RuntimeError(f"call counts differ between repeats: {sorted(calls)}")
    return {"calls": calls.pop(), "wall_s": statistics.median(s["wall_s"] for s in samples),
            "rss_mb": statistics.median(s["rss_mb"] for s in samples),
            "cpu_s": statistics.median(s["cpu_s"] for s in samples),
            "samples": [{k: s[k] for k in ("wall_s", "rss_mb", "cpu_s")} for s in samples]}


def run_size(tools: list[Tool], n: int, repeats: int, work: Path, progress) -> dict[str, Any]:
    """initial / steady / full for every tool at one history size; runs of the tools alternate."""
    with Simulator(n, SEED, 0.0, work / f"sim-{n}.log") as sim:
        clamped = clamp_upload_ids(sim)
        samples: dict[tuple[str, str], list] = {}
        kept = {tool.name: tool.store(f"{n}-0") for tool in tools}  # steady and full run on the first
        for mode in MODES:
            progress(f"{mode} sync, {n:,} activities, {repeats} run(s) each, ours and strava-offline")
            for i in range(repeats):
                for tool in tools:
                    store = tool.store(f"{n}-{i}") if mode == "initial" else kept[tool.name]
                    out = measure(tool, sim, store, mode == "full", f"{tool.name}-{n}-{mode}-{i}")
                    samples.setdefault((tool.name, mode), []).append(out)
                    if (held := stored_rows(tool, store)) != sim.count():
                        raise RuntimeError(f"{tool.name} holds {held} of {sim.count()} activities")
        imports = {tool.name: import_profile(tool, sim, kept[tool.name]) for tool in tools}
        return {"n": n, "clamped_upload_ids": clamped, "steady_imports_ms": imports,
                "runs": [{"mode": mode, **{tool.name: _summary(samples[tool.name, mode]) for tool in tools}}
                         for mode in MODES]}


def warm_up(tools: list[Tool], work: Path) -> None:
    """Bytecode compiled and shared libraries in the page cache before anything is timed: one small
    unmeasured sync per tool."""
    subprocess.run([python(), "-m", "compileall", "-q", "strava"], cwd=ROOT, check=True)
    with Simulator(50, SEED, 0.0, work / "sim-warm.log") as sim:
        clamp_upload_ids(sim)
        for tool in tools:
            measure(tool, sim, tool.store("warm"), False, f"{tool.name}-warm")


def setup_peer() -> None:
    subprocess.run([str(ROOT / "scripts" / "setup-peer.sh")], cwd=ROOT, check=True)


def compare(quick: bool = False, repeats: int = 5, progress=print) -> dict[str, Any]:
    """The whole comparison: set up .venv-peer, warm up, then every size. Returns results["peer"]."""
    setup_peer()
    work = Path(tempfile.mkdtemp(prefix="strava-peer-"))
    load_at_start = os.getloadavg()
    tools = [Tool("ours", work), Tool("peer", work)]
    try:
        warm_up(tools, work)
        sizes = [run_size(tools, n, repeats, work, progress) for n in SIZES["quick" if quick else "full"]]
    except Exception:
        print(f"peer comparison failed; logs kept in {work}", file=sys.stderr)
        raise
    version = subprocess.run([str(PEER_PYTHON), "-c", PEER_VERSION_CODE], capture_output=True, text=True,
                             check=True).stdout.strip()
    shutil.rmtree(work, ignore_errors=True)
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "peer": f"strava-offline {version}",
            "repeats": repeats, "latency_ms": 0.0, "limits": RAISED_LIMITS, "sizes": sizes,
            "load_average": [load_at_start, os.getloadavg()]}


def _progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    from bench import peer_report, report

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test of the comparison)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per scenario and tool (median reported)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    peer = compare(args.quick, args.repeats, _progress)
    print(peer_report.table(peer))
    if args.json.exists() and not args.quick:
        results = json.loads(args.json.read_text())
        results["peer"] = peer
        results["targets"] = report.targets(results)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        args.markdown.write_text(report.markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
