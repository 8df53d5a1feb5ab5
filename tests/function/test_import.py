"""Cold start: importing `main` must not need the Google client libraries, nor import heavy modules, nor
touch the network. Each check runs in a fresh interpreter (this test process has imported everything)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("google.cloud.bigquery", "google.cloud.secretmanager", "google.api_core", "google.auth", "grpc",
         "requests", "urllib3", "duckdb", "pyarrow", "tenacity", "strava.sync", "strava.client")
BLOCKED = ("google.cloud.bigquery", "google.cloud.secretmanager", "google.api_core", "google.auth", "grpc")

# Blocks the Google libraries and any socket use, then imports main and reports which modules it added.
PROBE = """
import importlib.abc, json, socket, sys
BLOCKED = {blocked!r}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError(f"{{name}} is blocked in this test")
        return None

def no_network(*args, **kwargs):
    raise AssertionError("importing main touched the network")

sys.meta_path.insert(0, Block())
socket.socket.connect = socket.socket.connect_ex = no_network
socket.getaddrinfo = socket.create_connection = no_network
before = set(sys.modules)
import main
assert callable(main.run)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_main_imports_without_google_libraries_network_or_heavy_modules() -> None:
    proc = _python("-c", PROBE.format(blocked=BLOCKED))
    assert proc.returncode == 0, proc.stderr
    added = json.loads(proc.stdout.strip().splitlines()[-1])
    heavy = [m for m in added if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == [], f"`import main` imported {heavy}"
    assert not [m for m in added if m.startswith("strava.simulator")]  # test tooling never ships in the path


def test_the_blocker_really_blocks() -> None:
    """Guards the test above: with the same blocker, a Google import does fail."""
    proc = _python("-c", PROBE.format(blocked=BLOCKED).replace("import main", "import google.cloud.bigquery"))
    assert proc.returncode != 0 and "blocked in this test" in proc.stderr


def import_time_ms() -> tuple[float, float]:
    """(`main` cumulative import time, whole interpreter import time) in ms, from `python -X importtime`."""
    proc = _python("-X", "importtime", "-c", "import main")
    assert proc.returncode == 0, proc.stderr
    rows = re.findall(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", proc.stderr)
    total = sum(int(self_us) for self_us, _, _, _ in rows) / 1000
    main_us = next(int(cumulative) for _, cumulative, _, name in rows if name == "main")
    return main_us / 1000, total


def test_import_time_is_small() -> None:
    main_ms, total_ms = min(import_time_ms() for _ in range(3))  # best of 3: other processes share the CPUs
    print(f"import main: {main_ms:.1f} ms (all imports incl. interpreter start-up: {total_ms:.1f} ms)")
    # The Google clients alone cost 250-350 ms; a generous bound so a loaded machine does not flake.
    assert main_ms < 200, f"`import main` took {main_ms:.0f} ms"
