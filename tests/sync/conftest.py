"""Helpers for end-to-end sync tests: the real CLI process against the simulator and a DuckDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CliResult:
    code: int
    summary: dict
    stdout: str
    stderr: str


@dataclass
class Project:
    """One athlete's local setup: a simulator, a secrets file and a DuckDB file."""

    sim: object
    secrets: Path
    db: Path
    env: dict

    def sync(self, *args: str, **env: str) -> CliResult:
        proc = subprocess.run([sys.executable, "-m", "strava", "sync", *args], cwd=ROOT, capture_output=True,
                              text=True, env={**self.env, **env}, timeout=120)
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
        return CliResult(proc.returncode, json.loads(last), proc.stdout, proc.stderr)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def stored(self) -> dict[int, dict]:
        """id -> raw activity JSON, from the warehouse."""
        return {i: json.loads(raw) for i, raw in self.rows("SELECT id, raw::VARCHAR FROM activities")}

    def truth(self) -> dict[int, dict]:
        return {a["id"]: a for a in self.sim.activities}


@pytest.fixture
def project(tmp_path, make_simulator, request):
    """A project with a started simulator; `@pytest.mark.sim(activities=..., rotate=...)` configures it."""
    marker = request.node.get_closest_marker("sim")
    sim = make_simulator(**(marker.kwargs if marker else {}))
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps(sim.secrets()))
    db = tmp_path / "strava.duckdb"
    env = {**os.environ, "STRAVA_API_URL": sim.api_url, "STRAVA_OAUTH_URL": sim.oauth_url,
           "STRAVA_SECRETS": f"file:{secrets}", "STRAVA_WAREHOUSE": f"duckdb:{db}",
           "STRAVA_RETRY_SECONDS": "2", "STRAVA_READ_TIMEOUT": "2"}
    return Project(sim, secrets, db, env)
