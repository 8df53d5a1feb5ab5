"""The weather pass inside a real sync: the Strava simulator and the Open-Meteo simulator over loopback, a
real DuckDB file. Routes are drawn by hand so the expected headwinds are known."""

from __future__ import annotations

import logging
from datetime import timedelta

import polyline
import pytest

from strava.warehouse.bigquery import BigQueryWarehouse
from tests.weather.support import NOW, ROUTES, SOUTH, World

ACROSS_CELLS = polyline.encode([(45.0, 7.0), (45.0, 7.25)])  # east across 0.1° cells 7.0, 7.1, 7.2 (+ 7.3)




@pytest.fixture
def world(make_simulator, make_openmeteo, tmp_path) -> World:
    return World(make_simulator(activities=ROUTES), make_openmeteo(steady=(5.0, 0.0)), tmp_path)


def test_weather_along_outdoor_routes_once_each_in_its_own_counter(world):
    first = world.sync()
    assert first.status == "ok" and first.inserted == 5
    assert first.api_calls == 3  # Strava's: token, a page, the empty page (weather is not counted here)
    assert first.weather_calls == 2  # one archive request (30 days ago), one forecast request (2 days ago)
    weather = world.weather()
    assert sorted(weather) == [1, 2]  # trainer, virtual and GPS-less activities get no row
    status, head, share, source = weather[1]
    assert (status, source, share) == ("ok", "archive:best_match", 1.0)
    assert head == pytest.approx(5.0, abs=1e-3)  # due north into a steady 5 m/s north wind
    status, head, share, source = weather[2]
    assert (status, source, share) == ("ok", "forecast:best_match", 0.5)
    assert head == pytest.approx(0.0, abs=1e-3)
    assert [q.get("past_days") for q in world.meteo.requests] == ["3", None]  # newest first

    second = world.sync()
    assert (second.status, second.weather_calls) == ("ok", 0)  # fetched once
    assert world.rows("SELECT weather_calls, api_calls FROM sync_runs ORDER BY started_at") == [(2, 3), (0, 3)]


def test_a_changed_route_is_fetched_again(world):
    world.sync()
    world.strava.edit_activity(1, map={"id": "a1", "summary_polyline": SOUTH})
    again = world.sync(full=True)
    assert again.weather_calls == 1
    assert world.weather()[1][1] == pytest.approx(-5.0, abs=1e-3)  # now a tailwind


def test_open_meteo_rate_limit_ends_the_weather_part_only(world, caplog):
    world.meteo.limit = 0  # every request answered 429
    with caplog.at_level(logging.WARNING, "strava.weather"):
        limited = world.sync()
    assert (limited.status, limited.error, limited.inserted) == ("ok", None, 5)
    assert limited.weather_calls == 1  # a 429 is not retried
    assert world.weather() == {}
    assert any("rate limit" in r.getMessage() for r in caplog.records)
    world.meteo.limit = None
    resumed = world.sync()
    assert resumed.weather_calls == 2 and sorted(world.weather()) == [1, 2]


def test_the_weather_budget_bounds_a_run_and_the_next_run_resumes(world):
    assert world.sync(weather_max_calls=1).weather_calls == 1
    assert sorted(world.weather()) == [2]  # newest first
    assert world.sync(weather_max_calls=1).weather_calls == 1
    assert sorted(world.weather()) == [1, 2]


def test_the_budget_counts_as_open_meteo_does_one_call_per_location(world):
    world.strava.add_activity(id=9, start_date=(NOW - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              sport_type="Ride", trainer=False, manual=False, moving_time=3600,
                              map={"id": "a9", "summary_polyline": ACROSS_CELLS})
    spent = world.sync(weather_max_calls=3)  # the forecast request (2 cells) fits, the archive one would not
    assert spent.weather_calls == 1 and sorted(world.weather()) == [2]
    assert len(world.meteo.requests[0]["latitude"].split(",")) == 2
    assert world.sync(weather_max_calls=0).weather_calls == 0  # 0 = none at all
    resumed = world.sync(weather_max_calls=3)  # a run's first request goes out even if larger: progress
    assert resumed.weather_calls == 1 and sorted(world.weather()) == [1, 2, 9]
    assert len(world.meteo.requests[1]["latitude"].split(",")) > 3  # rides 1 and 9 in one request


def test_routes_without_length_get_a_row_once_and_no_request(world):
    start = (NOW - timedelta(days=25)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for id_, route in ((7, polyline.encode([(45.0, 7.0), (45.0, 7.0)])), (8, "_p~iF~ps|U_ul")):  # a dot; cut short
        world.strava.add_activity(id=id_, start_date=start, sport_type="Ride", trainer=False, manual=False,
                                  map={"id": f"a{id_}", "summary_polyline": route})
    assert world.sync().weather_calls == 2  # rides 1 and 2 only
    assert {i: w[0] for i, w in world.weather().items()} == {1: "ok", 2: "ok", 7: "no_route", 8: "no_route"}
    assert world.sync().weather_calls == 0


def test_weather_off_sends_nothing_to_open_meteo(world):
    summary = world.sync(weather=False)
    assert (summary.status, summary.weather_calls) == ("ok", 0)
    assert world.meteo.requests == [] and world.weather() == {}


def test_a_backfill_needs_fewer_weather_calls_than_activities(make_simulator, make_openmeteo, tmp_path):
    world = World(make_simulator(activities=150, seed=3), make_openmeteo(seed=3), tmp_path)
    summary = world.sync(weather_max_calls=100_000)
    (outdoor,) = world.rows("SELECT count(*) FROM activity_weather WHERE status = 'ok'")[0]
    assert summary.status == "ok" and outdoor > 50
    assert summary.weather_calls * 4 < outdoor  # several activities per multi-location request
    assert world.rows("SELECT count(*) FROM activity_weather w JOIN activities a ON a.id = w.activity_id "
                      "WHERE a.trainer OR a.sport_type LIKE 'Virtual%'") == [(0,)]



def test_bigquery_stores_the_same_weather_as_duckdb(make_simulator, make_openmeteo, tmp_path, bq_dataset):
    duck = World(make_simulator(activities=ROUTES), make_openmeteo(steady=(5.0, 0.0)), tmp_path / "duck")
    bq = World(make_simulator(activities=ROUTES), make_openmeteo(steady=(5.0, 0.0)), tmp_path / "bq")
    spec = f"bigquery:{bq_dataset}"
    assert duck.sync().weather_calls == bq.sync(warehouse=spec).weather_calls == 2
    assert bq.sync(warehouse=spec).weather_calls == 0  # the fingerprint matches on BigQuery too
    columns = "activity_id, status, headwind_ms, crosswind_ms, headwind_share, samples, cells, source"
    warehouse = BigQueryWarehouse.from_spec(bq_dataset)
    try:
        stored = [tuple(r.values()) for r in warehouse.client.query(
            f"SELECT {columns} FROM `{warehouse.project}.{warehouse.dataset}.activity_weather` ORDER BY 1").result()]
    finally:
        warehouse.close()
    assert stored == duck.rows(f"SELECT {columns} FROM activity_weather ORDER BY 1")
