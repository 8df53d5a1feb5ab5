"""Fuzzing the pure validation of Strava's webhook requests: whatever arrives, an answer, never an exception."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from strava.secrets import WebhookConfig
from strava.webhook import FIELDS, MAX_EVENT_BYTES, Answer, Event, challenge, foreign, parse_event

VALID = {"object_type": "activity", "object_id": 1, "aspect_type": "create", "updates": {}, "owner_id": 2,
         "subscription_id": 3, "event_time": 4}
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
EVENTS = st.dictionaries(st.sampled_from([*FIELDS, "extra", ""]), VALUES, max_size=8).map(lambda d: VALID | d)
BODIES = st.one_of(st.binary(max_size=200), EVENTS.map(lambda d: json.dumps(d).encode()),
                   st.integers(1, 3000).map(lambda depth: b"[" * depth))


@settings(max_examples=400, deadline=None)
@given(body=BODIES)
def test_any_body_gets_an_event_or_a_4xx(body: bytes) -> None:
    result = parse_event(body)
    if isinstance(result, Answer):
        assert result.status in (400, 413) and result.body["error"]
        return
    assert isinstance(result, Event)
    data = json.loads(body)
    assert set(data) <= FIELDS and all(type(data[k]) is int and data[k] > 0 for k in ("object_id", "owner_id"))


def test_size_limit_and_examples() -> None:
    assert parse_event(json.dumps(VALID).encode()) == Event("activity", 1, "create", 2, 3, 4, {})
    assert parse_event(b" " * MAX_EVENT_BYTES + b"{}").status == 413
    deauth = parse_event(json.dumps(VALID | {"object_type": "athlete", "aspect_type": "update",
                                             "updates": {"authorized": "false"}}).encode())
    assert deauth.deauthorization and not parse_event(json.dumps(VALID).encode()).deauthorization
    assert parse_event(json.dumps(VALID | {"updates": {"private": True}}).encode()).updates == {"private": "true"}


@given(token=st.text(max_size=40), mode=st.sampled_from(["subscribe", "unsubscribe", ""]))
def test_the_challenge_is_echoed_only_for_the_stored_token(token: str, mode: str) -> None:
    config = WebhookConfig("the-stored-token-0123456789", 3, 2)
    answer = challenge({"hub.mode": mode, "hub.challenge": "XYZ42", "hub.verify_token": token}, config)
    if mode == "subscribe" and token == config.verify_token:
        assert answer == Answer(200, {"hub.challenge": "XYZ42"})
    else:
        assert answer.status in (400, 403) and "XYZ42" not in json.dumps(answer.body)


def test_no_stored_token_refuses_every_check_and_no_subscription_ignores_every_event() -> None:
    check = {"hub.mode": "subscribe", "hub.challenge": "c", "hub.verify_token": ""}
    assert challenge(check, WebhookConfig()).status == 403
    event = parse_event(json.dumps(VALID).encode())
    assert "webhook subscribe" in foreign(event, WebhookConfig("t"))
    assert foreign(event, WebhookConfig("t", 3, 2)) is None
    assert "subscription 3" in foreign(event, WebhookConfig("t", 4, 2))
    assert "athlete 2" in foreign(event, WebhookConfig("t", 3, 5))
