"""GET /api/v3/activities/{id} on the simulator, and StravaClient.get_activity against it over loopback."""

from __future__ import annotations

import requests

from strava.client import StravaClient
from strava.settings import Settings
from tests.simulator.helpers import access_token


def get(sim, token: str, activity_id: int) -> requests.Response:
    return requests.get(f"{sim.api_url}/activities/{activity_id}", timeout=5,
                        headers={"Authorization": f"Bearer {token}"})


def test_detail_of_a_stored_activity_then_404_once_deleted(make_simulator) -> None:
    sim = make_simulator(activities=10, seed=3)
    token = access_token(sim)
    truth = sim.activities[4]
    answer = get(sim, token, truth["id"])
    assert answer.status_code == 200 and answer.headers["X-ReadRateLimit-Usage"].startswith("1,")
    detail = answer.json()
    assert {k: detail[k] for k in truth if k != "resource_state"} == {k: v for k, v in truth.items()
                                                                     if k != "resource_state"}
    assert detail["resource_state"] == 3 and "calories" in detail
    sim.delete_activity(truth["id"])
    gone = get(sim, token, truth["id"])
    assert gone.status_code == 404 and gone.json()["message"] == "Record Not Found"
    assert get(sim, "not-a-token", sim.activities[0]["id"]).status_code == 401


def test_a_private_activity_needs_read_all(make_simulator) -> None:
    sim = make_simulator(activities=10, seed=3)
    private = sim.edit_activity(sim.activities[2]["id"], private=True, visibility="only_me")
    assert get(sim, access_token(sim), private["id"]).status_code == 200
    sim.set_scope("read,activity:read")
    assert get(sim, access_token(sim), private["id"]).status_code == 404


def test_client_get_activity_on_the_simulator(make_simulator) -> None:
    sim = make_simulator(activities=5, seed=2)
    client = StravaClient(Settings(api_url=sim.api_url, oauth_url=sim.oauth_url))
    token = client.refresh_access_token(**{k: v for k, v in sim.secrets().items()}).access_token
    first, second = (a["id"] for a in sim.activities[:2])
    sim.delete_activity(first)
    assert client.get_activity(token, first) is None
    assert client.get_activity(token, second)["id"] == second
    assert client.api_calls == 3 and client.budget.snapshot()["read_usage_15min"] == 2
