"""A subscribed athlete: the simulator as Strava, the real functions-framework server serving
`--target=webhook`, a secrets file, and a warehouse (DuckDB file or bqemulator dataset)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from strava import cli
from strava.sync import run_sync
from strava.warehouse import open_warehouse


@dataclass
class Hooked:
    sim: Any  # StravaSimulator
    server: Any  # localservices.Service serving main.webhook
    secrets: Path
    warehouse: str  # STRAVA_WAREHOUSE spec
    env: dict[str, str]

    @property
    def spool(self) -> Path:
        return self.secrets.parent / "webhook-events.jsonl"

    def spooled(self) -> list[dict]:
        return [json.loads(line) for line in self.spool.read_text().splitlines()] if self.spool.exists() else []

    def stored(self) -> dict:
        return json.loads(self.secrets.read_text())

    def deliver(self, **event: Any) -> list:
        """The simulator POSTs the event to the function, with Strava's retries: what each attempt got."""
        answer = requests.post(f"{self.sim.url}/_sim/webhook/events", json=event, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["attempts"]

    def post(self, body: bytes) -> requests.Response:
        return requests.post(self.server.url, data=body, headers={"Content-Type": "application/json"}, timeout=10)

    def sync(self) -> dict:
        return run_sync().to_dict()

    def query(self, sql: str) -> list[tuple]:
        """`sql` with {t} before table names."""
        warehouse = open_warehouse(self.warehouse)
        try:
            if self.warehouse.startswith("duckdb:"):
                return warehouse.conn.execute(sql.format(t="")).fetchall()
            table = f"`{warehouse.project}.{warehouse.dataset}`."
            return [tuple(r.values()) for r in warehouse.client.query(sql.format(t=table)).result()]
        finally:
            warehouse.close()

    def ids(self, table: str = "activities") -> set[int]:
        return {i for (i,) in self.query(f"SELECT id FROM {{t}}{table}")}


@pytest.fixture(params=["duckdb", "bigquery"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "bigquery":
        return f"bigquery:{request.getfixturevalue('bq_dataset')}"
    return f"duckdb:{request.getfixturevalue('tmp_path') / 'strava.duckdb'}"


@pytest.fixture
def hooked(make_simulator, function_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture) -> Callable[..., Hooked]:
    """Factory: `hooked(warehouse_spec, activities=20, seed=5, webhook_env={})` -> a subscribed, synced
    Hooked (`webhook_env`: more configuration for the webhook function only)."""

    def make(warehouse: str, activities: int = 20, seed: int = 5, webhook_env: dict | None = None) -> Hooked:
        sim = make_simulator(activities=activities, seed=seed)
        secrets = tmp_path / "secrets.json"
        secrets.write_text(json.dumps(sim.secrets() | {"note": "written by hand"}))
        env = {"STRAVA_API_URL": sim.api_url, "STRAVA_OAUTH_URL": sim.oauth_url,
               "STRAVA_SECRETS": f"file:{secrets}", "STRAVA_WAREHOUSE": warehouse, "STRAVA_RETRY_SECONDS": "0.5"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        server = function_server(env | (webhook_env or {}), target="webhook")
        assert cli.main(["webhook", "subscribe", "--callback-url", server.url]) == 0
        assert json.loads(capsys.readouterr().out.splitlines()[-1])["created"] is True
        world = Hooked(sim, server, secrets, warehouse, env)
        assert world.sync()["status"] == "ok"
        return world

    return make
