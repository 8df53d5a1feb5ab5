"""`python -m strava webhook subscribe|status|unsubscribe` against the simulator's push subscriptions,
whose callback check reaches the real webhook function."""

from __future__ import annotations

import json

import pytest
import requests

from strava import cli


@pytest.fixture
def world(hooked, tmp_path):
    return hooked(f"duckdb:{tmp_path / 'strava.duckdb'}")


def _run(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = cli.main(["webhook", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out.splitlines()[-1]) if out.strip() else None), err


def test_status_shows_both_sides_and_never_the_token(world, capsys) -> None:
    code, status, _ = _run(capsys, "status")
    assert code == 0
    assert [s["id"] for s in status["strava"]] == [world.sim.push.current.id]
    assert status["stored"] == {"subscription_id": world.sim.push.current.id, "athlete_id": world.sim.athlete["id"],
                                "verify_token": "set"}
    assert world.stored()["webhook_verify_token"] not in json.dumps(status)


def test_subscribing_again_adopts_the_subscription_for_the_same_url(world, capsys) -> None:
    first = world.sim.push.current.id
    code, result, _ = _run(capsys, "subscribe", "--callback-url", world.server.url)
    assert code == 0 and result["created"] is False and result["subscription_id"] == first
    code, _, err = _run(capsys, "subscribe", "--callback-url", "https://elsewhere.example/hook")
    assert code == 2 and "webhook unsubscribe" in err and world.sim.push.current.id == first


def test_unsubscribe_deletes_it_on_strava_and_forgets_the_id(world, capsys) -> None:
    old = world.sim.push.current.id
    code, result, _ = _run(capsys, "unsubscribe")
    assert code == 0 and result["deleted"] == [old]
    assert world.sim.push.current is None and "webhook_subscription_id" not in world.stored()
    assert world.stored()["athlete_id"] == world.sim.athlete["id"]  # the rest stays
    answer = requests.post(f"{world.sim.url}/_sim/webhook/events", json={"object_id": 1}, timeout=10)
    assert answer.status_code == 400 and "no push subscription" in answer.json()["error"]


def test_strava_refuses_a_callback_that_does_not_answer_its_check(world, capsys) -> None:
    _run(capsys, "unsubscribe")
    code, _, err = _run(capsys, "subscribe", "--callback-url", "http://127.0.0.1:9/")  # nothing listens
    assert code == 2 and "Strava refused the subscription" in err and "within 2 s" in err
    assert world.sim.push.current is None and "webhook_subscription_id" not in world.stored()
    assert world.stored()["webhook_verify_token"] not in err


def test_the_simulator_refuses_wrong_app_credentials(world) -> None:
    url = f"{world.sim.api_url}/push_subscriptions"
    answer = requests.get(url, params={"client_id": world.sim.client_id, "client_secret": "wrong"}, timeout=10)
    assert answer.status_code == 401 and answer.json()["errors"][0]["field"] == "client_id"
    answer = requests.post(url, data={"client_id": world.sim.client_id, "client_secret": world.sim.client_secret,
                                      "callback_url": world.server.url, "verify_token": "x"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == "already exists"
