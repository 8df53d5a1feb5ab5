"""The simulator's streams agree with each activity's summary and are the same for the same seed."""

from __future__ import annotations

import math

import polyline
import pytest

from strava.simulator.data import generate_activities
from strava.simulator.streams import activity_streams

ACTIVITIES = generate_activities(120, seed=5)


def with_streams():
    return [(a, activity_streams(a, 5)) for a in ACTIVITIES if not a["manual"]]


def test_manual_entries_have_none_and_the_rest_are_deterministic() -> None:
    assert all(activity_streams(a, 5) is None for a in ACTIVITIES if a["manual"])
    a = ACTIVITIES[-1]
    assert activity_streams(a, 5) == activity_streams(a, 5) != activity_streams(a, 6)


def test_streams_follow_the_summary() -> None:
    for activity, streams in with_streams():
        time, moving = streams["time"], streams["moving"]
        assert time[0] == 0 and all(b > a for a, b in zip(time, time[1:], strict=False))
        assert time[-1] <= activity["elapsed_time"] and len(moving) == len(time)
        assert ("watts" in streams) == bool(activity.get("device_watts"))  # estimated power: no stream
        assert ("heartrate" in streams) == bool(activity.get("has_heartrate"))
        if "watts" in streams:
            ridden = [w for w, m in zip(streams["watts"], moving, strict=True) if m]
            assert sum(ridden) / len(ridden) == pytest.approx(activity["average_watts"], rel=0.02)
            assert all(w == 0 for w, m in zip(streams["watts"], moving, strict=True) if not m)
        if "distance" in streams:
            assert streams["distance"][-1] == pytest.approx(activity["distance"], abs=1)
        if "latlng" in streams:
            route = polyline.decode(activity["map"]["summary_polyline"])
            assert streams["latlng"][0] == pytest.approx(list(route[0]), abs=1e-5)
            assert streams["latlng"][-1] == pytest.approx(list(route[-1]), abs=1e-5)
        assert ("latlng" in streams) == bool(activity["map"].get("summary_polyline"))


def test_time_has_gaps_and_pauses() -> None:
    steps = [b - a for _, s in with_streams() for a, b in zip(s["time"], s["time"][1:], strict=False)]
    assert steps.count(1) > 0.9 * len(steps)
    assert {2, 3} <= set(steps) and max(steps) > 60  # skipped seconds and auto-pauses
    stopped = [m for _, s in with_streams() for m in s["moving"] if not m]
    assert stopped and not math.isnan(len(stopped))
