"""Applying events in the sync: one confirming read per activity however many events name it, a bounded
number of reads per run, and nothing changed that Strava does not confirm. Simulator + DuckDB."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from strava import events
from strava.queues.spool import SpoolQueue
from strava.secrets.file import FileSecretStore
from strava.settings import Settings
from strava.sync import run_sync
from strava.warehouse.duckdb import DuckDBWarehouse
from strava.webhook import Event


@pytest.fixture
def athlete(make_simulator, tmp_path: Path):
    sim = make_simulator(activities=10, seed=9)
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps(sim.secrets()))
    settings = replace(Settings(), api_url=sim.api_url, oauth_url=sim.oauth_url, secrets=f"file:{secrets}",
                       warehouse=f"duckdb:{tmp_path / 'w.duckdb'}", retry_seconds=0.5, streams=False)
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    store = FileSecretStore(secrets)

    def sync(**options) -> dict:
        return run_sync(settings, warehouse=warehouse, secrets=store, **options).to_dict()

    assert sync()["status"] == "ok"
    yield sim, SpoolQueue(tmp_path / "webhook-events.jsonl"), sync, warehouse
    warehouse.close()


def _spool(spool: SpoolQueue, sim, object_id: int, n: int, aspect: str = "update") -> None:
    for t in range(n):
        ev = Event("activity", object_id, aspect, sim.athlete["id"], 1, 1_700_000_000 + t, {"title": f"t{t}"})
        assert spool.enqueue(ev.task_name, {"webhook_event": ev.to_dict()})


def _reads(sim) -> list[str]:
    return [path for method, path, _ in sim.request_log if path.startswith("/api/v3/activities/")]


def test_many_events_for_one_activity_cost_one_read(athlete) -> None:
    sim, spool, sync, _ = athlete
    target = sim.activities[0]["id"]
    sim.edit_activity(target, name="Final title")
    _spool(spool, sim, target, 30)
    summary = sync()
    assert summary["status"] == "ok" and summary["events"] == 30 and summary["updated"] == 1
    assert _reads(sim) == [f"/api/v3/activities/{target}"]
    assert spool.tasks() == []


def test_a_flood_is_applied_a_bounded_number_of_reads_per_run(athlete, monkeypatch) -> None:
    sim, spool, sync, warehouse = athlete
    monkeypatch.setattr(events, "MAX_ACTIVITIES_PER_RUN", 5)
    before = warehouse.activity_ids()
    for forged in range(1, 13):  # ids Strava never had: each 404 costs a read and archives nothing
        _spool(spool, sim, forged, 2, aspect="create")
    first = sync()
    assert first["status"] == "ok" and first["events"] == 10 and first["deleted"] == 0
    assert len(_reads(sim)) == 5
    assert len(spool.tasks()) == 14  # the rest waits, nothing lost
    assert warehouse.activity_ids() == before
    sync(), sync()
    assert len(_reads(sim)) == 12 and spool.tasks() == []


def test_a_budget_stop_keeps_the_events_not_yet_applied(athlete) -> None:
    sim, spool, sync, _ = athlete
    ids = [a["id"] for a in sim.activities[:4]]
    for activity_id in ids:
        _spool(spool, sim, activity_id, 1)
    sim.set_usage(100 - 3 - 2, 0)  # room for the token refresh and two reads above the reserve
    summary = sync()
    assert summary["status"] == "partial" and summary["error"]["kind"] == "rate_limited"
    left = [t["body"]["webhook_event"]["object_id"] for t in spool.tasks()]
    assert 0 < len(left) < 4 and set(left) < set(ids)


def test_a_task_for_another_athletes_activity_changes_nothing(athlete) -> None:
    """A Cloud Tasks run (`webhook_events`) applies its event only: no listing, one read."""
    sim, _, sync, warehouse = athlete
    stranger = sim.add_activity(athlete={"id": 42, "resource_state": 1})
    mine = sim.add_activity()
    forged = Event("activity", stranger["id"], "create", sim.athlete["id"], 1, 1_700_000_000)
    summary = sync(webhook_events=[forged, replace(forged, object_id=mine["id"])])
    assert summary["status"] == "ok" and summary["mode"] == "webhook" and summary["events"] == 2
    assert summary["api_calls"] == 3 and summary["inserted"] == 1  # token, two reads; no listing
    assert mine["id"] in warehouse.activity_ids() and stranger["id"] not in warehouse.activity_ids()


def test_a_spooled_line_that_is_not_an_event_is_dropped_with_a_warning(athlete, caplog) -> None:
    sim, spool, sync, _ = athlete
    assert spool.enqueue("junk", {"webhook_event": {"object_type": "club"}})
    Path(spool.path).open("a").write("{torn line\n")
    assert sync()["status"] == "ok"
    assert spool.tasks() == []
    assert any("not a webhook event" in r.message for r in caplog.records)
