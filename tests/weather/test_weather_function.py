"""The deployed path: the real functions-framework server runs a sync with weather on (its source zip's modules
and its requirements suffice), against both simulators over loopback."""

from __future__ import annotations

import json

from tests.function.conftest import Deployment
from tests.weather.support import ROUTES


def test_the_function_fetches_weather_and_reports_its_calls(function_server, make_simulator, make_openmeteo,
                                                            tmp_path):
    strava, meteo = make_simulator(activities=ROUTES), make_openmeteo(steady=(5.0, 0.0))
    secrets, db = tmp_path / "secrets.json", tmp_path / "strava.duckdb"
    secrets.write_text(json.dumps(strava.secrets()))
    server = function_server({"STRAVA_API_URL": strava.api_url, "STRAVA_OAUTH_URL": strava.oauth_url,
                              "STRAVA_SECRETS": f"file:{secrets}", "STRAVA_WAREHOUSE": f"duckdb:{db}",
                              "STRAVA_WEATHER": "on", "STRAVA_WEATHER_ARCHIVE_URL": meteo.archive_url,
                              "STRAVA_WEATHER_FORECAST_URL": meteo.forecast_url})
    deployment = Deployment(server, strava, secrets, db)
    answer = deployment.post({})
    assert answer.status == 200 and answer.body["status"] == "ok", answer.text[:300]
    assert (answer.body["api_calls"], answer.body["weather_calls"]) == (3, 2)
    assert deployment.rows("SELECT activity_id, round(headwind_ms, 3) FROM activity_weather ORDER BY 1") == [
        (1, 5.0), (2, 0.0)]
    assert deployment.rows("SELECT weather_calls FROM sync_runs") == [(2,)]
