"""The row model: Strava's own example, missing and unknown keys, changed types, hostile input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
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


@pytest.mark.parametrize("item", [None, [], "x", {"name": "no id"}, {"id": "12"}, {"id": 1.5}, {"id": 2**70}])
def test_items_without_a_usable_id_are_refused(item):
    with pytest.raises(NotAnActivity):
        activity_row(item, NOW)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=200),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(extra=st.dictionaries(st.sampled_from(ACTIVITIES.column_names + ["map", "start_latlng", "athlete", "zz"])
                             | st.text(max_size=20), json_values, max_size=12),
       activity_id=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_any_activity_with_an_id_becomes_exactly_one_row(extra, activity_id):
    item = {**extra, "id": activity_id}
    row, _ = activity_row(item, NOW)
    assert row["id"] == activity_id
    assert json.loads(row["raw"]) == json.loads(json.dumps(item))
