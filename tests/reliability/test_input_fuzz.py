"""Hostile input: request bodies for the function, activities from Strava.

Property tests (hypothesis) cover the pure parts (`parse_trigger`, `activity_row`); samples of the
worst cases then go end to end: bodies through the real functions-framework server with a simulator
behind it, activities through a real sync into DuckDB. Promise: never a 500 for a body, never a crash
and never a lost row for an activity that has an integer id.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strava.schema import ACTIVITIES, NotAnActivity, activity_row
from strava.trigger import MAX_BODY_BYTES, Rejection, TriggerOptions, parse_trigger
from tests.harness import assert_mirrors, assert_run_row

FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 1, 1, tzinfo=UTC)

any_text = st.text(st.characters(exclude_categories=()))  # lone surrogates too: json.loads makes them
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text.map(lambda t: t[:8]), inner, max_size=4),
    max_leaves=12,
)


def _not_json(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


def _finite(value: object) -> object:
    """The product's documented choices: non-finite floats are stored as null in `raw`, and a lone
    surrogate escape (not storable in a JSON column) as U+FFFD."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return re.sub("[\ud800-\udfff]", "\ufffd", value)
    if isinstance(value, dict):
        return {_finite(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _check_answer(answer: TriggerOptions | Rejection) -> None:
    assert isinstance(answer, TriggerOptions | Rejection)
    if isinstance(answer, Rejection):
        assert answer.status in (400, 405, 413)
        assert isinstance(answer.message, str) and len(answer.message) <= 400


# --- the function's request parsing ------------------------------------------------------------------

@FUZZ
@given(method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "post", "PATCH"]), body=st.binary(max_size=512))
def test_parse_trigger_never_raises_on_bytes(method, body):
    _check_answer(parse_trigger(method, body))


@FUZZ
@given(payload=json_values)
def test_parse_trigger_never_raises_on_json(payload):
    answer = parse_trigger("POST", json.dumps(payload).encode())
    _check_answer(answer)
    valid = isinstance(payload, dict) and set(payload) <= {"full", "allow_mass_delete"} and all(
        type(v) is bool for v in payload.values())
    assert isinstance(answer, TriggerOptions) == valid
    if valid:
        assert answer == TriggerOptions(**payload)


@pytest.mark.parametrize("body", [b"[" * 50_000, b'{"full":' * 7_000, b'[{"a":' * 9_000])
def test_deeply_nested_json_is_rejected_not_a_crash(body):
    """Fits under the 64 KiB limit, but json.loads raises RecursionError (not a ValueError)."""
    assert len(body) <= MAX_BODY_BYTES
    _check_answer(parse_trigger("POST", body))


HOSTILE_BODIES = [
    b"[", b"null", b"[]", b'"full"', b"true", b"1e999", b"\xff\xfe\x00", b"\x00" * 100, b"{}" * 3,
    b'{"full": "true"}', b'{"full": 1}', b'{"full": null}', b'{"full": true, "extra": 1}',
    b'{"__proto__": {"full": true}}', b'{"full": NaN}', b'{"FULL": true}', "{\"full\": \"\u2028\"}".encode(),
    b"full=true", b'{"full": true', b" " * (MAX_BODY_BYTES + 1), b"[" * 50_000,
]


REJECTED_KINDS = {400: "bad_request", 405: "method_not_allowed", 413: "body_too_large"}


@pytest.mark.sim(activities=20)
def test_hostile_bodies_through_the_real_server_never_500(project, function_server):
    server = function_server({k: v for k, v in project.env.items() if k.startswith("STRAVA_")})
    answers = {body[:30]: requests.post(server.url, data=body, timeout=30,
                                        headers={"Content-Type": "application/json"}) for body in HOSTILE_BODIES}
    crashed = {body: a.status_code for body, a in answers.items() if a.status_code >= 500}
    assert not crashed, f"5xx for {crashed}"
    for answer in answers.values():
        assert answer.status_code in REJECTED_KINDS
        assert answer.json() == {"status": "rejected", "error": {
            "kind": REJECTED_KINDS[answer.status_code], "message": answer.json()["error"]["message"]}}
    assert project.sim.calls == 0  # no rejected body started a sync
    for method in ("GET", "PUT", "DELETE"):
        refused = requests.request(method, server.url, timeout=30)
        assert refused.status_code == 405 and refused.headers["Allow"] == "POST"
        assert refused.json()["error"]["kind"] == REJECTED_KINDS[405]
    ok = requests.post(server.url, data=b"", timeout=30)  # an empty body is a plain incremental run
    assert ok.status_code == 200 and ok.json()["status"] == "ok"
    assert_mirrors(project)


# --- the activity row mapping ----------------------------------------------------------------------

TYPED = {c.name: c.type for c in ACTIVITIES.columns}
PYTHON_TYPES = {"INT64": int, "FLOAT64": float, "BOOL": bool, "STRING": str, "TIMESTAMP": datetime,
                "DATETIME": datetime, "JSON": str}
activity_keys = st.sampled_from([c.path[0] for c in ACTIVITIES.columns] + ["upload_id_str", "extra"]) | st.text(
    max_size=10)


@FUZZ
@given(activity_id=st.integers(-(2**63), 2**63 - 1),
       fields=st.dictionaries(activity_keys, json_values, max_size=12))
def test_activity_row_never_crashes_and_keeps_raw(activity_id, fields):
    item = {**fields, "id": activity_id}
    row, problems = activity_row(item, NOW)
    assert row["id"] == activity_id and row["synced_at"] == NOW
    raw = json.loads(row["raw"], parse_constant=_not_json)  # strict JSON: every JSON column takes it
    row["raw"].encode("utf-8")  # and valid UTF-8
    assert raw == _finite(item)  # everything Strava sent, unknown keys included; NaN/Infinity become null
    for name, value in row.items():
        assert value is None or isinstance(value, PYTHON_TYPES[TYPED[name]]), (name, value)
        if isinstance(value, int) and not isinstance(value, bool):
            assert -(2**63) <= value < 2**63
        if isinstance(value, float):
            assert not math.isnan(value)
    assert all(isinstance(p, str) and len(p) < 300 for p in problems)


@FUZZ
@given(item=json_values)
def test_activity_row_without_an_integer_id_is_not_an_activity(item):
    if isinstance(item, dict) and type(item.get("id")) is int:
        return
    if isinstance(item, dict) and isinstance(item.get("id"), float) and item["id"].is_integer():
        return  # 12.0 is accepted as id 12
    with pytest.raises(NotAnActivity):
        activity_row(item, NOW)


def _hostile_activities() -> list[dict]:
    base = "2025-06-0{}T07:00:00Z"
    return [
        {"id": 1001, "start_date": base.format(1)},  # nothing else: every column NULL
        {"id": 1002, "start_date": base.format(2), "brand_new_field": {"nested": [1, {"x": None}]},
         "sport_type": "HoverboardRide", "ключ": "значение"},
        {"id": 1003, "start_date": base.format(3), "distance": "12km", "moving_time": "3600", "trainer": "yes",
         "start_latlng": "here", "map": "none", "athlete": 5, "start_date_local": 12345, "kudos_count": 1.5,
         "average_watts": True, "upload_id": 2**80, "workout_type": [], "timezone": {"tz": 1}},
        {"id": 1004, "start_date": base.format(4), "name": "x" * 1_000_000, "description": "🚴" * 20_000},
        {"id": 1005, "start_date": base.format(5), "name": "Ride 🚴‍♀️ \u202eRTL שלום 中文 \u0000 NUL 'quote\" \\",
         "device_name": "\ufeffBOM", "gear_id": "b\u200b1"},
        {"id": 1006, "start_date": base.format(6), "distance": 1e308, "elev_high": -0.0, "kudos_count": 2**63,
         "max_speed": -1, "utc_offset": 10**30},
        {"id": 1007, "start_date": base.format(7), "name": None, "map": None, "start_latlng": None,
         "athlete": None, "sport_type": None},
        {"id": 2**62, "start_date": base.format(8), "start_latlng": [], "end_latlng": [1], "map": {}},
    ]


@pytest.mark.sim(activities=_hostile_activities())
def test_hostile_activities_end_to_end_are_all_stored(project):
    result = project.sync()
    assert_run_row(project, result, "ok")
    assert result.summary["inserted"] == 8 and result.summary["skipped"] == 0
    assert_mirrors(project)  # raw JSON identical, byte-hungry and unicode ones included
    typed = dict(project.rows("SELECT id, distance FROM activities"))
    assert typed[1003] is None and typed[1006] == 1e308
    assert project.rows("SELECT length(name) FROM activities WHERE id = 1004") == [(1_000_000,)]
    second = project.sync("--full")  # and nothing about them makes a later run fail or rewrite them
    assert_run_row(project, second, "ok")
    assert (second.summary["updated"], second.summary["deleted"]) == (0, 0)


RAW_PAGE = (
    '[{"id": 3001, "start_date": "2025-06-01T07:00:00Z", "name": "lone \\ud83d surrogate"},'
    ' {"id": 3002, "start_date": "2025-06-02T07:00:00Z", "distance": NaN, "max_speed": Infinity},'
    ' {"id": 3003, "name": "no start date"},'
    ' {"id": 3004, "start_date": "garbage", "start_date_local": "2025-13-45T99:00:00Z"},'
    ' {"id": 3005, "start_date": "2025-06-05T07:00:00Z", "name": "first"},'
    ' {"id": 3005, "start_date": "2025-06-05T07:00:00Z", "name": "second copy wins"},'
    ' {"id": 3006, "start_date": "2025-06-06T07:00:00Z", "name": "ok"},'
    ' {"id": 3007, "start_date": "2025-06-07T07:00:00Z", "kudos_count": 1e19, "moving_time": 3600.0}]'
)


@pytest.mark.sim(activities=[])
def test_hostile_json_text_end_to_end_loses_no_row(project):
    """What json.loads accepts but a typed column or a JSON column may not: a lone surrogate escape,
    NaN, Infinity, an integral float beyond INT64."""
    project.sim.inject(status=200, body=RAW_PAGE.encode(), content_type="application/json", page=1, times=None)
    result = project.sync()
    assert result.code == 0, result.summary["error"]
    assert_run_row(project, result, "ok")
    stored = project.stored()
    assert sorted(stored) == [3001, 3002, 3003, 3004, 3005, 3006, 3007]
    assert stored[3005]["name"] == "second copy wins"
    assert project.rows("SELECT kudos_count, moving_time FROM activities WHERE id = 3007") == [(None, 3600)]
    assert project.rows("SELECT count(*) FROM activities WHERE start_date IS NULL") == [(2,)]
