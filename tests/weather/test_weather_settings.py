"""STRAVA_WEATHER and the Open-Meteo URLs: on by default, the issue's defaults, bad values refused clearly."""

from __future__ import annotations

import pytest

from strava.errors import ConfigError
from strava.settings import Settings


def test_on_by_default_with_open_meteo_urls():
    settings = Settings.from_env({})
    assert settings.weather is True
    assert settings.weather_archive_url == "https://archive-api.open-meteo.com/v1/archive"
    assert settings.weather_forecast_url == "https://api.open-meteo.com/v1/forecast"


@pytest.mark.parametrize(("text", "on"), [("off", False), ("OFF ", False), ("0", False), ("on", True), ("", True)])
def test_switch(text, on):
    assert Settings.from_env({"STRAVA_WEATHER": text}).weather is on


@pytest.mark.parametrize(("env", "named"), [
    ({"STRAVA_WEATHER": "sometimes"}, "STRAVA_WEATHER"),
    ({"STRAVA_WEATHER_ARCHIVE_URL": "archive-api.open-meteo.com"}, "STRAVA_WEATHER_ARCHIVE_URL"),
    ({"STRAVA_WEATHER_FORECAST_URL": "ftp://x"}, "STRAVA_WEATHER_FORECAST_URL"),
    ({"STRAVA_WEATHER_MAX_CALLS": "many"}, "STRAVA_WEATHER_MAX_CALLS"),
])
def test_bad_values_name_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_urls_and_budget_are_read():
    settings = Settings.from_env({"STRAVA_WEATHER_ARCHIVE_URL": "http://127.0.0.1:9/v1/archive/",
                                  "STRAVA_WEATHER_MAX_CALLS": "7"})
    assert (settings.weather_archive_url, settings.weather_max_calls) == ("http://127.0.0.1:9/v1/archive", 7)
