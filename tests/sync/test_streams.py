"""The streams pass end to end: the real CLI, the simulator over loopback, a real DuckDB file."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from strava.power import stream_metrics
from strava.simulator.streams import activity_streams
from tests.harness import pinned_clock
from tests.paths import ROOT

ON = {"STRAVA_STREAMS": "on", "STRAVA_RATE_RESERVE": "2"}


def stream_calls(project) -> list[int]:
    return [int(path.split("/")[-2]) for _, path, _ in project.sim.request_log if path.endswith("/streams")]


def zones_calls(project) -> int:
    return sum(path.endswith("/athlete/zones") for _, path, _ in project.sim.request_log)


def newest_first(project) -> list[dict]:
    return sorted(project.sim.activities, key=lambda a: (a["start_date"], a["id"]), reverse=True)


@pytest.mark.sim(activities=30, read_limits=(20, 1000), clock=pinned_clock)
def test_backfill_newest_first_within_the_budget_then_steady_state_costs_3_plus_k(project):
    first = project.sync(**ON)
    assert first.code == 0 and first.summary["status"] == "ok", first.stderr[-2000:]
    # Token (not a read), 2 listing pages, the heart-rate zones (none stored yet), then streams until 2 reads are
    # left of the 20 (the reserve).
    assert project.sim.rate.state()["read_usage"][0] == 18
    asked = stream_calls(project)
    assert zones_calls(project) == 1 and len(asked) == 15
    assert first.summary["streams_stopped"].startswith("Stopped before Strava's 15-minute")
    order = [a["id"] for a in newest_first(project)]
    done = [a for a in newest_first(project) if a["id"] in asked or a["manual"]]
    assert asked == [a["id"] for a in done if not a["manual"]]  # newest first, manual entries never asked
    stored = dict(project.rows("SELECT activity_id, status FROM activity_streams"))
    assert sorted(stored, key=order.index) == order[:len(stored)]  # a prefix of newest first
    assert {i for i, s in stored.items() if s == "none"} == {a["id"] for a in done if a["manual"]}

    project.sim.advance_clock(15 * 60)  # the next quarter hour: the backfill finishes
    second = project.sync(**ON)
    assert second.summary["status"] == "ok" and second.summary["streams_stopped"] is None
    assert project.rows("SELECT count(*) FROM activity_streams") == [(30,)]
    assert len(stream_calls(project)) == len(set(stream_calls(project)))  # no activity asked twice

    project.sim.advance_clock(15 * 60)
    now = datetime.fromtimestamp(project.sim.now(), UTC)
    new = [project.sim.add_activity(start_date=now - timedelta(hours=h), sport_type="Ride") for h in (3, 5)]
    calls_before = project.sim.calls
    third = project.sync(**ON)
    assert third.summary["inserted"] == 2 and third.summary["streams"] == 2
    assert third.summary["api_calls"] == project.sim.calls - calls_before <= 3 + 2
    assert zones_calls(project) == 1  # stored by the first run: an incremental run does not ask again
    assert stream_calls(project)[-2:] == [new[0]["id"], new[1]["id"]]  # newest first


@pytest.mark.sim(activities=12, clock=pinned_clock)
def test_streams_are_stored_as_sent_and_metrics_computed_from_them(project):
    ride = next(a for a in reversed(project.sim.activities) if a.get("device_watts") and a.get("has_heartrate")
                and a["map"].get("summary_polyline"))
    gone = next(a for a in reversed(project.sim.activities) if not a["manual"] and a["id"] != ride["id"])
    project.sim.inject(f"/api/v3/activities/{gone['id']}/streams", status=404, body={"message": "Record Not Found"})
    ftp = subprocess.run([sys.executable, "-m", "strava", "settings", "--ftp", "240", "--since", "2000-01-01"],
                         cwd=ROOT, env=project.env, capture_output=True, text=True, timeout=60)
    assert ftp.returncode == 0, ftp.stderr
    assert project.sync(**ON, STRAVA_HR_ZONES="120,140,155,170", STRAVA_HR_RANGE="50,190").code == 0
    sent = activity_streams(ride, project.sim.seed)
    time, watts, latlng, moving = project.rows(
        "SELECT time, watts, latlng, moving FROM activity_streams WHERE activity_id = ?", [ride["id"]])[0]
    assert time == sent["time"] and watts == sent["watts"] and moving == sent["moving"]
    assert [[p["lat"], p["lng"]] for p in latlng] == sent["latlng"]
    assert project.rows("SELECT status, watts FROM activity_streams WHERE activity_id = ?", [gone["id"]]) == \
        [("none", None)]

    # Strava's zones (the token has profile:read_all) come before STRAVA_HR_ZONES.
    expected, curve = stream_metrics(sent, 240.0, project.sim.hr_zones, (50, 190))
    assert expected["trimp"] > 0
    cols = ", ".join(expected)
    row = dict(zip(expected, project.rows(f"SELECT {cols} FROM activity_stream_metrics WHERE activity_id = ?",
                                          [ride["id"]])[0], strict=True))
    assert row == pytest.approx(expected)
    assert row["stress"] > 0 and sum(row[f"power_z{i}_s"] for i in range(1, 8)) == row["seconds"]
    stored = project.rows("SELECT duration_s, watts FROM activity_power_curve WHERE activity_id = ? "
                          "ORDER BY duration_s", [ride["id"]])
    assert [d for d, _ in stored] == [d for d, _ in curve] and [w for _, w in stored] == pytest.approx(
        [w for _, w in curve])


@pytest.mark.sim(activities=5)
def test_streams_off_asks_for_none(project):
    result = project.sync(STRAVA_STREAMS="off")
    assert result.code == 0 and stream_calls(project) == []
    assert project.rows("SELECT count(*) FROM activity_streams") == [(0,)]


@pytest.mark.sim(activities=8, clock=pinned_clock)
def test_details_on_fetches_each_detail_and_its_laps_after_the_streams(project):
    gone = project.sim.activities[-1]
    project.sim.inject(f"/api/v3/activities/{gone['id']}", status=404, body={"message": "Record Not Found"},
                       times=2)  # a prefix: its streams, then its detail
    first = project.sync(**ON, STRAVA_DETAILS="on")
    assert first.summary["status"] == "ok" and first.summary["details"] == 7
    asked = [int(p.split("/")[-1]) for _, p, _ in project.sim.request_log if p.split("/")[-2] == "activities"]
    assert asked == [a["id"] for a in newest_first(project)]  # every one, newest first
    assert dict(project.rows("SELECT activity_id, status FROM activity_details"))[gone["id"]] == "none"
    ride = next(a for a in project.sim.activities if a["id"] != gone["id"] and a["distance"] > 0)
    laps = project.rows("SELECT lap_index, distance, moving_time FROM activity_laps WHERE activity_id = ? "
                        "ORDER BY lap_index", [ride["id"]])
    assert [i for i, _, _ in laps] == list(range(1, len(laps) + 1))
    assert sum(d for _, d, _ in laps) == pytest.approx(ride["distance"], abs=1)
    assert sum(t for _, _, t in laps) == ride["moving_time"]
    raw = project.rows("SELECT raw->>'name', device_name FROM activity_details WHERE activity_id = ?", [ride["id"]])
    assert raw[0][0] == ride["name"] and raw[0][1]

    project.sim.add_activity(sport_type="Ride")
    calls = project.sim.calls
    steady = project.sync(**ON, STRAVA_DETAILS="on")
    assert steady.summary["details"] == 1 and steady.summary["streams"] == 1
    assert steady.summary["api_calls"] == project.sim.calls - calls <= 3 + 2 * 1
