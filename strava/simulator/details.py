"""GET /activities/{id} (a DetailedActivity) and /activities/{id}/laps, derived from the stored summary.

Deterministic per (seed, activity id); laps are 5 km (1 km on foot), or 10 minutes without distance, and
add up to the summary's distance and times.
"""

from __future__ import annotations

import random

from strava.simulator.data import iso_z, parse_iso
from strava.simulator.wire import NOT_FOUND, Response

DEVICES = {"VirtualRide": "Zwift", "Run": "Garmin Forerunner 955", "Ride": "Garmin Edge 1030"}


def detailed(activity: dict, seed: int) -> dict:
    rng = random.Random(f"detail-{seed}-{activity['id']}")
    gear_id = activity.get("gear_id")
    detail = dict(activity, resource_state=3, laps=laps(activity, seed),
                  description=rng.choice((None, "", "Legs felt good", "Windy 🌬️ on the way back")),
                  calories=round((activity.get("kilojoules") or activity["moving_time"] / 6) * 1.05, 1),
                  device_name=None if activity.get("manual") else DEVICES.get(str(activity.get("sport_type")),
                                                                              "Garmin fenix 7"))
    if gear_id:
        detail["gear"] = {"id": gear_id, "name": "Canyon Ultimate" if gear_id.startswith("b") else "Pegasus 40",
                          "resource_state": 2, "primary": True}
    return detail


def laps(activity: dict, seed: int) -> list[dict]:
    if activity.get("manual"):
        return []
    distance, moving, elapsed = activity.get("distance") or 0.0, activity["moving_time"], activity["elapsed_time"]
    step = (1000.0 if activity.get("sport_type") in ("Run", "TrailRun", "Walk", "Hike") else 5000.0)
    count = max(1, int(distance // step) if distance else moving // 600)
    start = parse_iso(activity["start_date"])
    out, t = [], 0
    for i in range(count):
        share = 1 / count
        lap_moving = moving // count + (moving % count if i == count - 1 else 0)
        lap_elapsed = elapsed // count + (elapsed % count if i == count - 1 else 0)
        lap = {"id": activity["id"] * 100 + i + 1, "resource_state": 2, "name": f"Lap {i + 1}",
               "activity": {"id": activity["id"], "resource_state": 1}, "lap_index": i + 1,
               "start_date": iso_z(start + t), "elapsed_time": lap_elapsed, "moving_time": lap_moving,
               "distance": round(distance * share, 1),
               "total_elevation_gain": round((activity.get("total_elevation_gain") or 0) * share, 1),
               "average_speed": round(distance * share / lap_moving, 3) if lap_moving and distance else 0}
        for key in ("average_watts", "average_heartrate", "average_cadence"):
            if key in activity:
                lap[key] = round(activity[key] * random.Random(f"lap-{seed}-{lap['id']}-{key}").uniform(0.95, 1.05), 1)
        out.append(lap)
        t += lap_elapsed
    return out


def detail_response(activity: dict | None, seed: int, laps_only: bool) -> Response:
    if activity is None:
        return Response(404, NOT_FOUND)
    return Response(200, laps(activity, seed) if laps_only else detailed(activity, seed))
