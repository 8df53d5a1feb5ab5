"""The contract of the resumable deletion pass, on DuckDB and on BigQuery (bqemulator).

A history larger than one rate window: each `full` run that reaches the budget ends partial and the
next one continues the same pass from its cursor; when the pass completes, every activity deleted on
Strava is archived and nothing else is; runs needed <= ceil(requests needed / window budget) + 1 when
the window resets between runs. The simulator's virtual clock moves to the next quarter hour between runs.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from strava.simulator.data import parse_iso
from strava.simulator.ratelimits import QUARTER
from strava.sync import run_sync
from strava.warehouse.bigquery import BigQueryWarehouse
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.bigquery.test_sync_both_engines import Athlete
from tests.harness import pinned_clock

ACTIVITIES = 1200
READ_LIMIT = 10  # per 15 minutes: 7 requests per window with the default reserve of 3
WINDOW_BUDGET = READ_LIMIT - 3


@pytest.fixture(params=["duckdb", "bigquery"])
def athlete(request, make_simulator, tmp_path) -> Athlete:
    if request.param == "duckdb":
        warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    else:
        warehouse = BigQueryWarehouse.from_spec(request.getfixturevalue("bq_dataset"))
    sim = make_simulator(activities=ACTIVITIES, seed=5, clock=pinned_clock)
    yield Athlete(sim, warehouse, tmp_path)
    warehouse.close()


def next_window(sim) -> None:
    sim.set_clock((sim.now() // QUARTER + 1) * QUARTER)


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(athlete: Athlete, **options) -> dict:
    return run_sync(athlete.settings, warehouse=athlete.warehouse, secrets=athlete.store, **options).to_dict()


def test_a_pass_larger_than_a_window_resumes_run_after_run(athlete: Athlete) -> None:
    sim = athlete.sim
    assert run(athlete)["status"] == "ok"  # the backfill, under the default limits
    history = sorted(sim.activities, key=lambda a: a["start_date"])
    deleted = [history[i]["id"] for i in (3, 400, 401, 800, ACTIVITIES - 1)]
    for activity_id in deleted:
        sim.delete_activity(activity_id)
    moved = history[100]  # its start time edited to a later date: missing from its old range, not deleted
    sim.edit_activity(moved["id"], start_date=history[900]["start_date"])
    late = sim.add_activity(start_date=iso(parse_iso(history[50]["start_date"]) + 3600))
    sim.edit_activity(history[0]["id"], name="Renamed years later")
    sim.configure(read_limits=[READ_LIMIT, 1000])

    summaries = []
    while not summaries or summaries[-1]["status"] == "partial":
        next_window(sim)
        summaries.append(run(athlete, full=True))
        assert len(summaries) < 10, summaries[-1]
    final = summaries[-1]
    assert final["status"] == "ok" and final["reconciled_through"] is None
    for partial in summaries[:-1]:
        assert partial["error"]["kind"] == "rate_limited" and "Stopped before" in partial["error"]["message"]
    reached = [s["reconciled_through"] for s in summaries[:-1]]
    assert None not in reached and reached == sorted(reached)

    needed = math.ceil(len(sim.activities) / 200) + 1 + len(deleted) + 1  # pages, empty page, confirmations
    assert len(summaries) <= math.ceil(needed / WINDOW_BUDGET) + 1
    assert sum(s["deleted"] for s in summaries) == len(deleted)
    assert athlete.deleted() == sorted(deleted)
    assert athlete.activities() == athlete.truth()  # moved, late and renamed ones are current; nothing lost
    assert late["id"] in athlete.activities()


def test_deletions_in_a_pass_that_spans_runs_are_confirmed_not_guessed(athlete: Athlete) -> None:
    """An activity absent from the listing only because its start moved is never archived."""
    sim = athlete.sim
    assert run(athlete)["status"] == "ok"
    history = sorted(sim.activities, key=lambda a: a["start_date"])
    sim.edit_activity(history[10]["id"], start_date=history[-1]["start_date"])  # moved to the newest range
    sim.delete_activity(history[20]["id"])
    summary = run(athlete, full=True)
    assert (summary["status"], summary["deleted"]) == ("ok", 1)
    assert athlete.deleted() == [history[20]["id"]]
    assert athlete.activities() == athlete.truth()
    gets = [path for _, path, _ in sim.request_log if path.startswith("/api/v3/activities/")]
    assert sorted(gets) == sorted(f"/api/v3/activities/{a['id']}" for a in (history[10], history[20]))


@pytest.mark.sim(activities=700, seed=2, clock=pinned_clock)
def test_cli_sync_full_exits_0_when_partial_and_reports_how_far_it_got(project) -> None:
    assert project.sync().summary["status"] == "ok"
    gone = sorted(project.sim.activities, key=lambda a: a["start_date"])[500]["id"]
    project.sim.delete_activity(gone)
    project.sim.configure(read_limits=[6, 1000])  # 3 requests per window
    first = project.sync("--full")
    assert (first.code, first.summary["status"], first.kind) == (0, "partial", "rate_limited")
    assert first.summary["reconciled_through"] is not None and first.summary["deleted"] == 0
    runs = [first]
    while runs[-1].summary["status"] == "partial" and len(runs) < 5:
        next_window(project.sim)
        runs.append(project.sync("--full"))
    assert len(runs) <= math.ceil((4 + 1 + 1) / 3) + 1  # pages, the empty page, one GET; 3 per window
    last = runs[-1]
    assert (last.code, last.summary["status"], last.summary["reconciled_through"]) == (0, "ok", None)
    assert sum(r.summary["deleted"] for r in runs) == 1
    assert project.rows("SELECT id FROM deleted_activities") == [(gone,)]
    assert all(row["after_epoch"] > 0 for row in project.runs()[2:])  # each run listed from the cursor


@pytest.mark.sim(activities=1000, seed=6)
def test_a_range_that_lost_most_of_its_activities_stops_the_pass_before_any_get(project) -> None:
    """300 consecutive activities gone in the middle of the history: less than half overall, but most of
    the range the listing completed around them. Nothing is deleted, no GET is spent, the cursor stays."""
    assert project.sync().summary["status"] == "ok"
    history = sorted(project.sim.activities, key=lambda a: a["start_date"])
    for activity in history[400:700]:
        project.sim.delete_activity(activity["id"])
    refused = project.sync("--full")
    assert (refused.code, refused.kind) == (1, "mass_delete_refused")
    assert "--allow-mass-delete" in refused.summary["error"]["message"]
    assert project.count() == 1000 and project.rows("SELECT count(*) FROM deleted_activities") == [(0,)]
    assert not [path for _, path, _ in project.sim.request_log if path.startswith("/api/v3/activities/")]
    assert refused.summary["reconciled_through"] <= history[400]["start_date"][:10]  # the ranges before it
