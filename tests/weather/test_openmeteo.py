"""The Open-Meteo client against the Open-Meteo simulator over loopback (shapes, units, errors), and the
client's retries (`responses`, the HTTP client's unit tests only)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import requests
import responses

from strava.weather.openmeteo import OpenMeteo, WeatherError, WeatherRateLimited, call_units

DAY = date(2024, 6, 1)
EPOCH = datetime(2024, 6, 1, tzinfo=UTC).timestamp()


def get(sim, kind: str = "archive", **params) -> requests.Response:
    query = {"latitude": "45.0", "longitude": "7.0", "start_date": "2024-06-01", "end_date": "2024-06-01",
             "hourly": "wind_speed_10m,wind_direction_10m,temperature_2m", **params}
    return requests.get(f"{sim.url}/v1/{kind}", params={k: v for k, v in query.items() if v is not None},
                        timeout=5)


def test_one_location_is_an_object_several_a_list_in_order(make_openmeteo):
    sim = make_openmeteo()
    one = get(sim).json()
    assert isinstance(one, dict) and len(one["hourly"]["time"]) == 24
    many = get(sim, latitude="45.0,46.0,-33.9", longitude="7.0,8.0,18.4").json()
    assert [round(m["latitude"], 1) for m in many] == [45.0, 46.0, -33.9]
    assert many[0]["hourly"] == one["hourly"]  # the same place answers the same weather
    assert many[1]["hourly"]["temperature_2m"] != one["hourly"]["temperature_2m"]


def test_both_time_formats_and_both_speed_units(make_openmeteo):
    sim = make_openmeteo()
    default = get(sim).json()  # iso8601 and km/h unless asked
    assert default["hourly"]["time"][:2] == ["2024-06-01T00:00", "2024-06-01T01:00"]
    assert default["hourly_units"]["wind_speed_10m"] == "km/h"
    unix = get(sim, timeformat="unixtime", wind_speed_unit="ms").json()
    assert unix["hourly"]["time"][:2] == [EPOCH, EPOCH + 3600]
    assert unix["hourly_units"]["wind_speed_10m"] == "m/s"
    for kmh, ms in zip(default["hourly"]["wind_speed_10m"], unix["hourly"]["wind_speed_10m"], strict=True):
        assert kmh == pytest.approx(ms * 3.6, abs=0.02)  # both rounded to 0.01
    assert default["hourly"]["wind_direction_10m"] == unix["hourly"]["wind_direction_10m"]


def test_forecast_past_days_ends_today_and_archive_lags(make_openmeteo):
    sim = make_openmeteo(clock=lambda: EPOCH + 12 * 3600)  # noon on 2024-06-01
    recent = get(sim, "forecast", start_date=None, end_date=None, past_days="2", forecast_days="1",
                 timeformat="unixtime").json()
    assert recent["hourly"]["time"][0] == EPOCH - 2 * 86400 and len(recent["hourly"]["time"]) == 3 * 24
    archive = get(sim, timeformat="unixtime").json()
    assert set(archive["hourly"]["wind_speed_10m"]) == {None}  # not in the reanalysis yet


@pytest.mark.parametrize("params", [
    {"latitude": "45,46", "longitude": "7"}, {"latitude": "95"}, {"start_date": "2024-06-02"},
    {"hourly": "snowfall_depth"}, {"wind_speed_unit": "knots"}, {"timeformat": "rfc"},
])
def test_bad_parameters_are_400_with_a_reason(make_openmeteo, params):
    answer = get(make_openmeteo(), **params)
    assert answer.status_code == 400 and answer.json()["error"] is True and answer.json()["reason"]


def test_client_reads_every_location_in_order(make_openmeteo):
    sim = make_openmeteo(steady=(4.0, 200.0))
    client = OpenMeteo(sim.archive_url, sim.forecast_url)
    series = client.archive([(45.0, 7.0), (45.1, 7.1)], DAY, date(2024, 6, 2))
    assert (client.calls, client.units) == (1, 2) and len(series) == 2
    assert series[0].times[0] == EPOCH and len(series[1].times) == 48
    cond = series[1].at(EPOCH + 5400)
    assert cond.wind == (pytest.approx(4.0), pytest.approx(200.0))
    query = sim.requests[0]
    assert (query["wind_speed_unit"], query["timeformat"], query["latitude"]) == ("ms", "unixtime", "45.0000,45.1000")


def test_client_429_and_400_are_typed_and_not_retried(make_openmeteo):
    limited = make_openmeteo(limit=0)
    client = OpenMeteo(limited.archive_url, limited.forecast_url)
    with pytest.raises(WeatherRateLimited, match="limit"):
        client.archive([(45.0, 7.0)], DAY, DAY)
    assert client.calls == 1
    sim = make_openmeteo()
    bad = OpenMeteo(sim.archive_url.replace("/archive", "/nowhere"), sim.forecast_url)
    with pytest.raises(WeatherError, match="HTTP 404"):
        bad.archive([(45.0, 7.0)], DAY, DAY)


@responses.activate
def test_client_retries_server_errors_then_reads_the_answer():
    url = "https://meteo.test/v1/archive"
    hourly = {"time": [EPOCH], "temperature_2m": [20.0], "wind_speed_10m": [3.0], "wind_direction_10m": [90],
              "wind_gusts_10m": [None], "precipitation": [0.0]}
    responses.get(url, status=503)
    responses.get(url, json={"hourly": hourly})
    client = OpenMeteo(url, url, retry_wait=0)
    (series,) = client.archive([(45.0, 7.0)], DAY, DAY)
    assert client.calls == 2 and series.gust_ms == [None] and series.wind_from_deg == [90.0]


@responses.activate
@pytest.mark.parametrize(("times", "offset"), [
    (["2024-06-01T00:00", "2024-06-01T01:00"], 0),
    (["2024-06-01T02:00", "2024-06-01T03:00"], 7200),  # local times of a UTC+2 answer
])
def test_client_reads_iso_times_too(times, offset):
    url = "https://meteo.test/v1/archive"
    hourly = {"time": times, "temperature_2m": [20.0, 21.0], "wind_speed_10m": [3.0, 4.0],
              "wind_direction_10m": [90, 95], "wind_gusts_10m": [None, 6.0], "precipitation": [0.0, 0.1]}
    responses.get(url, json={"utc_offset_seconds": offset, "hourly": hourly})
    (series,) = OpenMeteo(url, url).archive([(45.0, 7.0)], DAY, DAY)
    assert series.times == [EPOCH, EPOCH + 3600]


@responses.activate
@pytest.mark.parametrize(("body", "message"), [
    ([{"hourly": {}}, {"hourly": {}}], "2 locations for 1"),
    ({"hourly": {"time": [1, 2]}}, "lacks hourly data"),
    ({"hourly": {"time": [EPOCH], "temperature_2m": ["hot"], "wind_speed_10m": [1], "wind_direction_10m": [1],
                 "wind_gusts_10m": [1], "precipitation": [0]}}, "lacks hourly data"),
])
def test_client_refuses_answers_it_cannot_use(body, message):
    url = "https://meteo.test/v1/archive"
    responses.get(url, json=body)
    with pytest.raises(WeatherError, match=message):
        OpenMeteo(url, url).archive([(45.0, 7.0)], DAY, DAY)


@pytest.mark.parametrize(("locations", "days", "units"), [(1, 1, 1), (3, 14, 3), (3, 15, 6), (2, 93, 14)])
def test_call_units_count_locations_and_fortnights(locations, days, units):
    assert call_units(locations, days) == units
