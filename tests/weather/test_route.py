"""Golden values for the route and wind math, computed by hand (docs/dashboards.md has the formulas)."""

from __future__ import annotations

import math

import pytest

from strava.weather.hourly import HourlySeries, summarize
from strava.weather.route import (
    bearing_deg,
    distance_m,
    headwind,
    sample_route,
    sample_track,
    wind_components,
    wind_from,
)

T0 = 1_700_000_000.0  # a start, epoch seconds


def steady(speed: float, from_deg: float, hours: int = 48) -> HourlySeries:
    """The same wind every hour from T0 - 1 h."""
    times = [T0 - 3600 + 3600 * h for h in range(hours)]
    return HourlySeries(times, [10.0] * hours, [speed] * hours, [from_deg] * hours, [speed + 2] * hours,
                        [0.6] * hours)


def ride(points, moving_s: float, wind: HourlySeries) -> dict:
    samples = sample_route(points, T0, moving_s)
    figures = summarize(samples, [wind.at(s.epoch) for s in samples])
    assert figures is not None
    return figures


@pytest.mark.parametrize(("a", "b", "expected"), [
    ((0, 0), (1, 0), 0.0),  # due north
    ((0, 0), (0, 1), 90.0),  # due east along the equator
    ((1, 0), (0, 0), 180.0),
    ((0, 1), (0, 0), 270.0),
    # tan(bearing) = sin(1°)cos(1°) / sin(1°) = cos(1°) = 0.9998477 -> 44.99564°
    ((0, 0), (1, 1), 44.99564),
    # east at 60°N starts 0.43303° north of east: atan(cos60 sin60 (1 - cos1°) / (sin1° cos60))
    ((60, 0), (60, 1), 89.56697),
])
def test_bearings_computed_by_hand(a, b, expected):
    assert bearing_deg(a, b) == pytest.approx(expected, abs=1e-4)


def test_distance_of_one_degree_of_latitude():
    assert distance_m((45, 7), (46, 7)) == pytest.approx(6_371_008.8 * math.pi / 180, rel=1e-9)


@pytest.mark.parametrize(("from_deg", "bearing", "head", "cross"), [
    (0, 0, 5.0, 0.0),  # riding north into a north wind
    (0, 180, -5.0, 0.0),  # the same wind from behind
    (90, 0, 0.0, 5.0),  # an east wind on a northbound rider: from the right
    (270, 0, 0.0, -5.0),
    (359, 1, 5 * math.cos(math.radians(358)), 5 * math.sin(math.radians(358))),  # across 0/360°
    (360, 0, 5.0, 0.0),  # Open-Meteo writes north as 360 too
    (1, 359, 5 * math.cos(math.radians(2)), 5 * math.sin(math.radians(2))),
])
def test_headwind_and_crosswind_components(from_deg, bearing, head, cross):
    h, c = headwind(5.0, from_deg, bearing)
    assert (h, c) == (pytest.approx(head, abs=1e-12), pytest.approx(cross, abs=1e-12))


def test_wind_components_round_trip_and_north_is_north():
    u, v = wind_components(5.0, 0.0)  # from the north: the air moves south
    assert (u, v) == (pytest.approx(0.0, abs=1e-12), pytest.approx(-5.0))
    speed, direction = wind_from(*wind_components(7.0, 250.0))
    assert (speed, direction) == (pytest.approx(7.0), pytest.approx(250.0))


def test_wind_is_interpolated_on_components_across_north():
    """350° then 10° an hour later: half way it blows from the north (an angle average says south)."""
    series = HourlySeries([T0, T0 + 3600], [0.0, 0.0], [5.0, 5.0], [350.0, 10.0], [None, None], [0.0, 0.0])
    cond = series.at(T0 + 1800)
    speed, direction = cond.wind
    assert min(direction, 360 - direction) == pytest.approx(0.0, abs=1e-9)
    assert speed == pytest.approx(5 * math.cos(math.radians(10)))  # the vector mean of the two hours


def test_samples_once_a_minute_of_moving_time_spread_along_the_route():
    samples = sample_route([(45.0, 7.0), (45.1, 7.0)], T0, 1800)
    assert len(samples) == 30
    assert [s.epoch - T0 for s in samples[:2]] == [30.0, 90.0]
    assert samples[0].lat == pytest.approx(45.0 + 0.1 * 0.5 / 30)
    assert samples[-1].lat == pytest.approx(45.0 + 0.1 * 29.5 / 30)
    assert sample_route([(45.0, 7.0), (45.0, 7.0)], T0, 1800) == []  # no length: nothing to sample


def test_due_north_line_in_a_steady_north_wind_has_a_5_ms_headwind():
    figures = ride([(45.0, 7.0), (45.1, 7.0)], 1800, steady(5.0, 0.0))
    assert figures["headwind_ms"] == pytest.approx(5.0, abs=1e-6)
    assert figures["crosswind_ms"] == pytest.approx(0.0, abs=1e-6)
    assert figures["headwind_share"] == 1.0
    assert figures["headwind_sq_ms2"] == pytest.approx(25.0, abs=1e-5)
    assert figures["wind_from_deg"] == pytest.approx(0.0, abs=1e-6)
    assert figures["precipitation_mm"] == pytest.approx(0.6 * 0.5)  # 0.6 mm/h for half an hour
    assert figures["samples"] == 30


def test_out_and_back_cancels_the_mean_but_not_the_square():
    figures = ride([(45.0, 7.0), (45.1, 7.0), (45.0, 7.0)], 3600, steady(5.0, 360.0))
    assert figures["headwind_ms"] == pytest.approx(0.0, abs=1e-6)
    assert figures["headwind_share"] == 0.5
    assert figures["headwind_sq_ms2"] == pytest.approx(25.0, abs=1e-5)


def test_square_loop_half_head_and_tail_half_crosswind():
    lng = 0.05 / math.cos(math.radians(45.025))  # about as long east-west as north-south
    square = [(45.0, 7.0), (45.05, 7.0), (45.05, 7.0 + lng), (45.0, 7.0 + lng), (45.0, 7.0)]
    figures = ride(square, 3600, steady(5.0, 0.0))
    assert figures["headwind_ms"] == pytest.approx(0.0, abs=0.05)
    assert figures["crosswind_ms"] == pytest.approx(2.5, abs=0.05)  # |c| = 5 on the east and west legs
    assert figures["headwind_share"] == pytest.approx(0.25, abs=1 / 60)


def line(a: tuple[float, float], b: tuple[float, float], steps: int) -> list[tuple[float, float]]:
    """`steps` + 1 points from a to b (a track recorded once a second: one step per second)."""
    return [(a[0] + (b[0] - a[0]) * i / steps, a[1] + (b[1] - a[1]) * i / steps) for i in range(steps + 1)]


def test_a_track_weighs_each_minute_where_it_was_ridden_not_each_metre():
    """1 km up north in 10 minutes, the same km back in 2: ten minutes into the wind, two with it."""
    up, down = line((45.0, 7.0), (45.009, 7.0), 600), line((45.009, 7.0), (45.0, 7.0), 120)[1:]
    points = up + down
    samples = sample_track(points, list(range(len(points))), None, T0)
    wind = steady(5.0, 0.0)
    figures = summarize(samples, [wind.at(s.epoch) for s in samples])
    assert [round(s.bearing) for s in samples] == [0] * 10 + [180] * 2
    assert figures is not None and figures["headwind_ms"] == pytest.approx((10 * 5 - 2 * 5) / 12)
    assert ride(points, 720, wind)["headwind_ms"] == pytest.approx(0.0, abs=1e-6)  # the polyline way: even


def test_a_track_skips_pauses_and_times_samples_when_they_were_ridden():
    """Ten minutes out, a two-hour stop, ten minutes back: recorded as stopped samples, or as one jump in
    time whose first point after the stop is flagged moving (auto-pause), or with no `moving` stream."""
    out, back = line((45.0, 7.0), (45.01, 7.0), 600), line((45.01, 7.0), (45.0, 7.0), 600)[1:]
    stopped = [(45.01, 7.0)] * 7200
    recorded = sample_track(out + stopped + back, range(8401), [True] * 601 + [False] * 7200 + [True] * 600, T0)
    jump = [*range(601), *range(7800, 8400)]  # the first point after the stop: 1.9 m in 2 hours
    paused = sample_track(out + back, jump, [True] * 1201, T0)
    unmarked = sample_track(out + stopped + back, range(8401), None, T0)
    expected = [30 + 60 * k for k in range(10)] + [7830 + 60 * k for k in range(10)]
    for samples in (recorded, paused, unmarked):
        assert [s.epoch - T0 for s in samples] == pytest.approx(expected)
        assert [round(s.bearing) for s in samples] == [0] * 10 + [180] * 10
        assert {s.seconds for s in samples} == {60.0}


def test_a_track_without_length_or_moving_time_has_no_samples():
    still = [(45.0, 7.0)] * 100
    assert sample_track(still, list(range(100)), None, T0) == []
    assert sample_track(line((45.0, 7.0), (45.01, 7.0), 99), list(range(100)), [False] * 100, T0) == []
    assert sample_track(line((45.0, 7.0), (45.0001, 7.0), 99), list(range(100)), None, T0) == []  # 0.1 m/s
