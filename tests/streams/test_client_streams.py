"""GET /activities/{id}/streams: the client against the simulator over loopback."""

from __future__ import annotations

import pytest

from strava.client import STREAM_KEYS, StravaClient
from strava.errors import BadResponse
from strava.settings import Settings
from strava.simulator import StravaSimulator
from strava.simulator.streams import activity_streams
from tests.simulator.helpers import FakeClock


@pytest.fixture
def sim(make_simulator) -> StravaSimulator:
    return make_simulator(activities=40, seed=7, clock=FakeClock())


def connect(sim: StravaSimulator) -> tuple[StravaClient, str]:
    client = StravaClient(Settings(api_url=sim.api_url, oauth_url=sim.oauth_url, retry_seconds=0))
    secrets = sim.secrets()
    grant = client.refresh_access_token(secrets["client_id"], secrets["client_secret"], secrets["refresh_token"])
    return client, grant.access_token


def test_one_request_for_every_key_by_type(sim: StravaSimulator) -> None:
    ride = next(a for a in reversed(sim.activities) if a.get("device_watts") and a.get("has_heartrate")
                and "average_temp" in a and a["map"].get("summary_polyline"))
    client, token = connect(sim)
    body = client.get_activity_streams(token, ride["id"])
    _, path, query = sim.request_log[-1]
    assert path.endswith(f"/activities/{ride['id']}/streams") and query["key_by_type"] == "true"
    assert query["keys"].split(",") == list(STREAM_KEYS)
    assert set(body) == set(STREAM_KEYS)  # a ride with power, heart rate, GPS and temperature has them all
    assert body["watts"]["data"] == activity_streams(ride, 7)["watts"]
    assert body["time"]["original_size"] == len(body["time"]["data"])


def test_no_streams_is_none_and_a_wrong_shape_a_clear_error(sim: StravaSimulator) -> None:
    manual = next(a for a in sim.activities if a["manual"])
    other = next(a for a in sim.activities if not a["manual"])
    client, token = connect(sim)
    assert client.get_activity_streams(token, manual["id"]) is None  # 404, as Strava answers manual entries
    assert client.get_activity_streams(token, 1) is None  # unknown id
    sim.inject(f"/api/v3/activities/{other['id']}/streams", status=200, body=[])
    assert client.get_activity_streams(token, other["id"]) is None  # empty: still processing, or nothing
    sim.inject(f"/api/v3/activities/{other['id']}/streams", status=200, body={"time": [1, 2]})
    with pytest.raises(BadResponse, match="not keyed by stream type"):
        client.get_activity_streams(token, other["id"])
    assert client.api_calls == 5  # token + 4 reads, each counted
