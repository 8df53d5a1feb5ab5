"""Hostile activities from Strava, end to end through a real sync into DuckDB: never a crash and never a
lost row for an activity that has an integer id.

The properties over any input live with their units: `activity_row` in tests/schema/test_activity_row.py,
`parse_trigger` in tests/function/test_trigger.py; hostile request bodies through the real server in
tests/function/test_function_duckdb.py.
"""

from __future__ import annotations

import pytest

from tests.harness import assert_mirrors, assert_run_row


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
