"""main.webhook through the real functions-framework server: the subscription check, and whatever
arrives as an event (hostile bodies included) gets a clear answer and changes nothing it should not."""

from __future__ import annotations

import json

import pytest
import requests


@pytest.fixture
def world(hooked, tmp_path):
    """The webhook function never opens the warehouse: one engine suffices here."""
    return hooked(f"duckdb:{tmp_path / 'strava.duckdb'}")


def _get(world, **params) -> requests.Response:
    return requests.get(world.server.url, params=params, timeout=10)


def test_the_subscription_check_echoes_the_challenge_only_for_our_verify_token(world) -> None:
    token = world.stored()["webhook_verify_token"]
    ok = _get(world, **{"hub.mode": "subscribe", "hub.challenge": "abc123", "hub.verify_token": token})
    assert ok.status_code == 200 and ok.json() == {"hub.challenge": "abc123"}
    assert ok.headers["Content-Type"] == "application/json"
    wrong = _get(world, **{"hub.mode": "subscribe", "hub.challenge": "abc123", "hub.verify_token": token[:-1] + "x"})
    assert wrong.status_code == 403 and "abc123" not in wrong.text
    assert _get(world, **{"hub.mode": "subscribe", "hub.challenge": "abc"}).status_code == 403  # no token
    assert _get(world, **{"hub.verify_token": token}).status_code == 400  # no challenge
    assert _get(world, **{"hub.challenge": "abc", "hub.verify_token": "guess"}).status_code == 403  # no mode either
    assert token not in world.server.output()  # the token is never logged


def _event(world, **fields) -> dict:
    stored = world.stored()
    return {"object_type": "activity", "object_id": world.sim.activities[0]["id"], "aspect_type": "update",
            "updates": {"title": "x"}, "owner_id": stored["athlete_id"],
            "subscription_id": stored["webhook_subscription_id"], "event_time": 1_700_000_000} | fields


HOSTILE = [
    (b"{", 400), (b"[]", 400), (b"null", 400), (b'"event"', 400), (b"[" * 4000, 400), (b"\xff\xfe", 400),
    (b"x" * 5000, 413),
]
HOSTILE_FIELDS = [
    {"object_id": "123"}, {"object_id": -1}, {"object_id": True}, {"object_id": 2**64}, {"object_id": 1.5},
    {"owner_id": None}, {"event_time": "now"}, {"object_type": "club"}, {"aspect_type": "destroy"},
    {"updates": "title"}, {"updates": {"title": "t" * 1001}}, {"updates": {"k": {"nested": 1}}},
    {"updates": {str(i): "v" for i in range(11)}}, {"extra_field": 1}, {"__proto__": {}},
]


def test_malformed_and_oversized_events_are_refused_and_nothing_is_spooled(world) -> None:
    calls = world.sim.calls
    for body, status in HOSTILE:
        assert world.post(body).status_code == status, body[:20]
    for fields in HOSTILE_FIELDS:
        answer = world.post(json.dumps(_event(world, **fields)).encode())
        assert answer.status_code == 400, fields
        assert answer.json()["error"]
    missing = _event(world)
    del missing["owner_id"]
    assert world.post(json.dumps(missing).encode()).status_code == 400
    assert requests.put(world.server.url, data=b"{}", timeout=10).status_code == 405
    assert world.spooled() == []
    assert world.sim.calls == calls  # the function never called Strava


def test_spoofed_events_get_200_so_strava_stops_retrying_but_are_not_spooled(world) -> None:
    stored = world.stored()
    for fields in ({"subscription_id": stored["webhook_subscription_id"] + 1}, {"owner_id": stored["athlete_id"] + 1}):
        answer = world.post(json.dumps(_event(world, **fields)).encode())
        assert answer.status_code == 200 and answer.json() == {"status": "ignored"}
    assert world.spooled() == []
    ignored = [line for line in world.server.json_logs() if "ignored" in line.get("message", "")]
    assert len(ignored) == 2 and {line["severity"] for line in ignored} == {"WARNING"}


def test_a_valid_event_needs_no_signature_header(world) -> None:
    """Strava does not sign events: a check of `X-Strava-Signature` would reject every real one."""
    answer = world.post(json.dumps(_event(world)).encode())
    assert answer.status_code == 200 and answer.json() == {"status": "queued"}
    (task,) = world.spooled()
    assert task["body"]["webhook_event"] == _event(world)
    assert task["name"] == f"strava-activity-{_event(world)['object_id']}-update-1700000000"
