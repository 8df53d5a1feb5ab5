"""Each fault kind, page restriction and repetition, in-process and through POST /_sim/faults."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.simulator.helpers import FakeClock, access_token, list_activities, refresh


@pytest.fixture
def token(simulator) -> str:
    return access_token(simulator)


def test_status_fault_with_default_fault_body_fires_once(simulator, token) -> None:
    simulator.inject(status=503)
    failed = list_activities(simulator, token)
    assert failed.status_code == 503
    assert failed.json() == {"message": "Service Unavailable", "errors": []}
    assert "X-ReadRateLimit-Usage" in failed.headers
    assert list_activities(simulator, token).status_code == 200


def test_status_fault_with_custom_body_and_times(simulator, token) -> None:
    simulator.inject(status=500, body="oops", content_type="text/plain", times=2)
    for _ in range(2):
        response = list_activities(simulator, token)
        assert response.status_code == 500 and response.text == "oops"
    assert list_activities(simulator, token).status_code == 200


def test_html_page_with_200(simulator, token) -> None:
    simulator.inject(kind="html")
    response = list_activities(simulator, token)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_truncated_json(simulator, token) -> None:
    simulator.inject(kind="truncated")
    response = list_activities(simulator, token)
    assert response.status_code == 200 and response.text.startswith("[{")
    with pytest.raises(ValueError):
        json.loads(response.text)


def test_not_a_list(simulator, token) -> None:
    simulator.inject(kind="not_list")
    response = list_activities(simulator, token)
    assert response.status_code == 200 and isinstance(response.json(), dict)


def test_connection_reset(simulator, token) -> None:
    simulator.inject(kind="reset")
    with pytest.raises(requests.ConnectionError):
        list_activities(simulator, token)
    assert list_activities(simulator, token).status_code == 200


def test_slow_answer(simulator, token) -> None:
    simulator.inject(kind="slow", delay=0.4)
    started = time.perf_counter()
    assert list_activities(simulator, token).status_code == 200
    assert time.perf_counter() - started >= 0.4
    with pytest.raises(requests.Timeout):
        simulator.inject(kind="slow", delay=0.5)
        requests.get(simulator.api_url + "/athlete/activities", timeout=0.2,
                     headers={"Authorization": f"Bearer {token}"})


def test_missing_id_only_on_the_chosen_page(simulator, token) -> None:
    simulator.inject(kind="missing_id", page=2)
    assert all("id" in a for a in list_activities(simulator, token, page=1).json())
    page2 = list_activities(simulator, token, page=2).json()
    assert len(page2) == 30 and sum("id" not in a for a in page2) == 1
    assert all("id" in a for a in simulator.activities)  # the truth is untouched


def test_type_change(simulator, token) -> None:
    simulator.inject(kind="type_change")
    items = list_activities(simulator, token).json()
    changed = [a for a in items if isinstance(a["distance"], str)]
    assert len(changed) == 1 and changed[0]["distance"].endswith("km")


def test_fault_on_the_token_endpoint(simulator) -> None:
    simulator.inject("/oauth/token", status=502)
    assert refresh(simulator).status_code == 502
    assert refresh(simulator).status_code == 200


def test_faults_through_the_control_endpoint_and_reset(simulator, token) -> None:
    posted = requests.post(simulator.url + "/_sim/faults", json={"status": 500, "times": None}, timeout=5)
    assert posted.status_code == 201
    assert list_activities(simulator, token).status_code == 500
    assert list_activities(simulator, token).status_code == 500  # times=None: until reset
    assert requests.delete(simulator.url + "/_sim/faults", timeout=5).status_code == 200
    assert list_activities(simulator, token).status_code == 200
    bad = requests.post(simulator.url + "/_sim/faults", json={"kind": "explode"}, timeout=5)
    assert bad.status_code == 400 and "kind" in bad.json()["error"]


def test_rate_limit_wins_over_a_fault_but_the_fault_is_consumed(make_simulator) -> None:
    sim = make_simulator(activities=5, read_limits=(1, 100), clock=FakeClock())
    token = access_token(sim)
    list_activities(sim, token)
    sim.inject(status=500)
    assert list_activities(sim, token).status_code == 429
    assert sim.state()["faults_pending"] == 0
