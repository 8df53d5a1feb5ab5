"""The generated activities: deterministic, Strava-shaped, varied."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime

import polyline
import pytest

from strava.simulator.data import generate_activities, parse_iso

END = datetime(2026, 3, 1, tzinfo=UTC)
# The keys of the first item of Strava's example list (swagger `getLoggedInAthleteActivities`), less
# `device_name`: real listings never carry it.
EXAMPLE_KEYS = ('resource_state', 'athlete', 'name', 'distance', 'moving_time', 'elapsed_time',
    'total_elevation_gain', 'type', 'sport_type', 'workout_type', 'id', 'external_id', 'upload_id',
    'start_date', 'start_date_local', 'timezone', 'utc_offset', 'start_latlng', 'end_latlng',
    'location_city', 'location_state', 'location_country', 'achievement_count', 'kudos_count',
    'comment_count', 'athlete_count', 'photo_count', 'map', 'trainer', 'commute',
    'manual', 'private', 'flagged', 'gear_id', 'from_accepted_tag', 'average_speed', 'max_speed',
    'average_cadence', 'average_watts', 'weighted_average_watts', 'kilojoules', 'device_watts',
    'has_heartrate', 'average_heartrate', 'max_heartrate', 'max_watts', 'pr_count', 'total_photo_count',
    'has_kudoed', 'suffer_score')
WATTS_KEYS = {"average_watts", "weighted_average_watts", "max_watts", "kilojoules", "device_watts"}


@pytest.fixture(scope="module")
def acts() -> list[dict]:
    return generate_activities(2000, 7, END)


def test_same_seed_same_data_and_other_seed_differs() -> None:
    assert generate_activities(200, 3, END) == generate_activities(200, 3, END)
    assert generate_activities(200, 4, END) != generate_activities(200, 3, END)


def _midnight_utc() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def test_default_end_is_today_midnight_utc() -> None:
    before, generated, after = _midnight_utc(), generate_activities(50, 1), _midnight_utc()
    assert generated in (generate_activities(50, 1, before), generate_activities(50, 1, after))  # midnight may pass


def test_spread_back_from_end_about_one_a_day_ids_increasing(acts: list[dict]) -> None:
    starts = [parse_iso(a["start_date"]) for a in acts]
    assert starts == sorted(starts) and starts[-1] < END.timestamp()
    assert all(s + a["elapsed_time"] <= nxt for s, a, nxt in zip(starts, acts, starts[1:], strict=False))
    span_days = (starts[-1] - starts[0]) / 86400
    assert 1700 < span_days < 2300
    ids = [a["id"] for a in acts]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert sum(b - a == 1 for a, b in zip(ids, ids[1:], strict=False)) == 0  # not contiguous


def test_dense_when_many_activities_but_never_before_2009() -> None:
    acts = generate_activities(8000, 1, END)
    assert datetime.fromisoformat(acts[0]["start_date"]) > datetime(2009, 1, 1, tzinfo=UTC)


def test_rides_with_power_meter_have_the_examples_keys(acts: list[dict]) -> None:
    ride = next(a for a in acts if a["sport_type"] == "Ride" and a.get("device_watts") is True
                and a["has_heartrate"] and a.get("average_cadence"))
    assert set(EXAMPLE_KEYS) <= set(ride)
    assert isinstance(ride["athlete"]["id"], int) and ride["map"]["id"] == f"a{ride['id']}"
    assert ride["weighted_average_watts"] and ride["max_watts"] > ride["average_watts"]
    assert ride["kilojoules"] == pytest.approx(ride["average_watts"] * ride["moving_time"] / 1000, rel=0.01)
    assert ride["upload_id_str"] == str(ride["upload_id"])


def test_rides_without_power_meter_estimate_watts_without_weighted(acts: list[dict]) -> None:
    ride = next(a for a in acts if a["type"] == "Ride" and a.get("device_watts") is False)
    assert ride["average_watts"] > 0 and ride["kilojoules"] > 0
    assert "weighted_average_watts" not in ride and "max_watts" not in ride


def test_runs_omit_every_watts_key(acts: list[dict]) -> None:
    runs = [a for a in acts if a["type"] == "Run"]
    assert len(runs) > 100
    assert all(not WATTS_KEYS & set(a) for a in runs)


def test_virtual_rides_are_trainer_rides_without_gps(acts: list[dict]) -> None:
    virtual = [a for a in acts if a["sport_type"] == "VirtualRide"]
    assert virtual and all(a["trainer"] and a["start_latlng"] in (None, []) for a in virtual)
    assert all(not a["map"]["summary_polyline"] for a in virtual)
    assert all(a["device_watts"] is True for a in virtual)


def test_manual_entries_have_no_gps_heart_rate_or_upload(acts: list[dict]) -> None:
    manual = [a for a in acts if a["manual"]]
    assert len(manual) > 20
    for a in manual:
        assert a["start_latlng"] == [] and a["end_latlng"] == []
        assert a["map"] == {} or a["map"]["summary_polyline"] in (None, "")
        assert a["has_heartrate"] is False and "average_heartrate" not in a
        assert a["upload_id"] is None and "device_name" not in a
    assert {json.dumps(a["map"] == {}) for a in manual} == {"true", "false"}  # both forms appear


def test_keys_and_value_types_as_in_recorded_listings(acts: list[dict]) -> None:
    """What replaying recorded Strava listings showed, which the swagger spec does not say."""
    assert not [a for a in acts if "device_name" in a]
    assert {(a["location_city"], a["location_state"], a["location_country"]) for a in acts} == {(None, None, None)}
    by_sport: dict[str, list[dict]] = {}
    for a in acts:
        by_sport.setdefault(a["sport_type"], []).append(a)
    for sport in ("Swim", "Hike", "AlpineSki"):
        assert by_sport[sport] and all("workout_type" not in a for a in by_sport[sport]), sport
    assert all("workout_type" in a for a in by_sport["Run"] + by_sport["Ride"])
    assert {a["workout_type"] for a in by_sport["WeightTraining"]} == {30}  # undocumented, as recorded
    assert all(("suffer_score" in a) == a["has_heartrate"] for a in acts)  # left out, not null
    for key in ("max_speed", "total_elevation_gain"):
        zeros = [a[key] for a in acts if a.get(key) == 0]
        assert zeros and all(type(z) is int for z in zeros), key  # "number" in the spec, 0 on the wire
        assert all(type(a[key]) is float for a in acts if a.get(key))
    shorter = [a for a in acts if a["elapsed_time"] < a["moving_time"]]
    assert 0 < len(shorter) < len(acts) / 100 and all(a["moving_time"] - a["elapsed_time"] == 1 for a in shorter)


def test_variety_of_sports_and_visibility(acts: list[dict]) -> None:
    sports = Counter(a["sport_type"] for a in acts)
    assert {"Ride", "Run", "VirtualRide", "Hike", "Swim", "Walk", "NordicSki", "TrailRun"} <= set(sports)
    assert sports["Ride"] > sports["Swim"]
    assert any(a["type"] == "Workout" and a["sport_type"] != "Workout" for a in acts)  # newer sport types
    visibility = Counter(a["visibility"] for a in acts)
    assert visibility["only_me"] > 0 and visibility["everyone"] > visibility["followers_only"] > 0
    assert all(a["private"] == (a["visibility"] == "only_me") for a in acts)


def test_time_zones_and_local_dates(acts: list[dict]) -> None:
    zones = {a["timezone"] for a in acts}
    assert len(zones) >= 4 and "(GMT+01:00) Europe/Paris" in zones
    for a in acts:
        local = parse_iso(a["start_date_local"])  # read as if UTC: the 'Z' is misleading
        assert local - parse_iso(a["start_date"]) == a["utc_offset"]
        assert a["start_date"].endswith("Z") and a["start_date_local"].endswith("Z")
    assert sum(a["start_date"][:10] != a["start_date_local"][:10] for a in acts) > 20
    paris = {a["utc_offset"] for a in acts if a["timezone"].endswith("Paris")}
    assert paris == {3600.0, 7200.0}  # daylight saving time


def test_polylines_decode_to_routes_that_match_the_activity(acts: list[dict]) -> None:
    gps = [a for a in acts if a["map"].get("summary_polyline")]
    assert len(gps) > len(acts) / 2
    for a in gps[:300]:
        points = polyline.decode(a["map"]["summary_polyline"])
        assert len(points) >= 10
        assert list(points[0]) == a["start_latlng"] and list(points[-1]) == pytest.approx(a["end_latlng"])
        lat0, lng0 = points[0]
        assert all(abs(lat - lat0) < 1 and abs(lng - lng0) < 1.5 for lat, lng in points)  # near home
        length = sum(math.dist((la * 111_320, lo * 111_320 * math.cos(math.radians(lat0))),
                               (lb * 111_320, lb_lo * 111_320 * math.cos(math.radians(lat0))))
                     for (la, lo), (lb, lb_lo) in zip(points, points[1:], strict=False))
        assert length == pytest.approx(a["distance"], rel=0.35)


def test_some_upload_ids_exceed_int64() -> None:
    acts = generate_activities(5000, 2, END)
    big = [a for a in acts if isinstance(a.get("upload_id"), int) and a["upload_id"] >= 2**63]
    assert big and all(a["upload_id_str"] == str(a["upload_id"]) for a in big)
