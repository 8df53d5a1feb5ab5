"""Streams consistent with an activity's summary, generated on request (never stored: 50,000 activities).

`activity_streams(activity, seed)` is deterministic per (seed, activity id). The `time` stream steps 1 s
with occasional 2-3 s steps, and the difference between elapsed and moving time becomes pauses: some
recorded as stopped samples (`moving` false, speed and power 0), some as a jump in `time` (auto-pause).
Streams exist only for what the summary says was recorded: `watts` with a power meter (`device_watts`;
Strava keeps estimated power to itself), `heartrate` with `has_heartrate`, `cadence` with
`average_cadence`, `temp` with `average_temp`, `latlng` along the summary polyline, `altitude` and
`grade_smooth` with elevation. Averages over moving samples match the summary's.
"""

from __future__ import annotations

import bisect
import math
import random
from itertools import accumulate

import polyline

from strava.simulator.wire import NOT_FOUND, Response


def activity_streams(activity: dict, seed: int) -> dict[str, list] | None:
    """Stream type -> data, or None for an activity Strava has no streams for (manual, nothing recorded)."""
    moving_s, elapsed_s = activity.get("moving_time") or 0, activity.get("elapsed_time") or 0
    if activity.get("manual") or moving_s < 60 or not activity.get("upload_id"):
        return None
    rng = random.Random(f"streams-{seed}-{activity['id']}")
    time, moving = _clock(rng, moving_s, max(elapsed_s, moving_s))
    n = len(time)
    streams: dict[str, list] = {"time": time, "moving": moving}
    speed = activity.get("average_speed") or 0.0
    effort = _wave(rng, n, 0.12)  # how hard each sample is (mean 1), shared by speed, power and heart rate
    if speed:
        velocity = [round(speed * e, 2) if m else 0.0 for e, m in zip(effort, moving, strict=True)]
        steps = [v * dt for v, dt in zip(velocity, _steps(time), strict=True)]
        scale = (activity.get("distance") or 0.0) / (sum(steps) or 1.0)
        streams["velocity_smooth"] = velocity
        streams["distance"] = [round(d * scale, 1) for d in accumulate(steps)]
    if activity.get("device_watts") and activity.get("average_watts"):
        streams["watts"] = _matched(rng, effort, moving, activity["average_watts"], 0.25, integer=True)
    if activity.get("has_heartrate") and activity.get("average_heartrate"):
        streams["heartrate"] = _matched(rng, _lagged(effort), None, activity["average_heartrate"], 0.06,
                                        integer=True)
    if activity.get("average_cadence"):
        streams["cadence"] = _matched(rng, effort, moving, activity["average_cadence"], 0.05, integer=True)
    if "average_temp" in activity:
        base = float(activity["average_temp"])
        streams["temp"] = [round(base + 1.5 * math.sin(i / max(n, 1) * math.pi)) for i in range(n)]
    route = (activity.get("map") or {}).get("summary_polyline")
    if route and "distance" in streams:
        streams["latlng"] = _along(polyline.decode(route), streams["distance"])
    if "elev_low" in activity and "distance" in streams:
        streams["altitude"], streams["grade_smooth"] = _terrain(activity, streams["distance"])
    return streams


def streams_response(activity: dict | None, seed: int, query: dict[str, str]) -> Response:
    """The answer to GET /activities/{id}/streams: keyed by type with key_by_type=true, else a list."""
    streams = activity_streams(activity, seed) if activity else None
    if streams is None:
        return Response(404, NOT_FOUND)
    wanted = set(filter(None, query.get("keys", "").split(","))) | {"distance"}  # Strava always adds distance
    body = {key: {"data": data, "series_type": "distance" if "distance" in streams else "time",
                  "original_size": len(data), "resolution": "high"}
            for key, data in streams.items() if key in wanted}
    if query.get("key_by_type") == "true":
        return Response(200, body)
    return Response(200, [{"type": key, **value} for key, value in body.items()])


def _clock(rng: random.Random, moving_s: int, elapsed_s: int) -> tuple[list[int], list[bool]]:
    """Sample times (s from start) and the moving flag: pauses are stops or jumps in time."""
    pause_total = elapsed_s - moving_s
    pauses = sorted(rng.sample(range(60, max(moving_s - 60, 61)), k=min(3, max(moving_s - 120, 0))))
    shares = [rng.random() for _ in pauses]
    lengths = [int(pause_total * s / (sum(shares) or 1)) for s in shares]
    time, moving, t, ridden = [], [], 0, 0
    for at, length in zip(pauses + [moving_s], lengths + [0], strict=True):
        while ridden < at:
            time.append(t)
            moving.append(True)
            step = 1 if rng.random() < 0.97 else rng.choice((2, 3))  # some devices skip a second now and then
            t, ridden = t + step, ridden + step
        if length >= 2 and rng.random() < 0.5:  # a stop at the lights, recorded
            for _ in range(length):
                time.append(t)
                moving.append(False)
                t += 1
        else:
            t += length  # auto-pause: nothing recorded
    return time, moving


def _steps(time: list[int]) -> list[int]:
    return [0] + [b - a for a, b in zip(time, time[1:], strict=False)]


def _wave(rng: random.Random, n: int, spread: float) -> list[float]:
    """A smooth random effort around 1: slow swings plus a few hard minutes."""
    phase, period = rng.uniform(0, 6.3), rng.uniform(600, 1800)
    efforts = [(rng.randrange(n), rng.randrange(60, 600)) for _ in range(max(1, n // 3600))]
    out = []
    for i in range(n):
        value = 1 + spread * math.sin(phase + 2 * math.pi * i / period)
        if any(start <= i < start + length for start, length in efforts):
            value += 0.35
        out.append(max(value, 0.1))
    return out


def _lagged(effort: list[float]) -> list[float]:
    """Heart rate follows effort with a ~30 s lag and drifts up slowly (what decoupling measures)."""
    out, level = [], effort[0] if effort else 1.0
    for i, e in enumerate(effort):
        level += (e - level) / 30
        out.append(level * (1 + 0.04 * i / max(len(effort), 1)))
    return out


def _matched(rng: random.Random, shape: list[float], moving: list[bool] | None, mean: float, noise: float,
             integer: bool = False) -> list:
    """`shape` with noise, scaled so the mean over moving samples is `mean`; stopped samples are 0."""
    raw = [s * (1 + rng.gauss(0, noise)) if moving is None or moving[i] else 0.0 for i, s in enumerate(shape)]
    counted = [v for i, v in enumerate(raw) if moving is None or moving[i]]
    scale = mean / (sum(counted) / len(counted)) if counted and sum(counted) else 0.0
    return [max(round(v * scale), 0) if integer else round(v * scale, 1) for v in raw]


def _along(points: list[tuple[float, float]], distance: list[float]) -> list[list[float]]:
    """The position at each sample's distance, interpolated along the route's points."""
    if len(points) < 2:
        return [[points[0][0], points[0][1]] for _ in distance] if points else []
    legs = [math.dist(a, b) for a, b in zip(points, points[1:], strict=False)]
    cumulative = [0.0, *accumulate(legs)]
    total = (distance[-1] or 1.0) if distance else 1.0
    out = []
    for d in distance:
        at = d / total * cumulative[-1]
        i = min(max(bisect.bisect_right(cumulative, at) - 1, 0), len(legs) - 1)
        f = (at - cumulative[i]) / legs[i] if legs[i] else 0.0
        (lat0, lng0), (lat1, lng1) = points[i], points[i + 1]
        out.append([round(lat0 + f * (lat1 - lat0), 6), round(lng0 + f * (lng1 - lng0), 6)])
    return out


def _terrain(activity: dict, distance: list[float]) -> tuple[list[float], list[float]]:
    """Altitude rising and falling between elev_low and elev_high, and its smoothed grade in %."""
    low = float(activity["elev_low"])
    high = float(activity.get("elev_high") or low)
    total = distance[-1] or 1.0
    altitude = [round(low + (high - low) * math.sin(math.pi * d / total) ** 2, 1) for d in distance]
    grade = [0.0]
    for i in range(1, len(distance)):
        j = max(i - 10, 0)
        run = distance[i] - distance[j]
        grade.append(round(100 * (altitude[i] - altitude[j]) / run, 1) if run > 1 else grade[-1])
    return altitude, grade
