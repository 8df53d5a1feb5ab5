"""GET /athlete/zones: the simulator answers as Strava does, per granted scope; the client reads it over loopback."""

from __future__ import annotations

import pytest
import requests

from strava.client import StravaClient
from strava.errors import RateLimited
from strava.power import zone_seconds
from strava.settings import Settings
from strava.simulator import StravaSimulator
from strava.simulator.server import MISSING_PROFILE_SCOPE
from strava.simulator.streams import activity_streams
from tests.simulator.helpers import FakeClock
from tests.streams.test_client_streams import connect


@pytest.fixture
def sim(make_simulator) -> StravaSimulator:
    return make_simulator(activities=40, seed=7, clock=FakeClock())


def zones_answer(sim: StravaSimulator, token: str) -> requests.Response:
    return requests.get(f"{sim.api_url}/athlete/zones", headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_zones_for_a_token_with_profile_read_all(sim: StravaSimulator) -> None:
    client, token = connect(sim)
    body = zones_answer(sim, token).json()
    hr = body["heart_rate"]["zones"]
    assert body["heart_rate"]["custom_zones"] is False and len(hr) == 5
    assert [z["min"] for z in hr] == [0, *(z["max"] for z in hr[:4])] and hr[-1]["max"] == -1  # contiguous
    assert len(body["power"]["zones"]) == 7 and body["power"]["zones"][-1]["max"] == -1
    bounds = client.get_athlete_zones(token)
    assert bounds == tuple(float(z["min"]) for z in hr[1:])
    # Consistent with the simulated heart rates: the streams reach every zone but the top one is rare.
    beats = [h for a in sim.activities if (s := activity_streams(a, 7)) and "heartrate" in s for h in s["heartrate"]]
    shares = [seconds / len(beats) for seconds in zone_seconds(beats, bounds)]
    assert all(share > 0.01 for share in shares[:4]) and shares[4] < 0.2, shares


def test_custom_zones_are_served_and_reset(sim: StravaSimulator) -> None:
    client, token = connect(sim)
    default = client.get_athlete_zones(token)
    requests.post(f"{sim.url}/_sim/config", json={"hr_zones": [120, 140, 160, 175]}, timeout=5).raise_for_status()
    assert client.get_athlete_zones(token) == (120.0, 140.0, 160.0, 175.0)
    assert zones_answer(sim, token).json()["heart_rate"]["custom_zones"] is True
    sim.set_hr_zones(None)
    assert client.get_athlete_zones(token) == default


def test_without_profile_read_all_strava_refuses_and_the_client_answers_none(sim: StravaSimulator) -> None:
    sim.set_scope("read,activity:read_all")
    client, token = connect(sim)
    refused = zones_answer(sim, token)
    assert refused.status_code == 401 and refused.json() == MISSING_PROFILE_SCOPE
    assert client.get_athlete_zones(token) is None
    ride = next(a for a in sim.activities if not a["manual"])
    assert client.get_activity_streams(token, ride["id"]) is not None  # activities are still readable
    assert client.api_calls == 3  # token + 2 reads: the refusal was not retried


def test_the_zones_call_is_counted_by_the_budget(make_simulator) -> None:
    sim = make_simulator(activities=3, read_limits=(5, 1000), clock=FakeClock())
    client = StravaClient(Settings(api_url=sim.api_url, oauth_url=sim.oauth_url, retry_seconds=0, rate_reserve=0))
    secrets = sim.secrets()
    token = client.refresh_access_token(secrets["client_id"], secrets["client_secret"],
                                        secrets["refresh_token"]).access_token
    for _ in range(5):
        client.get_athlete_zones(token)
    with pytest.raises(RateLimited):
        client.get_athlete_zones(token)
    assert sim.rate.state()["read_usage"][0] == 5  # the sixth was never sent
