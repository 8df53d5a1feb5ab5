"""Weather along a route: sample the route once a minute of moving time, then wind relative to the rider.

Pure functions (no I/O). Formulas and their sources: docs/dashboards.md ("Weather along the route").
Angles are degrees clockwise from north; wind direction is where the wind comes FROM (meteorological).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
SAMPLE_SECONDS = 60.0  # one sample per minute of moving time
BASELINE_M = 80.0  # bearing baseline, within the 50-100 m: long enough to smooth GPS jitter
MOVING_MS = 0.5  # a recorded step slower than this is a pause: an auto-pause jump in time, or standing still
HEADWIND_SHARE_MS = 2.0  # a sample "rides into the wind" above this headwind

Point = tuple[float, float]  # (lat, lng) in degrees


@dataclass(frozen=True)
class Sample:
    epoch: float  # UTC seconds: when the rider was there (polyline: start + moving time elapsed)
    lat: float
    lng: float
    bearing: float  # degrees, direction of travel
    seconds: float = SAMPLE_SECONDS  # the moving time it stands for


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: Point, b: Point) -> float:
    """Initial great-circle bearing from a to b, in [0, 360)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dl = math.radians(b[1] - a[1])
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def wind_components(speed: float, from_deg: float) -> tuple[float, float]:
    """(u, v): eastward and northward components of the air's motion (it blows TOWARDS from+180)."""
    rad = math.radians(from_deg)
    return -speed * math.sin(rad), -speed * math.cos(rad)


def wind_from(u: float, v: float) -> tuple[float, float]:
    """(speed, from_deg in [0, 360)) of the components: the inverse of wind_components."""
    return math.hypot(u, v), math.degrees(math.atan2(-u, -v)) % 360.0


def headwind(speed: float, from_deg: float, bearing: float) -> tuple[float, float]:
    """(headwind, crosswind): h = V cos(from - bearing), positive in the rider's face, negative = tailwind;
    crosswind = V sin(from - bearing), positive from the rider's right."""
    rel = math.radians(from_deg - bearing)
    return speed * math.cos(rel), speed * math.sin(rel)


def sample_route(points: Sequence[Point], start_epoch: float, moving_time_s: float) -> list[Sample]:
    """One sample per minute of moving time, spread evenly along the route (constant speed assumed:
    the summary polyline has no timestamps). Empty when the route has no length."""
    cum = _cumulative(points)
    if not cum or cum[-1] <= 0:
        return []
    moving = max(float(moving_time_s or 0), SAMPLE_SECONDS)
    n = max(1, round(moving / SAMPLE_SECONDS))
    return [_sample(points, cum, (i + 0.5) / n * cum[-1], start_epoch + (i + 0.5) / n * moving, moving / n)
            for i in range(n)]


def sample_track(points: Sequence[Point], seconds: Sequence[float], moving: Sequence[bool] | None,
                 start_epoch: float) -> list[Sample]:
    """One sample per minute of moving time of a recorded track, where and when it was ridden: `seconds`
    from the start at each point, `moving[i]` whether the step into point i was moving (None: unknown).
    A step counts as moving time when so flagged and at MOVING_MS or faster (an auto-pause's jump in time
    is flagged moving but covers next to no ground). A slow climb weighs more than the same distance
    descended fast, and a sample after a pause falls in the hour it was ridden. Empty when the track has
    no length or no moving time."""
    cum = _cumulative(points)
    if not cum or cum[-1] <= 0:
        return []
    out, ridden, due = [], 0.0, SAMPLE_SECONDS / 2  # samples at the middle of each moving minute
    for i in range(1, len(points)):
        step = seconds[i] - seconds[i - 1]
        if step <= 0 or (moving is not None and not moving[i]) or cum[i] - cum[i - 1] < MOVING_MS * step:
            continue
        while ridden + step >= due:
            frac = (due - ridden) / step
            out.append(_sample(points, cum, cum[i - 1] + frac * (cum[i] - cum[i - 1]),
                               start_epoch + seconds[i - 1] + frac * step, SAMPLE_SECONDS))
            due += SAMPLE_SECONDS
        ridden += step
    return out


def _sample(points: Sequence[Point], cum: list[float], at: float, epoch: float, seconds: float) -> Sample:
    """The sample `at` metres along the route, its bearing over BASELINE_M centred on it."""
    behind, ahead = max(0.0, at - BASELINE_M / 2), min(cum[-1], at + BASELINE_M / 2)
    lat, lng = _position(points, cum, at)
    return Sample(epoch, lat, lng, bearing_deg(_position(points, cum, behind), _position(points, cum, ahead)),
                  seconds)


def _cumulative(points: Sequence[Point]) -> list[float]:
    cum = [0.0] if points else []
    for a, b in zip(points, points[1:], strict=False):
        cum.append(cum[-1] + distance_m(a, b))
    return cum


def _position(points: Sequence[Point], cum: list[float], at: float) -> Point:
    """The point `at` metres along the route (linear between vertices: they are metres apart)."""
    lo, hi = 0, len(cum) - 1
    while hi - lo > 1:  # the last vertex at or before `at`
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if cum[mid] <= at else (lo, mid)
    a, b = points[lo], points[hi]
    span = cum[hi] - cum[lo]
    t = 0.0 if span <= 0 else min(1.0, max(0.0, (at - cum[lo]) / span))
    return a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
