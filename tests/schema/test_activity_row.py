"""The row model: Strava's own example, missing and unknown keys, changed types, and properties over any input."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from strava.schema import ACTIVITIES, JSON, NotAnActivity, activity_row
from tests.paths import EXAMPLE_ACTIVITIES

EXAMPLES = json.loads(EXAMPLE_ACTIVITIES.read_text())
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_stravas_example_list_maps_with_typed_columns():
    row, problems = activity_row(EXAMPLES[0], NOW)
    assert problems == []
    assert row["id"] == 154504250376823 and row["athlete_id"] == 134815
    assert row["upload_id"] == "987654321234567891234"  # beyond INT64: kept as text
    assert row["start_date"] == datetime(2018, 5, 2, 12, 15, 9, tzinfo=UTC)
    assert row["start_date_local"] == datetime(2018, 5, 2, 5, 15, 9)  # the misleading Z is dropped
    assert row["start_lat"] is None and row["summary_polyline"] is None
    assert row["sport_type"] == "MountainBikeRide" and row["average_watts"] == 175.3
    assert json.loads(row["raw"]) == EXAMPLES[0]
    assert set(row) == set(ACTIVITIES.column_names)


def test_missing_keys_are_null_and_unknown_keys_stay_in_raw():
    item = {"id": 7, "map": {}, "start_latlng": [], "brand_new_field": {"x": 1}, "sport_type": "Padel"}
    row, problems = activity_row(item, NOW)
    assert problems == []
    assert row["sport_type"] == "Padel"
    assert all(row[c.name] is None for c in ACTIVITIES.columns
               if c.name not in ("id", "sport_type", "raw", "synced_at") and c.type != JSON)
    assert json.loads(row["raw"])["brand_new_field"] == {"x": 1}


def test_a_changed_type_gives_null_and_a_problem_not_a_crash():
    row, problems = activity_row({"id": 8, "distance": "12.3km", "moving_time": True, "start_date": 5}, NOW)
    assert row["distance"] is None and row["moving_time"] is None and row["start_date"] is None
    assert len(problems) == 3 and any("distance" in p for p in problems)


def test_values_json_storage_refuses_still_give_a_row():
    """json.loads accepts NaN, Infinity and lone surrogate escapes; DuckDB/BigQuery JSON does not."""
    item = json.loads('{"id": 9, "name": "bad \\ud83d emoji", "distance": NaN, "max_speed": Infinity, '
                      '"moving_time": 1e30, "athlete": {"id": 123.0}}')
    row, problems = activity_row(item, NOW)
    assert row["name"] == "bad ? emoji" and row["athlete_id"] == 123
    assert row["distance"] is None and row["max_speed"] is None and row["moving_time"] is None
    assert len(problems) == 3
    raw = json.loads(row["raw"])
    assert raw["name"] == "bad \ufffd emoji" and raw["distance"] is None
    row["raw"].encode("utf-8")  # storable text


# --- properties over any input (hypothesis) -------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
any_text = st.text(st.characters(exclude_categories=()))  # lone surrogates too: json.loads makes them
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text.map(lambda t: t[:8]), inner, max_size=4),
    max_leaves=12,
)
PYTHON_TYPES = {"INT64": int, "FLOAT64": float, "BOOL": bool, "STRING": str, "TIMESTAMP": datetime,
                "DATETIME": datetime, "JSON": str}
TYPED = {c.name: c.type for c in ACTIVITIES.columns}
activity_keys = st.sampled_from([c.path[0] for c in ACTIVITIES.columns] + ["upload_id_str", "extra"]) | st.text(
    max_size=10)


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


@FUZZ
@given(activity_id=st.integers(-(2**63), 2**63 - 1), fields=st.dictionaries(activity_keys, json_values, max_size=12))
def test_any_activity_with_an_id_becomes_one_typed_row_keeping_everything_in_raw(activity_id, fields):
    item = {**fields, "id": activity_id}
    row, problems = activity_row(item, NOW)
    assert set(row) == set(ACTIVITIES.column_names)
    assert row["id"] == activity_id and row["synced_at"] == NOW
    raw = json.loads(row["raw"], parse_constant=_not_json)  # strict JSON: every JSON column takes it
    row["raw"].encode("utf-8")  # and valid UTF-8
    assert raw == _finite(item)  # everything Strava sent, unknown keys included; NaN/Infinity become null
    for name, value in row.items():
        assert value is None or isinstance(value, PYTHON_TYPES[TYPED[name]]), (name, value)
        if isinstance(value, int) and not isinstance(value, bool):
            assert -(2**63) <= value < 2**63
        if isinstance(value, float):
            assert math.isfinite(value)
    assert all(isinstance(p, str) and len(p) < 300 for p in problems)


def _usable_id(item: object) -> bool:
    """An integer id within INT64 (12.0 counts as 12; a bool does not)."""
    value = item.get("id") if isinstance(item, dict) else None
    if type(value) is float and value.is_integer():
        value = int(value)
    return type(value) is int and -(2**63) <= value < 2**63


@FUZZ
@given(item=json_values | st.dictionaries(st.just("id") | any_text.map(lambda t: t[:8]), json_values, max_size=4))
@example(item=None)
@example(item=[])
@example(item="x")
@example(item={"name": "no id"})
@example(item={"id": "12"})
@example(item={"id": 1.5})
@example(item={"id": True})
@example(item={"id": 2**70})
@example(item={"id": 12.0})
def test_only_an_item_with_a_usable_integer_id_is_an_activity(item):
    if _usable_id(item):
        assert activity_row(item, NOW)[0]["id"] == int(item["id"])
    else:
        with pytest.raises(NotAnActivity):
            activity_row(item, NOW)
