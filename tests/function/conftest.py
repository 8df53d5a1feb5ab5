"""A deployed-like function: the real functions-framework server, the simulator, and a warehouse."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

SUMMARY_KEYS = {"status", "mode", "api_calls", "fetched", "inserted", "updated", "deleted", "token_rotated", "error"}
TRACE_HEADER = "105445aa7843bc8bf206b12000100000/1;o=1"
TRACE_ID = "105445aa7843bc8bf206b12000100000"
PROJECT = "demo-project"
FAST_FAILURE = {"STRAVA_RETRY_SECONDS": "0.5", "STRAVA_READ_TIMEOUT": "2", "STRAVA_CONNECT_TIMEOUT": "2"}


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict
    text: str


@dataclass
class Deployment:
    """One function server wired to one simulator; `post` triggers it like Cloud Scheduler does."""

    server: Any  # localservices.Service
    sim: Any  # strava.simulator.StravaSimulator
    secrets: Path
    db: Path | None  # None on BigQuery
    dataset: str | None = None  # "project.dataset" on BigQuery
    secret_manager: Any = None  # localservices.secretmanager.FakeSecretManager on the production path
    answers: list[Answer] = field(default_factory=list)

    def post(self, body: bytes | str | dict | None = b"{}", method: str = "POST",
             headers: dict | None = None) -> Answer:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        response = requests.request(method, self.server.url, data=data, timeout=60,
                                    headers={"Content-Type": "application/json", **(headers or {})})
        try:
            body = response.json()
        except ValueError:
            body = {"not_json": response.text[:500]}  # the assertions then show what came instead
        answer = Answer(response.status_code, body, dict(response.headers), response.text)
        self.answers.append(answer)
        return answer

    def rows(self, sql: str) -> list[tuple]:
        """Query the DuckDB warehouse (read-only, closed at once so the next run can open it)."""
        with duckdb.connect(str(self.db), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    def stored_ids(self) -> list[int]:
        return [row[0] for row in self.rows("SELECT id FROM activities ORDER BY id")]

    def truth_ids(self) -> list[int]:
        return sorted(a["id"] for a in self.sim.activities)

    def secret_values(self) -> list[str]:
        """Every secret this deployment has held: the file's current values and the simulator's."""
        values = json.loads(self.secrets.read_text())
        found = [str(values["client_secret"]), str(values["refresh_token"])]
        found += [str(v) for k, v in self.sim.secrets().items() if k != "client_id"]
        return [v for v in found if len(v) >= 8]


@pytest.fixture
def deploy(function_server, make_simulator, tmp_path) -> Callable[..., Deployment]:
    """`deploy(sim=..., secrets=..., **env) -> Deployment` on a DuckDB file (the embedded default)."""

    def make(sim_kwargs: dict | None = None, refresh_token: str | None = None, **env: str) -> Deployment:
        sim = make_simulator(**(sim_kwargs or {}))
        secrets = tmp_path / "secrets.json"
        values = sim.secrets()
        if refresh_token is not None:
            values = {**values, "refresh_token": refresh_token}
        secrets.write_text(json.dumps(values))
        db = tmp_path / "strava.duckdb"
        server = function_server({
            "STRAVA_API_URL": sim.api_url, "STRAVA_OAUTH_URL": sim.oauth_url,
            "STRAVA_SECRETS": f"file:{secrets}", "STRAVA_WAREHOUSE": f"duckdb:{db}",
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "STRAVA_ROTATION_WAIT_SECONDS": "0",  # one sync at a time: a refused token is dead at once
            "STRAVA_STREAMS": "off",  # these tests count the listing's calls; streams: tests/sync/test_streams.py
            **env})
        return Deployment(server, sim, secrets, db)

    return make
