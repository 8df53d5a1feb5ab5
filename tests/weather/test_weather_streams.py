"""The weather pass samples the recorded track (the stored `latlng` stream) when there is one, else the
summary polyline: the Strava simulator and the Open-Meteo simulator over loopback, a real DuckDB file.
Stream rows are written through the warehouse, as the streams pass would, so the track can go where the
polyline does not."""

from __future__ import annotations

from datetime import datetime

import pytest

from strava.schema import ACTIVITY_STREAMS
from strava.warehouse.duckdb import DuckDBWarehouse
from strava.weather.backfill import STREAM_COLUMNS, track_samples
from tests.weather.support import NORTH, NOW, ROUTES, World, activity

EAST = [(45.0, 7.0 + 0.25 * s / 1800) for s in range(1801)]  # 1800 s east across cells 7.0-7.2 (ride 1 goes north)


def stream_row(activity_id: int, points: list[tuple[float, float]] | None, status: str = "ok") -> dict:
    start = datetime.fromisoformat(next(a["start_date"] for a in ROUTES if a["id"] == activity_id))
    return {"activity_id": activity_id, "start_date": start, "status": status, "fetched_at": NOW,
            "latlng": None if points is None else [{"lat": lat, "lng": lng} for lat, lng in points],
            "time": None if points is None else list(range(len(points))),
            "moving": None if points is None else [True] * len(points)}


def store_streams(world: World, rows: list[dict]) -> None:
    warehouse = DuckDBWarehouse(world.db)
    try:
        warehouse.replace_activity_rows(ACTIVITY_STREAMS, [r["activity_id"] for r in rows], rows)
    finally:
        warehouse.close()


def cells(request: dict) -> set[tuple[str, str]]:
    return set(zip(request["latitude"].split(","), request["longitude"].split(","), strict=True))


@pytest.fixture
def world(make_simulator, make_openmeteo, tmp_path) -> World:
    return World(make_simulator(activities=ROUTES), make_openmeteo(steady=(5.0, 0.0)), tmp_path)


def test_a_stored_latlng_stream_is_sampled_instead_of_the_polyline(world):
    world.sync(weather=False)  # the activities, no weather yet
    store_streams(world, [stream_row(1, EAST), stream_row(2, None, status="none")])
    assert world.sync().weather_calls == 2
    forecast, archive = world.meteo.requests  # newest first: ride 2 (2 days ago), then ride 1
    assert cells(archive) == {("45.0000", "7.0000"), ("45.0000", "7.1000"), ("45.0000", "7.2000")}
    assert cells(forecast) == {("45.0000", "7.0000"), ("45.1000", "7.0000")}  # no track: the polyline's cells
    head = dict(world.rows("SELECT activity_id, headwind_ms FROM activity_weather"))
    (cross,) = world.rows("SELECT crosswind_ms FROM activity_weather WHERE activity_id = 1")[0]
    assert head[1] == pytest.approx(0.0, abs=1e-3) and cross == pytest.approx(5.0, abs=1e-3)  # east, wind from N
    assert world.weather()[2][1:3] == (pytest.approx(0.0, abs=1e-3), 0.5)  # out and back, as before


@pytest.mark.parametrize("stored", [
    stream_row(1, None),  # status ok, but no positions recorded
    {**stream_row(1, EAST), "start_date": NOW},  # streams of another start: the activity was cropped since
], ids=["null latlng", "other start"])
def test_the_polyline_serves_when_the_stream_has_no_track_for_this_start(world, stored):
    world.sync(weather=False)
    store_streams(world, [stored])
    world.sync()
    assert world.weather()[1][1] == pytest.approx(5.0, abs=1e-3)  # due north into the wind: the polyline


def test_streams_stored_after_the_weather_do_not_fetch_it_again(world):
    first = world.sync()
    store_streams(world, [stream_row(1, EAST)])
    again = world.sync()
    assert (first.weather_calls, again.weather_calls) == (2, 0)  # the fingerprint is start and polyline
    assert world.weather()[1][1] == pytest.approx(5.0, abs=1e-3)


def test_the_streams_pass_rows_sample_as_a_track(make_simulator, make_openmeteo, tmp_path):
    """What the real streams pass stores (the simulator's latlng follows the polyline, with pauses) reads
    back as a track: a sample per minute ridden, heading north, then weather along it in the same run."""
    ride = activity(1, 30, NORTH, upload_id=11, average_speed=6.17)
    world = World(make_simulator(activities=[ride]), make_openmeteo(steady=(5.0, 0.0)), tmp_path)
    summary = world.sync(streams=True)
    assert (summary.streams, summary.weather_calls) == (1, 1)
    warehouse = DuckDBWarehouse(world.db)
    try:
        (row,) = warehouse.read_streams([1, 2], STREAM_COLUMNS)
    finally:
        warehouse.close()
    samples = track_samples(row, {"start_date": datetime.fromisoformat(ride["start_date"]), "moving_time": 0})
    # minutes between moving and elapsed time: the simulator's auto-pause jumps cover ground, so count as riding
    assert ride["moving_time"] / 60 <= len(samples) <= round(ride["elapsed_time"] / 60)
    assert all(s.bearing < 1 or s.bearing > 359 for s in samples)
    assert world.weather()[1][:2] == ("ok", pytest.approx(5.0, abs=1e-3))


def test_positions_missing_from_the_stream_are_skipped():
    start = {"start_date": NOW, "moving_time": 0}
    full = {**stream_row(1, EAST), "start_date": NOW}
    holes = {**full, "latlng": [None if i % 7 == 3 else {"lat": None, "lng": 7.0} if i % 7 == 5 else p
                                for i, p in enumerate(full["latlng"])]}
    kept = [i for i in range(len(EAST)) if i % 7 not in (3, 5)]
    dense = {**full, "latlng": [full["latlng"][i] for i in kept], "time": kept, "moving": [True] * len(kept)}
    assert track_samples(holes, start) == track_samples(dense, start) != []
    no_time = {**full, "time": None}  # a track without times: spread evenly over moving time, as a polyline
    assert len(track_samples(no_time, {**start, "moving_time": 600})) == 10
