"""Cold start: importing `main` must not import the heavy modules (the Google clients, DuckDB, the sync
itself: they load on the first request) nor touch the network. It runs in a fresh interpreter (this test
process has imported everything). Whether the lazy imports need only the function's requirements is
tests/function/test_function_requirements.py; how long the import takes is measured by the benchmark."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("google.cloud.bigquery", "google.cloud.secretmanager", "google.api_core", "google.auth", "grpc",
         "requests", "urllib3", "duckdb", "pyarrow", "tenacity", "strava.sync", "strava.client")

# Refuses any socket use, then imports main and reports which modules it added.
PROBE = """
import json, socket, sys

def no_network(*args, **kwargs):
    raise AssertionError("importing main touched the network")

socket.socket.connect = socket.socket.connect_ex = no_network
socket.getaddrinfo = socket.create_connection = no_network
before = set(sys.modules)
import main
assert callable(main.run)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_main_imports_without_heavy_modules_or_network() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    added = json.loads(proc.stdout.strip().splitlines()[-1])
    heavy = [m for m in added if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == [], f"`import main` imported {heavy}"
