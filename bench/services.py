"""The processes a benchmark talks to, each in a process of its own so its CPU and memory never count
toward the sync being measured: the Strava simulator, the BigQuery emulator, the Cloud Function server.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
BQ_VENV = ROOT / ".venv-bqemulator"
# Strava's real limits are 100/15 min and 1,000/day: far too low for a 50,000-activity backfill in one go.
RAISED_LIMITS = [10**6, 10**7]
START_TIMEOUT = 60.0


def python() -> str:
    return str(PYTHON) if PYTHON.exists() else sys.executable


def _http(method: str, url: str, payload: Any = None, timeout: float = 10.0) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None


def _answers(url: str) -> bool:
    """Any HTTP answer (an error status included) means the server is up."""
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Simulator:
    """`python -m strava simulate` in its own process, driven through its /_sim/ control endpoints."""

    activities: int
    seed: int
    latency: float  # seconds added to every Strava request
    log: Path
    proc: subprocess.Popen | None = None
    url: str = ""
    _state: dict = field(default_factory=dict, repr=False)

    def start(self) -> Simulator:
        command = [python(), "-m", "strava", "simulate", "--port", "0", "--activities", str(self.activities),
                   "--seed", str(self.seed), "--latency-ms", str(self.latency * 1000)]
        with self.log.open("wb") as out:  # a file, not a pipe nobody drains
            self.proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        self.url = self._wait_url()
        self.configure(read_limits=RAISED_LIMITS, overall_limits=RAISED_LIMITS)
        return self

    def _wait_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"simulator exited: {self.log.read_text(errors='replace')[-2000:]}")
            found = re.search(r"on (http://\S+)", self.log.read_text(errors="replace"))
            if found and _answers(f"{found.group(1)}/_sim/state"):
                return found.group(1)
            time.sleep(0.1)
        raise RuntimeError(f"simulator not up after {START_TIMEOUT:.0f} s")

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v3"

    @property
    def oauth_url(self) -> str:
        return f"{self.url}/oauth"

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
        if self.proc is not None:
            _stop(self.proc)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class BigQueryEmulator:
    """bqemulator (the recipe of tests/fixtures/bqemulator.py), REST on a port it picks itself."""

    folder: Path
    proc: subprocess.Popen | None = None
    url: str = ""

    def start(self) -> BigQueryEmulator:
        binary = BQ_VENV / "bin" / "bqemulator"
        if not binary.exists():
            raise RuntimeError(f"{binary} is missing: run `make bqemulator` first")
        log = self.folder / "bqemulator.log"
        env = {**os.environ, "HOME": str(BQ_VENV / "home"), "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false",
               "PYTHONUNBUFFERED": "1"}
        command = [str(binary), "start", "--rest-host", "127.0.0.1", "--rest-port", "0", "--grpc-host",
                   "127.0.0.1", "--grpc-port", "0", "--project", "test", "--log-format", "json",
                   "--log-level", "info"]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.folder,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bqemulator exited: {log.read_text(errors='replace')[-2000:]}")
            port = _rest_port(log)
            if port and _answers(f"http://127.0.0.1:{port}/healthz"):
                self.url = f"http://127.0.0.1:{port}"
                return self
            time.sleep(0.1)
        raise RuntimeError(f"bqemulator not healthy after {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)

    def __enter__(self) -> BigQueryEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _rest_port(log: Path) -> int | None:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"rest.listen"' in line:
            return int(json.loads(line)["port"])
    return None


def function_cold_start(env: dict[str, str], folder: Path, post: bool) -> dict[str, float]:
    """Start `functions-framework` and time, from process start: the first answered request
    (`/robots.txt`, a 404 that never calls the function) and, with `post`, the first POST {} answered."""
    port = free_port()
    binary = PYTHON.parent / "functions-framework"
    command = [str(binary), "--target=run", "--source=main.py", "--port", str(port), "--host", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}"
    with (folder / "function.log").open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        result = {"ready_s": _first_answer(proc, f"{url}/robots.txt") - started}
        if post:
            posted = time.perf_counter()
            answer = _http("POST", url, {}, timeout=300)
            result["first_sync_s"] = time.perf_counter() - started
            result["post_s"] = time.perf_counter() - posted  # the request alone, server already up
            result["first_sync_status"] = answer.get("status")
            result["first_sync_api_calls"] = answer.get("api_calls")
            result["first_sync_inserted"] = answer.get("inserted")
        return result
    finally:
        _stop(proc)


def _first_answer(proc: subprocess.Popen, url: str) -> float:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"functions-framework exited with {proc.returncode}")
        if _answers(url):
            return time.perf_counter()
        time.sleep(0.005)
    raise RuntimeError("functions-framework did not answer")
