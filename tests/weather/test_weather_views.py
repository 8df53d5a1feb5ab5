"""The wind-adjusted effort in the views and the weather table's "changed since" lookup, on DuckDB and on the
BigQuery emulator alike. Expectations are computed here in plain Python from the documented formula."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from strava.schema import ACTIVITY_WEATHER, activity_row
from strava.warehouse.bigquery import BigQueryWarehouse
from strava.warehouse.duckdb import DuckDBWarehouse

T0 = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)  # a Monday
CDA, CRR, BIKE_KG, G, RHO0 = 0.32, 0.005, 9.0, 9.80665, 1.225
RIDER_KG = 70.0  # set in athlete_settings below (the view's default would be 75)


def _activity(id_: int, sport: str, day: int, route: str = "_p~iF~ps|U_ulLnnqC") -> dict[str, Any]:
    start = f"2025-03-0{day}T07:00:00Z"
    return {"id": id_, "sport_type": sport, "type": sport, "start_date": start, "start_date_local": start,
            "distance": 11_100.0, "moving_time": 1800, "total_elevation_gain": 100.0,
            "map": {"id": f"a{id_}", "summary_polyline": route}}


ACTIVITIES = [_activity(1, "Ride", 3), _activity(2, "Ride", 4), _activity(3, "Ride", 5), _activity(4, "Run", 6),
              _activity(5, "GravelRide", 7)]
# activity -> (temperature, mean headwind, mean squared headwind, status)
WEATHER = {1: (15.0, 5.0, 25.0, "ok"),  # due north into 5 m/s
           2: (0.0, 0.0, 25.0, "ok"),  # out and back in 5 m/s, cold air
           4: (15.0, 5.0, 25.0, "ok"),  # a run: wind does not scale it
           5: (None, -3.0, 9.0, "ok")}  # tailwind, temperature missing (15 °C assumed)
# activity 3 has no weather row


def wind_factor(temp: float | None, h: float, h2: float, cda: float = CDA, bike_kg: float = BIKE_KG,
                rider_kg: float = RIDER_KG) -> float:
    v = 11_100.0 / 1800
    rho = 101_325.0 / (287.05 * ((15.0 if temp is None else temp) + 273.15))
    rolling = CRR * (rider_kg + bike_kg) * G
    return (0.5 * rho * cda * (v * v + 2 * v * h + h2) + rolling) / (0.5 * RHO0 * cda * v * v + rolling)


def expected_km(id_: int, rider: dict[int, tuple[float, float]] | None = None) -> float:
    """`rider`: activity -> (CdA, bike kg) where athlete_settings sets them (else the defaults)."""
    climb = 100.0 / 100 * (1.0 if id_ == 4 else 4.0)
    temp, h, h2, _ = WEATHER.get(id_, (None, None, None, None))
    factor = wind_factor(temp, h, h2, *(rider or {}).get(id_, ())) if h is not None and id_ != 4 else 1.0
    return 11.1 * factor + climb


def _load(wh: Any) -> None:
    wh.setup()
    wh.upsert_activities([activity_row(a, T0)[0] for a in ACTIVITIES], "weather-views")
    wh.set_athlete_settings(date(2020, 1, 1), None, RIDER_KG)
    for id_, (temp, h, h2, status) in WEATHER.items():
        start = datetime.fromisoformat(ACTIVITIES[id_ - 1]["start_date"].replace("Z", "+00:00"))
        wh.replace_activity_rows(ACTIVITY_WEATHER, [id_], [{
            "activity_id": id_, "status": status, "temperature_c": temp, "headwind_ms": h, "headwind_sq_ms2": h2,
            "start_date": start, "summary_polyline": "_p~iF~ps|U_ulLnnqC", "fetched_at": T0}])


@pytest.fixture(params=["duckdb", "bigquery"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Any:
    if request.param == "duckdb":
        wh = DuckDBWarehouse(tmp_path / "w.duckdb")
        _load(wh)
        yield wh, lambda sql: wh.conn.execute(sql.format(t="")).fetchall()
    else:
        wh = BigQueryWarehouse.from_spec(request.getfixturevalue("bq_dataset"))
        _load(wh)
        yield wh, lambda sql: [tuple(r.values()) for r in
                               wh.client.query(sql.format(t=f"`{wh.project}.{wh.dataset}`.")).result()]
    wh.close()


def test_wind_adjusted_equivalent_flat_km_per_activity_and_week(engine):
    _, query = engine
    facts = dict(query("SELECT id, wind_adjusted_flat_km FROM {t}activity_facts"))
    assert facts == {i: pytest.approx(expected_km(i), rel=1e-9) for i in range(1, 6)}
    assert wind_factor(15.0, 5.0, 25.0) > 1.5 > wind_factor(None, -3.0, 9.0) > 0.5 > 0  # sanity of the cases
    headwinds = dict(query("SELECT id, headwind_ms FROM {t}activity_facts"))
    assert headwinds == {1: 5.0, 2: 0.0, 3: None, 4: 5.0, 5: -3.0}
    week = query("SELECT equivalent_flat_km, wind_adjusted_flat_km FROM {t}weekly_summary "
                 "WHERE sport_type = 'all' AND week_start = DATE '2025-03-03'")
    assert week == [(pytest.approx(5 * 11.1 + 4 * 4.0 + 1.0), pytest.approx(sum(map(expected_km, range(1, 6)))))]


def test_dated_cda_and_bike_mass_change_the_wind_factor_from_their_date_on(engine):
    wh, query = engine
    wh.set_athlete_settings(date(2025, 3, 4), None, None, cda_m2=0.40, bike_kg=15.0)
    wh.set_athlete_settings(date(2025, 3, 7), None, None, bike_kg=8.0)  # the CdA of the 4th stays in force
    factors = dict(query("SELECT id, wind_factor FROM {t}activity_facts"))
    assert factors == {1: pytest.approx(wind_factor(15.0, 5.0, 25.0), rel=1e-9),  # before: the defaults
                       2: pytest.approx(wind_factor(0.0, 0.0, 25.0, 0.40, 15.0), rel=1e-9),
                       3: None, 4: None,
                       5: pytest.approx(wind_factor(None, -3.0, 9.0, 0.40, 8.0), rel=1e-9)}
    assert factors[2] != pytest.approx(wind_factor(0.0, 0.0, 25.0), rel=1e-3)  # the settings did change it
    assert factors[5] != pytest.approx(wind_factor(None, -3.0, 9.0), rel=1e-3)
    rider = {2: (0.40, 15.0), 5: (0.40, 8.0)}
    facts = dict(query("SELECT id, wind_adjusted_flat_km FROM {t}activity_facts"))
    assert facts == {i: pytest.approx(expected_km(i, rider), rel=1e-9) for i in range(1, 6)}
    wh.set_athlete_settings(date(2025, 3, 4), None, 90.0)  # a weight on the 4th keeps that row's CdA and bike
    factors = dict(query("SELECT id, wind_factor FROM {t}activity_facts"))
    assert (factors[2], factors[5]) == (pytest.approx(wind_factor(0.0, 0.0, 25.0, 0.40, 15.0, 90.0), rel=1e-9),
                                        pytest.approx(wind_factor(None, -3.0, 9.0, 0.40, 8.0, 90.0), rel=1e-9))


def test_a_weather_row_of_a_changed_route_or_start_counts_as_missing(engine):
    wh, _ = engine
    fingerprint = ("start_date", "summary_polyline")
    found = wh.activities_without(ACTIVITY_WEATHER, ["id"], 10, matching=fingerprint)
    assert [r["id"] for r in found] == [3]  # the others' rows were computed from the same route and start
    wh.upsert_activities([activity_row(_activity(1, "Ride", 3, route="_p~iF~ps|U"), T0)[0],
                          activity_row(_activity(2, "Ride", 8), T0)[0]], "changed")
    found = wh.activities_without(ACTIVITY_WEATHER, ["id"], 10, "sport_type LIKE '%Ride'", matching=fingerprint)
    assert [r["id"] for r in found] == [2, 3, 1]  # newest first: moved to the 8th, unchanged, re-routed
    assert [r["id"] for r in wh.activities_without(ACTIVITY_WEATHER, ["id"], 10)] == [3]
