"""A few years of plausible activities (Strava JSON) for report demos and size checks; seeded, no network."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import polyline

HOME = (47.37, 8.54)  # lat, lng


def _loop(rng: random.Random, start: tuple[float, float], km: float, points: int = 60) -> list[tuple[float, float]]:
    """A wobbly closed loop of roughly `km` through `start` (radius varies smoothly with the angle)."""
    radius = km / (2 * math.pi) / 111.0  # degrees of latitude
    heading = rng.uniform(0, 2 * math.pi)
    centre = (start[0] + radius * math.sin(heading), start[1] + radius * math.cos(heading) / 0.68)
    a, b, p, q = rng.uniform(0, 0.3), rng.uniform(0, 0.2), rng.uniform(0, 6.3), rng.uniform(0, 6.3)
    out = []
    for i in range(points + 1):
        t = heading + math.pi + 2 * math.pi * i / points
        r = radius * (1 + a * math.sin(2 * (t - heading - math.pi) + p) * math.sin(t - heading - math.pi)
                      + b * math.sin(3 * (t - heading - math.pi) + q) * math.sin((t - heading - math.pi) / 2))
        out.append((centre[0] + r * math.sin(t), centre[1] + r * math.cos(t) / 0.68))
    return out


def activities(count: int = 400, years: float = 3.0, seed: int = 7, end: datetime | None = None,
               route_points: int = 60) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    end = end or datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=365 * years)
    items = []
    for i in range(count):
        when = start + (end - start) * (i + rng.random()) / count
        sport = rng.choices(["Ride", "Run", "VirtualRide", "Hike"], weights=[5, 4, 2, 1])[0]
        km = {"Ride": rng.uniform(25, 110), "Run": rng.uniform(5, 21), "VirtualRide": rng.uniform(20, 45),
              "Hike": rng.uniform(8, 20)}[sport]
        speed = {"Ride": 26, "Run": 11, "VirtualRide": 30, "Hike": 4.5}[sport] * rng.uniform(0.85, 1.15)
        moving = int(km / speed * 3600)
        climb = km * rng.uniform(3, 18)
        fitness = 1 + 0.1 * (when - start).days / 365
        home = HOME if rng.random() > 0.03 else (HOME[0] + 3.1, HOME[1] - 6.0)  # the odd trip away
        item: dict[str, Any] = {
            "id": 10_000_000 + i, "name": f"{sport} {i}", "sport_type": sport, "type": sport,
            "start_date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_date_local": (when + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timezone": "(GMT+01:00) Europe/Zurich", "utc_offset": 3600.0, "distance": km * 1000,
            "moving_time": moving, "elapsed_time": int(moving * 1.1), "total_elevation_gain": round(climb, 1),
            "average_heartrate": rng.uniform(125, 160), "athlete": {"id": 1}, "resource_state": 2,
            "map": {"id": f"a{i}", "summary_polyline": "" if sport == "VirtualRide"
                    else polyline.encode(_loop(rng, home, km, route_points))},
        }
        if sport in ("Ride", "VirtualRide"):
            watts = rng.uniform(150, 210) * fitness
            measured = sport == "VirtualRide" or rng.random() < 0.7
            item |= {"average_watts": round(watts, 1), "device_watts": measured,
                     "kilojoules": round(watts * moving / 1000, 1)}
            if measured:
                item["weighted_average_watts"] = round(watts * rng.uniform(1.03, 1.15))
        items.append(item)
    return items
