"""The same sync scenarios on DuckDB and on another engine, BigQuery (bqemulator) or the S3 lake (moto):
identical summaries and tables.

Each engine gets its own simulator with the same seed, so both see the same Strava history and the
same edits; after every step both warehouses must equal Strava's truth and each other.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from strava.secrets.file import FileSecretStore
from strava.settings import Settings
from strava.sync import run_sync
from strava.warehouse.bigquery import BigQueryWarehouse
from strava.warehouse.duckdb import DuckDBWarehouse
from strava.warehouse.s3 import S3Warehouse

COUNTS = ("status", "mode", "api_calls", "fetched", "inserted", "updated", "deleted", "token_rotated")


class Athlete:
    """One engine's world: a simulator, a secrets file, a warehouse."""

    def __init__(self, sim, warehouse, folder: Path) -> None:
        self.sim, self.warehouse = sim, warehouse
        secrets = folder / "secrets.json"
        secrets.write_text(json.dumps(sim.secrets()))
        self.store = FileSecretStore(secrets)
        self.settings = replace(Settings(), api_url=sim.api_url, oauth_url=sim.oauth_url, retry_seconds=1,
                                weather=False, streams=False)

    def sync(self, **options) -> dict:
        summary = run_sync(self.settings, warehouse=self.warehouse, secrets=self.store, **options).to_dict()
        return {k: summary[k] for k in COUNTS} | {"error": (summary["error"] or {}).get("kind")}

    def activities(self) -> dict[int, dict]:
        return {i: json.loads(raw) for i, raw in self._rows("SELECT id, {raw} FROM {t}activities")}

    def deleted(self) -> list[int]:
        return sorted(i for (i,) in self._rows("SELECT id FROM {t}deleted_activities"))

    def runs(self) -> list[tuple]:
        return self._rows("SELECT status, mode, api_calls, fetched, inserted, updated, deleted FROM "
                          "{t}sync_runs ORDER BY started_at")

    def _rows(self, sql: str) -> list[tuple]:
        if isinstance(self.warehouse, DuckDBWarehouse):
            return self.warehouse.conn.execute(sql.format(raw="raw::VARCHAR", t="")).fetchall()
        table = f"`{self.warehouse.project}.{self.warehouse.dataset}`."
        return [tuple(r.values()) for r in self.warehouse.client.query(
            sql.format(raw="TO_JSON_STRING(raw)", t=table)).result()]

    def truth(self) -> dict[int, dict]:
        return {a["id"]: a for a in self.sim.activities}


@pytest.fixture(params=["bigquery", "s3"])
def other_engine(request):
    """The engine compared with DuckDB: (its warehouse, the Athlete class that reads it back)."""
    if request.param == "bigquery":
        yield BigQueryWarehouse.from_spec(request.getfixturevalue("bq_dataset")), Athlete
        return
    from tests.aws.lake import LakeAthlete

    lake = S3Warehouse.from_spec(request.getfixturevalue("lake").removeprefix("s3:"))
    yield lake, LakeAthlete
    lake.close()


def both(make_simulator, other_engine, tmp_path, **sim_options) -> list[Athlete]:
    (tmp_path / "duck").mkdir()
    (tmp_path / "other").mkdir()
    duck = DuckDBWarehouse(tmp_path / "duck" / "w.duckdb")
    other, athlete = other_engine
    return [Athlete(make_simulator(seed=5, **sim_options), duck, tmp_path / "duck"),
            athlete(make_simulator(seed=5, **sim_options), other, tmp_path / "other")]


def step(athletes: list[Athlete], action=None, **options) -> dict:
    """Apply the same change to both simulators, sync both, check both mirror Strava and agree."""
    summaries = []
    for athlete in athletes:
        if action:
            action(athlete.sim)
        summaries.append(athlete.sync(**options))
    assert summaries[0] == summaries[1]
    for athlete in athletes:
        assert athlete.activities() == athlete.truth()
    assert athletes[0].deleted() == athletes[1].deleted()
    return summaries[0]


def test_initial_no_change_edits_and_deletions(make_simulator, other_engine, tmp_path):
    athletes = both(make_simulator, other_engine, tmp_path, activities=700)
    assert step(athletes) == {"status": "ok", "mode": "incremental", "api_calls": 6, "fetched": 700,
                               "inserted": 700, "updated": 0, "deleted": 0, "token_rotated": False,
                               "error": None}
    assert step(athletes)["api_calls"] <= 3

    def edit_add_delete(sim):
        activities = sorted(sim.activities, key=lambda a: a["start_date"])
        sim.edit_activity(activities[-1]["id"], name="Edited on both")
        sim.edit_activity(activities[0]["id"], name="Old edit, only a full sync sees it")
        sim.delete_activity(activities[5]["id"])
        sim.add_activity()

    summary = step_incremental_then_full(athletes, edit_add_delete)
    assert (summary["updated"], summary["deleted"]) == (1, 1)
    assert athletes[0].runs() == athletes[1].runs()


def step_incremental_then_full(athletes, action) -> dict:
    for athlete in athletes:
        action(athlete.sim)
        incremental = athlete.sync()
        assert (incremental["inserted"], incremental["updated"], incremental["deleted"]) == (1, 1, 0)
    return step(athletes, full=True)


def test_rotation_and_partial_runs(make_simulator, other_engine, tmp_path):
    athletes = both(make_simulator, other_engine, tmp_path, activities=900, rotate=True)
    partial = step_expecting_partial(athletes)
    assert partial["status"] == "partial" and partial["error"] == "rate_limited" and partial["token_rotated"]
    resumed = step(athletes)
    assert resumed["status"] == "ok" and resumed["token_rotated"]
    for athlete in athletes:
        assert athlete.store.read().refresh_token == athlete.sim.secrets()["refresh_token"]


def step_expecting_partial(athletes) -> dict:
    summaries = []
    for athlete in athletes:
        athlete.sim.inject(kind="status", status=429, page=3, times=1)
        summaries.append(athlete.sync())
        assert len(athlete.activities()) == 400  # pages 1-2 stored, nothing lost
    assert summaries[0] == summaries[1]
    return summaries[0]
