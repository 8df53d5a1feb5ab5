"""The side-by-side benchmark's own instruments: the process meter and the transport to the simulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests

from bench import peer_report
from bench.peer_launcher import RewritingAdapter
from strava.simulator import StravaSimulator

ROOT = Path(__file__).resolve().parents[2]
RUSAGE = ROOT / "bench" / "peer_rusage.py"
ALLOCATE_100_MB = "b = bytearray(100 * 2**20); b[::4096] = b'x' * len(b[::4096])"


def _meter(tmp_path: Path, *command: str) -> dict:
    out = subprocess.run([sys.executable, "-I", str(RUSAGE), str(tmp_path / "out"), str(tmp_path / "err"), "--",
                          *command], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_the_meter_reports_the_commands_own_peak_not_the_benchmarks(tmp_path: Path) -> None:
    held = bytearray(300 * 2**20)  # the benchmark's own high-water mark, which a forked child would inherit
    held[::4096] = b"x" * len(held[::4096])
    idle = _meter(tmp_path, sys.executable, "-c", "pass")
    busy = _meter(tmp_path, sys.executable, "-c", ALLOCATE_100_MB)
    assert idle["rss_mb"] < 50
    assert busy["rss_mb"] >= 100
    assert idle["returncode"] == busy["returncode"] == 0
    del held


def test_the_meter_passes_on_exit_code_and_output(tmp_path: Path) -> None:
    result = _meter(tmp_path, sys.executable, "-c", "import sys; print('out'); sys.exit(3)")
    assert result["returncode"] == 3
    assert (tmp_path / "out").read_text() == "out\n"
    assert result["wall_s"] > 0


def test_requests_for_www_strava_com_reach_the_simulator(simulator: StravaSimulator) -> None:
    with requests.Session() as session:
        session.mount("https://www.strava.com", RewritingAdapter(simulator.url))
        answer = session.get("https://www.strava.com/api/v3/athlete/activities", params={"page": 1}, timeout=10)
    assert answer.status_code == 401  # the simulator's Fault for a request without a token
    assert [(method, path) for method, path, _ in simulator.request_log] == [("GET", "/api/v3/athlete/activities")]


def _run(mode: str, ours: tuple[float, float], peer: tuple[float, float]) -> dict:
    side = [{"calls": 3, "wall_s": wall, "rss_mb": rss, "cpu_s": 0.1} for wall, rss in (ours, peer)]
    return {"mode": mode, "ours": side[0], "peer": side[1]}


def test_targets_are_judged_on_the_largest_history_as_ratios_to_the_peer() -> None:
    small = {"n": 1_000, "clamped_upload_ids": 0, "runs": [_run("steady", (9.0, 900.0), (1.0, 40.0))]}
    large = {"n": 10_000, "clamped_upload_ids": 0,
             "runs": [_run("initial", (4.0, 110.0), (5.0, 40.0)), _run("steady", (1.2, 50.0), (1.0, 40.0)),
                      _run("full", (9.0, 900.0), (1.0, 40.0))]}
    verdicts = {t["name"]: (t["met"], t["margin"]) for t in peer_report.targets(
        {"peer": {"peer": "strava-offline 1.1.1", "sizes": [small, large]}})}
    assert verdicts == {"peer_initial_wall": (True, "met, 20% headroom"),
                        "peer_initial_rss": (True, "met, 8% headroom"),
                        "peer_steady_wall": (False, "missed by 1.20x"),
                        "peer_steady_rss": (True, "met, 17% headroom")}
