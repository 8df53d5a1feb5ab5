"""The processes a benchmark talks to, each in a process of its own so its CPU and memory never count
toward the sync being measured: the Strava simulator, the BigQuery emulator, the Cloud Function server.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localservices import Service, spawn, start_bqemulator, start_functions_framework, wait_until_answering

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
# Strava's real limits are 100/15 min and 1,000/day: far too low for a 50,000-activity backfill in one go.
RAISED_LIMITS = [10**6, 10**7]
START_TIMEOUT = 60.0
FUNCTION_SITE = ROOT / "bench" / "function_site"


def python() -> str:
    return str(PYTHON) if PYTHON.exists() else sys.executable


def _http(method: str, url: str, payload: Any = None, timeout: float = 10.0) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None


@dataclass
class Simulator:
    """`python -m strava simulate` in its own process, driven through its /_sim/ control endpoints."""

    activities: int
    seed: int
    latency: float  # seconds added to every Strava request
    log: Path
    service: Service | None = None
    _state: dict = field(default_factory=dict, repr=False)

    def start(self) -> Simulator:
        command = [python(), "-m", "strava", "simulate", "--port", "0", "--activities", str(self.activities),
                   "--seed", str(self.seed), "--latency-ms", str(self.latency * 1000)]
        self.service = spawn("simulator", command, os.environ, ROOT, self.log)
        wait_until_answering(self.service, _announced_url, "/_sim/state", timeout=START_TIMEOUT)
        self.configure(read_limits=RAISED_LIMITS, overall_limits=RAISED_LIMITS)
        return self

    @property
    def url(self) -> str:
        return self.service.url if self.service else ""

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v3"

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth"

    def sync_env(self) -> dict[str, str]:
        """The settings of a listing sync against this simulator: the streams and weather passes (on by
        default) are left out, since these scenarios measure the listing and strava-offline has neither;
        they have figures of their own (bench/streams.py, the weather tests)."""
        return {"STRAVA_API_URL": self.api_url, "STRAVA_OAUTH_URL": self.oauth_url,
                "STRAVA_STREAMS": "off", "STRAVA_WEATHER": "off"}

    def configure(self, **config: Any) -> None:
        _http("POST", f"{self.url}/_sim/config", config)
        if "latency" in config:
            self.latency = float(config["latency"])

    def state(self) -> dict:
        return _http("GET", f"{self.url}/_sim/state")

    def calls(self) -> int:
        return int(self.state()["calls"])

    def count(self) -> int:
        return int(self.state()["activities"])

    def add_activity(self) -> dict:
        return _http("POST", f"{self.url}/_sim/activities", {})

    def write_secrets(self, path: Path) -> Path:
        state = self.state()  # the simulator's made-up app secrets, never printed
        path.write_text(json.dumps({k: state[k] for k in ("client_id", "client_secret", "refresh_token")}))
        path.chmod(0o600)
        return path

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _announced_url(output: str) -> str | None:
    """The simulator's `... on http://127.0.0.1:PORT` line: the port it bound."""
    found = re.search(r"on (http://\S+)", output)
    return found.group(1) if found else None


def bigquery_emulator(folder: Path) -> Service:
    """bqemulator, REST on a port it picks itself; `with bigquery_emulator(work) as bq:` stops it after."""
    return start_bqemulator(folder / "bqemulator.log", timeout=START_TIMEOUT)


def function_cold_start(env: dict[str, str], folder: Path, post: bool) -> dict[str, float]:
    """Start `functions-framework` and time, from process start: the first answered request
    (`/robots.txt`, a 404 that never calls the function) and, with `post`, the first POST {} answered."""
    logs = Path(tempfile.mkdtemp(prefix="function-", dir=folder))
    started = time.perf_counter()
    with start_functions_framework(os.environ, env, logs, timeout=START_TIMEOUT, poll=0.005) as server:
        result = {"ready_s": time.perf_counter() - started}
        if post:
            posted = time.perf_counter()
            answer = _http("POST", server.url, {}, timeout=300)
            result["first_sync_s"] = time.perf_counter() - started
            result["post_s"] = time.perf_counter() - posted  # the request alone, server already up
            result["first_sync_status"] = answer.get("status")
            result["first_sync_api_calls"] = answer.get("api_calls")
            result["first_sync_inserted"] = answer.get("inserted")
        return result


def peak_rss_mb(pid: int) -> dict[int, float]:
    """Peak RSS (VmHWM, from /proc) of a running process and of every process under it, by pid: for a
    server, its own high-water mark, not one inherited by a fork of the benchmark."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, grew = {pid}, True
    while grew:
        children = {child for child, parent in parents.items() if parent in tree} - tree
        tree, grew = tree | children, bool(children)
    peaks = {}
    for member in tree:
        with contextlib.suppress(OSError):
            found = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{member}/status").read_text())
            if found:  # a kernel thread has none
                peaks[member] = int(found.group(1)) / 1024
    return peaks


def function_memory(env: dict[str, str], folder: Path, requests: int = 2) -> dict[str, Any]:
    """Start `functions-framework`, POST {} `requests` times (the first one cold), then read the peak RSS of
    the server's processes (gunicorn's arbiter and its worker): what a Cloud Functions instance must hold."""
    logs = Path(tempfile.mkdtemp(prefix="function-memory-", dir=folder))
    deployed = {**env, "PYTHONPATH": str(FUNCTION_SITE)}  # only what requirements-function.txt installs
    with start_functions_framework(os.environ, deployed, logs, timeout=START_TIMEOUT) as server:
        answers = []
        for _ in range(requests):
            posted = time.perf_counter()
            answer = _http("POST", server.url, {}, timeout=300)
            answers.append({"post_s": time.perf_counter() - posted, **{k: answer.get(k) for k in
                            ("status", "api_calls", "fetched", "inserted", "updated", "duration_s")}})
        peaks = peak_rss_mb(server.proc.pid)
    return {"requests": answers, "rss_mb_by_process": list(peaks.values()), "rss_mb": sum(peaks.values())}
