"""Heart-rate zones from Strava's GET /athlete/zones in the streams pass: the real CLI, the simulator over
loopback, a real DuckDB file. Expected zone seconds are computed here, in plain Python, from what the
simulator serves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from strava.simulator.streams import activity_streams
from strava.warehouse.duckdb import DuckDBWarehouse
from tests.harness import pinned_clock
from tests.sync.test_streams import ON, zones_calls

NO_PROFILE = "read,activity:read_all"  # the athlete unticked the profile box
HR_COLUMNS = ", ".join(f"hr_z{i}_s" for i in range(1, 6))


def seconds_in_zones(time: list[int], heart: list[int | None], bounds: tuple[float, ...]) -> list[int]:
    """Each sample lasts until the next one, up to 5 s (a longer gap is a pause: 1 s, then no heart rate); the
    last lasts 1 s; a heart rate on a bound is in the zone above it."""
    zones = [0] * 5
    for t, after, h in zip(time, [*time[1:], time[-1] + 1], heart, strict=True):
        if h is not None:
            zones[sum(h >= b for b in bounds)] += after - t if after - t <= 5 else 1
    return zones


def expected_zones(project, bounds: tuple[float, ...] | None) -> dict[int, list[int] | None]:
    """Per stored activity with streams: the seconds in each zone, None without heart rate or zones."""
    out: dict[int, list[int] | None] = {}
    for activity in project.sim.activities:
        sent = activity_streams(activity, project.sim.seed)
        if sent is not None:
            out[activity["id"]] = (seconds_in_zones(sent["time"], sent["heartrate"], bounds)
                                   if bounds and "heartrate" in sent else None)
    return out


def stored_zones(project) -> dict[int, list[int] | None]:
    rows = project.rows(f"SELECT activity_id, {HR_COLUMNS} FROM activity_stream_metrics")
    return {row[0]: None if row[1] is None else list(row[1:]) for row in rows}


def zones_rows(project) -> list[tuple]:
    return project.rows("SELECT effective_from, hr_zones, status FROM athlete_zones ORDER BY effective_from")


def add_rides(project, hours: tuple[int, ...]) -> list[dict]:
    now = datetime.fromtimestamp(project.sim.now(), UTC)
    return [project.sim.add_activity(start_date=now - timedelta(hours=h), sport_type="Ride", has_heartrate=True,
                                     average_heartrate=150.0, device_watts=True) for h in hours]


@pytest.mark.sim(activities=10, clock=pinned_clock)
def test_strava_zones_are_read_once_stored_and_used_then_steady_state_costs_3_plus_k(project):
    first = project.sync(**ON, STRAVA_HR_ZONES="100,110,120,130")  # Strava's zones come first
    assert first.code == 0 and first.summary["status"] == "ok", first.stderr[-2000:]
    bounds = tuple(float(b) for b in project.sim.hr_zones)
    assert zones_calls(project) == 1
    assert zones_rows(project) == [(date.today(), list(bounds), "ok")]
    expected = expected_zones(project, bounds)
    assert sum(z is not None for z in expected.values()) >= 3  # activities with heart rate to compare
    assert stored_zones(project) == expected

    project.sim.advance_clock(15 * 60)
    new = add_rides(project, (3, 5))
    calls = project.sim.calls
    steady = project.sync(**ON)
    assert steady.summary["inserted"] == 2 and steady.summary["streams"] == 2
    assert steady.summary["api_calls"] == project.sim.calls - calls <= 3 + 2
    assert zones_calls(project) == 1  # an incremental run never asks once a row exists
    assert {i: stored_zones(project)[i] for i in (n["id"] for n in new)} == \
        {i: expected_zones(project, bounds)[i] for i in (n["id"] for n in new)}


@pytest.mark.sim(activities=8, scope=NO_PROFILE, clock=pinned_clock)
def test_without_profile_read_all_the_refusal_is_recorded_and_settings_zones_apply(project):
    first = project.sync(**ON)
    assert first.code == 0 and first.summary["status"] == "ok", first.stderr[-2000:]
    assert zones_calls(project) == 1
    assert zones_rows(project) == [(date.today(), None, "unavailable")]
    assert set(stored_zones(project).values()) == {None}  # neither Strava's zones nor STRAVA_HR_ZONES

    project.sim.advance_clock(15 * 60)
    new = add_rides(project, (2,))[0]
    calls = project.sim.calls
    second = project.sync(**ON, STRAVA_HR_ZONES="120,140,155,170")
    assert second.summary["status"] == "ok" and second.summary["api_calls"] == project.sim.calls - calls <= 3 + 1
    assert zones_calls(project) == 1  # recorded as unavailable: not asked again until a full run
    assert stored_zones(project)[new["id"]] == expected_zones(project, (120, 140, 155, 170))[new["id"]]
    assert stored_zones(project)[new["id"]] is not None


@pytest.mark.sim(activities=8, clock=pinned_clock)
def test_a_full_run_asks_again_and_a_changed_answer_adds_a_row(project):
    assert project.sync(**ON).summary["status"] == "ok"
    first = zones_rows(project)
    old = stored_zones(project)
    fetched = project.rows("SELECT fetched_at FROM athlete_zones")
    assert project.sync("--full", **ON).summary["status"] == "ok"
    assert zones_calls(project) == 2 and project.rows("SELECT fetched_at FROM athlete_zones") == fetched  # same

    with duckdb.connect(str(project.db)) as conn:  # as if read on an earlier day
        conn.execute("UPDATE athlete_zones SET effective_from = DATE '2000-01-01'")
    project.sim.set_hr_zones((110, 130, 150, 170))  # the athlete changed them on Strava
    project.sim.advance_clock(15 * 60)
    new = add_rides(project, (1,))[0]
    assert project.sync(**ON).summary["status"] == "ok"
    assert zones_calls(project) == 2  # incremental: not asked
    full = project.sync("--full", **ON)
    assert full.summary["status"] == "ok" and zones_calls(project) == 3
    assert zones_rows(project) == [(date(2000, 1, 1), first[0][1], "ok"),
                                   (date.today(), [110.0, 130.0, 150.0, 170.0], "ok")]
    assert stored_zones(project) == {**old, new["id"]: stored_zones(project)[new["id"]]}  # not recomputed
    # The new ride (today) was measured before the full run, with the zones then in force.
    assert stored_zones(project)[new["id"]] == expected_zones(project, tuple(first[0][1]))[new["id"]]
    project.sim.advance_clock(15 * 60)
    later = add_rides(project, (0,))[0]
    assert project.sync(**ON).summary["status"] == "ok"
    assert stored_zones(project)[later["id"]] == expected_zones(project, (110, 130, 150, 170))[later["id"]]
    assert stored_zones(project)[later["id"]] != expected_zones(project, tuple(first[0][1]))[later["id"]]


@pytest.mark.sim(activities=6, clock=pinned_clock)
def test_a_failed_zones_call_leaves_the_streams_pass_going_and_is_asked_again(project):
    project.sim.inject("/api/v3/athlete/zones", status=500, body={"message": "Error"}, times=None)
    first = project.sync(**ON, STRAVA_HR_ZONES="120,140,155,170")
    assert first.code == 0 and first.summary["status"] == "ok", first.stderr[-2000:]
    assert "heart-rate zones not read from Strava" in first.stderr
    assert zones_rows(project) == [] and first.summary["streams"] > 0
    assert stored_zones(project) == expected_zones(project, (120, 140, 155, 170))  # settings meanwhile
    project.sim.reset_faults()
    asked = zones_calls(project)
    assert project.sync(**ON).summary["status"] == "ok"
    assert zones_calls(project) == asked  # no streams to fetch: the zones are not needed, not asked
    project.sim.add_activity()
    assert project.sync(**ON).summary["status"] == "ok"
    assert zones_calls(project) == asked + 1 and zones_rows(project)[0][2] == "ok"  # needed: asked again


@pytest.mark.parametrize("rows", [
    [(date(2000, 1, 1), (110, 130, 150, 170)), (date(2000, 1, 2), None)],  # then refused, before every activity
    [(date.today() + timedelta(days=1), (110, 130, 150, 170))],  # read after every activity: applies to the past
], ids=["unavailable-after-ok", "older-than-the-first-row"])
@pytest.mark.sim(activities=6, scope=NO_PROFILE, clock=pinned_clock)
def test_the_latest_known_strava_zones_come_before_the_settings(project, rows):
    warehouse = DuckDBWarehouse(project.db)
    warehouse.setup()
    for day, bounds in rows:
        warehouse.set_athlete_zones(day, bounds)
    warehouse.close()
    result = project.sync(**ON, STRAVA_HR_ZONES="120,140,155,170")
    assert result.summary["status"] == "ok" and zones_calls(project) == 0  # rows exist: not asked
    assert stored_zones(project) == expected_zones(project, (110, 130, 150, 170))
    assert any(stored_zones(project).values())
