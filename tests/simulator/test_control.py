"""Editing the truth and configuring the simulator, in-process and over /_sim/ HTTP."""

from __future__ import annotations

import requests

from strava.simulator.data import parse_iso
from tests.simulator.helpers import access_token, list_activities, refresh


def sim_call(sim, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, sim.url + "/_sim/" + path, timeout=5, **kwargs)


def test_state(simulator) -> None:
    state = sim_call(simulator, "GET", "state").json()
    assert state["activities"] == 300 and state["calls"] == 0
    assert state["refresh_token"] == "sim-refresh-0" and state["rotate"] is False
    assert state["rate"]["read_limits"] == [100, 1000]


def test_add_a_late_upload_with_an_old_start_date(simulator) -> None:
    before = simulator.activities
    old_start = before[10]["start_date"]
    added = sim_call(simulator, "POST", "activities",
                     json={"start_date": old_start, "name": "Forgotten ride", "sport_type": "Ride"}).json()
    assert added["id"] > max(a["id"] for a in before)  # a new upload gets a new, higher id
    assert added["start_date"] == old_start and added["name"] == "Forgotten ride"
    assert added["start_date_local"] != old_start or added["utc_offset"] == 0
    token = access_token(simulator)
    newest = list_activities(simulator, token, per_page=5).json()
    assert added["id"] not in [a["id"] for a in newest]  # invisible to an incremental `after`
    after = parse_iso(before[9]["start_date"])
    ids = [a["id"] for a in list_activities(simulator, token, after=after, per_page=2).json()]
    assert ids == [before[10]["id"], added["id"]]  # same start: the older id first


def test_add_activity_in_process_defaults_to_now(simulator) -> None:
    added = simulator.add_activity(sport_type="Run")
    assert added["type"] == "Run" and "average_watts" not in added
    assert simulator.activities[-1]["id"] == added["id"]


def test_edit_and_drop_keys_over_http(simulator) -> None:
    target = simulator.activities[50]
    edited = sim_call(simulator, "PATCH", f"activities/{target['id']}",
                      json={"name": "Renamed", "visibility": "only_me", "private": True,
                            "drop_keys": ["suffer_score"]})
    assert edited.status_code == 200
    truth = sim_call(simulator, "GET", f"activities/{target['id']}").json()
    assert truth["name"] == "Renamed" and "suffer_score" not in truth
    assert truth["start_date"] == target["start_date"]


def test_edit_start_date_moves_the_activity(simulator) -> None:
    target = simulator.activities[0]
    simulator.edit_activity(target["id"], start_date="2030-01-01T00:00:00Z")
    truth = simulator.activities
    assert truth[-1]["id"] == target["id"] and len(truth) == 300


def test_delete(simulator) -> None:
    target = simulator.activities[5]["id"]
    assert sim_call(simulator, "DELETE", f"activities/{target}").status_code == 200
    assert target not in {a["id"] for a in sim_call(simulator, "GET", "activities").json()}
    assert sim_call(simulator, "DELETE", f"activities/{target}").status_code == 404


def test_config_over_http(simulator) -> None:
    state = sim_call(simulator, "POST", "config",
                     json={"rotate": True, "read_limits": [5, 50], "usage": [4, 40]}).json()
    assert state["rotate"] is True and state["rate"]["read_usage"] == [4, 40]
    token = refresh(simulator).json()["access_token"]
    assert sim_call(simulator, "GET", "state").json()["refresh_token"] != "sim-refresh-0"
    assert list_activities(simulator, token).status_code == 200
    assert list_activities(simulator, token).status_code == 429
    assert sim_call(simulator, "POST", "config", json={"nope": 1}).status_code == 400


def test_config_revoke_scope_inactive_and_clock(simulator) -> None:
    token = access_token(simulator)
    sim_call(simulator, "POST", "config", json={"advance_clock": 6 * 3600 + 1})
    assert list_activities(simulator, token).status_code == 401  # expired
    sim_call(simulator, "POST", "config", json={"scope": "read"})
    assert list_activities(simulator, access_token(simulator)).status_code == 401
    sim_call(simulator, "POST", "config", json={"inactive": True})
    assert refresh(simulator).status_code == 403
    sim_call(simulator, "POST", "config", json={"inactive": False, "revoke_refresh_token": True})
    assert refresh(simulator).status_code == 400


def test_request_log_over_http(simulator) -> None:
    list_activities(simulator, "x", page=3)
    assert sim_call(simulator, "GET", "requests").json() == [
        ["GET", "/api/v3/athlete/activities", {"page": "3"}]]


def test_secrets_file_fixture(secrets_file, simulator) -> None:
    from strava.secrets.file import FileSecretStore

    credentials = FileSecretStore(secrets_file).read()
    assert credentials.client_id == simulator.client_id
    assert refresh(simulator, credentials.refresh_token).status_code == 200
