"""STRAVA_STREAMS and STRAVA_HR_ZONES."""

from __future__ import annotations

import pytest

from strava.errors import ConfigError
from strava.settings import Settings


def test_streams_are_on_by_default_and_switch_off() -> None:
    assert Settings.from_env({}).streams is True
    assert Settings.from_env({"STRAVA_STREAMS": "off"}).streams is False
    assert Settings.from_env({"STRAVA_STREAMS": " ON "}).streams is True
    with pytest.raises(ConfigError, match="STRAVA_STREAMS='maybe' is not understood: use on or off"):
        Settings.from_env({"STRAVA_STREAMS": "maybe"})


@pytest.mark.parametrize("text", ["120,140,155", "120,140,155,150", "a,b,c,d", "0,140,155,170"])
def test_hr_zones_need_four_increasing_heart_rates(text: str) -> None:
    assert Settings.from_env({"STRAVA_HR_ZONES": "130,150,165,178"}).hr_zones == (130, 150, 165, 178)
    assert Settings.from_env({}).hr_zones is None
    with pytest.raises(ConfigError, match="4 increasing heart rates"):
        Settings.from_env({"STRAVA_HR_ZONES": text})


@pytest.mark.parametrize("text", ["190,50", "50", "a,b", "0,190", "50,190,200"])
def test_hr_range_is_rest_then_maximum(text: str) -> None:
    assert Settings.from_env({"STRAVA_HR_RANGE": " 48,188 "}).hr_range == (48, 188)
    assert Settings.from_env({"STRAVA_DETAILS": "on"}).details and not Settings.from_env({}).details
    with pytest.raises(ConfigError, match="resting and the maximum heart rate"):
        Settings.from_env({"STRAVA_HR_RANGE": text})
