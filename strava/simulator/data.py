"""Deterministic, Strava-shaped test data: SummaryActivity dicts, the athlete, encoded polylines.

`generate_activities(n, seed, end)` returns the same list for the same arguments. Activities are
built newest first walking back from `end`, then returned oldest first, ids increasing with the
start date. Routes are drawn from a small pool of pre-encoded shapes per seed: a Google polyline
encodes the first point absolutely and the rest as deltas, so a shape's delta string can be reused
after any start point. That keeps 50,000 activities fast while every polyline stays valid and
matches `start_latlng`, `end_latlng` and (roughly) `distance`.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polyline

DAY = 86400
MAX_SPAN_DAYS = 5000  # ~13.7 years: beyond ~5,000 activities they get denser instead of older
E5 = 100_000  # polyline precision (5 decimals)
METRES_PER_E5_LAT = 1.1132  # metres per 1e-5 degree of latitude


# --- places and time zones ------------------------------------------------------------------

@dataclass(frozen=True)
class Place:  # listings carry no place names: Strava sends location_city/state/country as null
    lat: float
    lng: float
    tz: str
    tz_label: str  # Strava shows the zone's standard offset, while utc_offset follows DST
    elevation: float
    hilliness: float  # metres of climbing per km


HOME = Place(45.1885, 5.7245, "Europe/Paris", "(GMT+01:00) Europe/Paris", 212, 12)
TRIPS = (
    Place(37.7749, -122.4194, "America/Los_Angeles", "(GMT-08:00) America/Los_Angeles", 20, 10),
    Place(40.7128, -74.0060, "America/New_York", "(GMT-05:00) America/New_York", 10, 3),
    Place(35.6762, 139.6503, "Asia/Tokyo", "(GMT+09:00) Asia/Tokyo", 40, 5),
    Place(-33.8688, 151.2093, "Australia/Sydney", "(GMT+10:00) Australia/Sydney", 30, 6),
    Place(12.9716, 77.5946, "Asia/Kolkata", "(GMT+05:30) Asia/Kolkata", 920, 4),
    Place(47.5615, -52.7126, "America/St_Johns", "(GMT-03:30) America/St_Johns", 60, 8),
    Place(51.5074, -0.1278, "Europe/London", "(GMT+00:00) Europe/London", 15, 3),
)


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # no tz database: fall back to the standard offset
        return None


def _label_offset(label: str) -> int:
    sign = -1 if label[4] == "-" else 1
    return sign * (int(label[5:7]) * 3600 + int(label[8:10]) * 60)


def utc_offset(place: Place, utc_epoch: int) -> int:
    """Seconds east of UTC at that instant, DST included."""
    zone = _zone(place.tz)
    if zone is None:
        return _label_offset(place.tz_label)
    off = datetime.fromtimestamp(utc_epoch, zone).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def iso_z(epoch: int) -> str:
    """Strava's timestamp text; for start_date_local pass the local epoch (the 'Z' is misleading)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_iso(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


# --- sports ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sport:
    key: str
    sport_type: str
    type: str
    weight: float
    route: str | None  # shape pool; None = no GPS
    speed: tuple[float, float]  # m/s
    distance: tuple[float, float]  # km, for activities without a route
    power: str | None = None  # "device", "estimated" or None (no watts keys at all)
    gear: str | None = None  # "bike" or "shoe"
    cadence: tuple[float, float] | None = None
    trainer: bool = False
    workout_types: tuple[int | None, ...] = (None,)  # (): Strava sends no workout_type key at all
    device: str | None = "Garmin Edge 1030"  # drives heart rate and external_id (listings omit device_name)
    temp: bool = False
    manual: bool = False


SPORTS = (
    Sport("ride_pm", "Ride", "Ride", 26, "bike", (6.5, 9.0), (0, 0), "device", "bike", (80, 92),
          workout_types=(None, 10, 10, 11, 12), temp=True),
    Sport("ride_est", "Ride", "Ride", 8, "bike", (5.5, 7.5), (0, 0), "estimated", "bike",
          workout_types=(None, 10), device="Strava iPhone App"),
    Sport("mtb", "MountainBikeRide", "Ride", 3, "mtb", (3.5, 5.5), (0, 0), "estimated", "bike"),
    Sport("gravel", "GravelRide", "Ride", 3, "bike", (5.0, 7.0), (0, 0), "device", "bike", (75, 88)),
    Sport("ebike", "EBikeRide", "EBikeRide", 0.7, "bike", (6.0, 8.0), (0, 0), None, "bike"),
    Sport("virtual", "VirtualRide", "VirtualRide", 9, None, (7.0, 10.0), (20, 70), "device", "bike",
          (82, 95), trainer=True, workout_types=(None, 10, 12), device="Zwift"),
    Sport("run", "Run", "Run", 22, "run", (2.6, 3.8), (0, 0), None, "shoe", (80, 92),
          workout_types=(0, 0, 0, 1, 2, 3), device="Garmin Forerunner 955", temp=True),
    Sport("trail", "TrailRun", "Run", 4, "trail", (1.8, 2.8), (0, 0), None, "shoe", (76, 86),
          workout_types=(0, 2), device="Garmin Forerunner 955"),
    Sport("walk", "Walk", "Walk", 7, "walk", (1.1, 1.5), (0, 0), device="Strava iPhone App"),
    Sport("hike", "Hike", "Hike", 4, "trail", (0.8, 1.3), (0, 0), gear="shoe", workout_types=(),
          device="Garmin fenix 7"),
    Sport("swim", "Swim", "Swim", 3, None, (0.6, 1.0), (1.0, 4.0), workout_types=(),
          device="Garmin Forerunner 955"),
    Sport("nordic", "NordicSki", "NordicSki", 1.5, "ski", (3.0, 5.0), (0, 0), device="Garmin fenix 7"),
    Sport("alpine", "AlpineSki", "AlpineSki", 0.5, "ski", (4.0, 9.0), (0, 0), workout_types=(),
          device="Garmin fenix 7"),
    Sport("weights", "WeightTraining", "WeightTraining", 3, None, (0, 0), (0, 0), workout_types=(30,),
          device="Garmin fenix 7"),  # 30: undocumented, as recorded
    Sport("yoga", "Yoga", "Yoga", 1.5, None, (0, 0), (0, 0), device=None),
    Sport("rowing", "Rowing", "Rowing", 0.8, "run", (3.0, 4.2), (0, 0), device="Garmin fenix 7"),
    Sport("pickleball", "Pickleball", "Workout", 0.4, None, (0, 0), (0, 0), device="Garmin fenix 7"),
    Sport("manual", "Run", "Run", 4, None, (2.5, 3.5), (3, 15)),  # manual entries, see _manual()
)
SPORT_WEIGHTS = [s.weight for s in SPORTS]
SPORT_CUMULATIVE = list(itertools.accumulate(SPORT_WEIGHTS))
# Typed in by hand: no GPS, heart rate, device or upload; distance as entered.
MANUAL_SPORTS = tuple(Sport("manual", st, t, 0, None, (v, v), (0, 0), device=None, manual=True, workout_types=w)
                      for st, t, v, w in (("Run", "Run", 2.8, (0, None)), ("Ride", "Ride", 6.5, (None,)),
                                          ("Workout", "Workout", 0.0, (None,)), ("Hike", "Hike", 1.1, ()),
                                          ("Walk", "Walk", 1.3, (None,))))

# Route pools: (shapes per pool, min km, max km, out_and_back share)
ROUTES = {"bike": (48, 20, 140, 0.2), "mtb": (12, 10, 45, 0.1), "run": (32, 4, 25, 0.4),
          "trail": (16, 5, 30, 0.5), "walk": (16, 2, 9, 0.3), "ski": (10, 8, 35, 0.3)}
CUSTOM_NAMES = {
    "Ride": ["Col de Porte", "Vercors loop", "Coffee ride ☕", "Recovery spin", "Club ride",
             "Tour du lac", "Sweet spot intervals", "Chartreuse 3 cols"],
    "Run": ["Tempo run", "Long run with Sam", "Parkrun", "Hill repeats", "Easy 10k", "Bastille stairs"],
    "VirtualRide": ["Zwift - Watopia", "Zwift - Group Ride: Tempo", "🚴 Zwift - Makuri Islands",
                    "TrainerRoad: Pettit"],
}


def _part_of_day(hour: int) -> str:
    if 5 <= hour < 11:
        return "Morning"
    if 11 <= hour < 14:
        return "Lunch"
    if 14 <= hour < 18:
        return "Afternoon"
    if 18 <= hour < 22:
        return "Evening"
    return "Night"


# --- route shapes ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    deltas: str  # encoded deltas after the first point
    end: tuple[int, int]  # last point relative to the first, 1e-5 degrees
    metres: float


def _shape(rng: random.Random, km: float, out_and_back: bool) -> Shape:
    """A wandering loop (or out-and-back) that starts at (0, 0), in 1e-5 degrees."""
    n = max(12, min(90, int(km * 1.5)))
    if out_and_back:
        heading, pts, (x, y) = rng.uniform(0, 2 * math.pi), [(0.0, 0.0)], (0.0, 0.0)
        step = km * 1000 / n
        for _ in range(n // 2):
            heading += rng.gauss(0, 0.35)
            x, y = x + step * math.cos(heading), y + step * math.sin(heading)
            pts.append((x, y))
        pts += [(px + rng.uniform(-8, 8), py + rng.uniform(-8, 8)) for px, py in reversed(pts[:-1])]
    else:
        radius = km * 1000 / (2 * math.pi)
        harmonics = [(rng.uniform(0, 0.25), k, rng.uniform(0, 2 * math.pi)) for k in (2, 3, 5)]
        turn, start_angle = rng.choice((-1, 1)), rng.uniform(0, 2 * math.pi)

        def at(theta: float) -> tuple[float, float]:
            r = radius * (1 + sum(a * math.sin(k * theta + p) for a, k, p in harmonics))
            return r * math.cos(start_angle + turn * theta), r * math.sin(start_angle + turn * theta)

        x0, y0 = at(0.0)
        pts = [(x - x0, y - y0) for x, y in (at(2 * math.pi * i / n) for i in range(n + 1))]
    return _shape_from_points(pts)


def _commute_shape(rng: random.Random) -> Shape:
    """Home to work, ~9 km north-east with a wiggle."""
    n, pts = 24, []
    for i in range(n + 1):
        f = i / n
        pts.append((f * 6500 + rng.uniform(-150, 150) * math.sin(math.pi * f),
                    f * 6000 + rng.uniform(-150, 150) * math.sin(math.pi * f)))
    pts[0] = (0.0, 0.0)
    return _shape_from_points(pts)


def _shape_from_points(pts: list[tuple[float, float]]) -> Shape:
    cos_lat = math.cos(math.radians(45))
    ints = [(round(y / METRES_PER_E5_LAT), round(x / (METRES_PER_E5_LAT * cos_lat))) for x, y in pts]
    metres = sum(math.dist(a, b) for a, b in zip(pts, pts[1:], strict=False))
    points = [(lat / E5, lng / E5) for lat, lng in ints]
    deltas = polyline.encode(points)[len(polyline.encode(points[:1])):]  # what follows the first point
    return Shape(deltas, ints[-1], metres)


def _route_pools(rng: random.Random) -> dict[str, list[Shape]]:
    pools = {}
    for name, (count, lo, hi, oab) in ROUTES.items():
        pools[name] = [_shape(rng, rng.uniform(lo, hi), rng.random() < oab) for _ in range(count)]
    pools["commute"] = [_commute_shape(rng) for _ in range(3)]
    return pools


# --- the athlete ----------------------------------------------------------------------------

def generate_athlete(seed: int) -> dict:
    """A DetailedAthlete-like profile; gear ids match the activities' gear_id."""
    rng = random.Random(f"athlete-{seed}")
    athlete_id = rng.randrange(1_000_000, 90_000_000)
    first, last = rng.choice([("Marianne", "Teutenberg"), ("Jules", "Moreau"), ("Ada", "Nakamura"),
                              ("Sam", "O'Neil"), ("Zoë", "Lefèvre")])
    bikes = [{"id": f"b{rng.randrange(10**7, 10**8)}", "primary": i == 0, "name": name,
              "resource_state": 2, "distance": 0} for i, name in enumerate(("Canyon Ultimate", "Gravel"))]
    shoes = [{"id": f"g{rng.randrange(10**7, 10**8)}", "primary": True, "name": "Pegasus 40",
              "resource_state": 2, "distance": 0}]
    return {
        "id": athlete_id, "username": f"{first.lower()}_{athlete_id % 1000}", "resource_state": 3,
        "firstname": first, "lastname": last, "bio": None, "city": "Grenoble",
        "state": "Auvergne-Rhône-Alpes", "country": "France", "sex": rng.choice("MF"), "premium": True,
        "summit": True, "created_at": "2012-03-14T08:21:45Z", "updated_at": "2026-01-02T19:32:20Z",
        "badge_type_id": 1, "weight": round(rng.uniform(55, 85), 1), "ftp": rng.randrange(200, 320),
        "profile_medium": "avatar/athlete/medium.png", "profile": "avatar/athlete/large.png",
        "friend": None, "follower": None, "follower_count": rng.randrange(5, 300),
        "friend_count": rng.randrange(5, 300), "mutual_friend_count": 0, "athlete_type": 0,
        "date_preference": "%m/%d/%Y", "measurement_preference": "meters", "clubs": [],
        "bikes": bikes, "shoes": shoes,
    }


def summary_athlete(athlete: dict) -> dict:
    keys = ("id", "username", "resource_state", "firstname", "lastname", "city", "state", "country",
            "sex", "premium", "summit", "created_at", "updated_at", "profile_medium", "profile")
    return {k: athlete[k] for k in keys} | {"resource_state": 2}


# --- activities -----------------------------------------------------------------------------

def _id_at(epoch: int) -> int:
    """Plausible Strava id for an upload at that time (~120M in 2012, ~16G in 2026)."""
    years = (epoch - 1_514_764_800) / (365.25 * DAY)  # since 2018-01-01
    return int(1.0e9 * math.exp(0.35 * years))


class _Rng(random.Random):
    """random.Random with cheaper picks: choice() and randrange() cost ~1 µs, a lot at 50,000 activities."""

    def pick(self, seq):
        return seq[int(self.random() * len(seq))]

    def below(self, lo: int, hi: int) -> int:
        return lo + int(self.random() * (hi - lo))


class ActivityFactory:
    """Builds single activities; `generate_activities` and the server's add_activity share it.

    The shape follows recorded Strava listings (1,144 real activities): no `device_name`, null
    `location_*`, no `workout_type` key for some sports and no `suffer_score` key without heart rate,
    a zero written as the integer 0, an undocumented workout type (30), rarely `elapsed < moving`.
    """

    def __init__(self, seed: int) -> None:
        self.rng = _Rng(seed)
        self.athlete = generate_athlete(seed)
        self.pools = _route_pools(random.Random(f"routes-{seed}"))
        self.bikes = [b["id"] for b in self.athlete["bikes"]]
        self.shoes = [s["id"] for s in self.athlete["shoes"]]

    def pick_sport(self) -> Sport:
        sport = SPORTS[bisect.bisect(SPORT_CUMULATIVE, self.rng.random() * SPORT_CUMULATIVE[-1])]
        return self.rng.pick(MANUAL_SPORTS) if sport.key == "manual" else sport

    def local_hour(self) -> float:
        r, u = self.rng.random(), self.rng.uniform
        if r < 0.35:
            return u(6, 9.5)
        if r < 0.50:
            return u(11.8, 13)
        if r < 0.62:
            return u(14, 17)
        if r < 0.93:
            return u(17, 20.5)
        return u(21, 23.9)  # late: the UTC date often differs from the local one

    def make(self, start: int, activity_id: int, sport_type: str | None = None) -> dict:
        """A new activity at home starting at `start` (epoch s), e.g. a fresh or late upload."""
        sport = next((s for s in SPORTS + MANUAL_SPORTS if s.sport_type == sport_type), None)
        sport = sport or self.pick_sport()
        return self.build(sport, HOME, start + utc_offset(HOME, start), activity_id)[0]

    def build(self, sport: Sport, place: Place, local_guess: int, activity_id: int = 0,
              end_before: int | None = None) -> tuple[dict, int]:
        """One SummaryActivity and its start epoch.

        `local_guess` is the wanted local wall clock written as an epoch; with `end_before` the
        activity moves earlier so that it ends before that instant (its newer neighbour's start).
        """
        rng = self.rng
        offset = utc_offset(place, local_guess - _label_offset(place.tz_label))
        commute = sport.key in ("ride_pm", "ride_est") and place is HOME and rng.random() < 0.12
        shape = self._shape_for(sport, commute)
        distance, moving, elapsed, speed = self._effort(sport, shape)
        start = local_guess - offset
        if end_before is not None:
            start = min(start, end_before - elapsed - rng.below(300, 1800))
        a = self._head(activity_id, sport, place, start, offset, distance, moving, elapsed,
                       (local_guess % DAY) // 3600)
        if sport.workout_types:
            a["workout_type"] = rng.pick(sport.workout_types)
        a["commute"] = commute
        if sport.manual:
            self._manual(a, activity_id)
            return a, start
        self._gps(a, place, shape, activity_id)
        self._gear_and_speed(a, sport, speed, distance, moving)
        if sport.power:
            self._power(a, sport.power, moving)
        self._heart(a, sport)
        self._elevation(a, place, shape, distance)
        self._upload(a, sport, activity_id, start)
        return a, start

    def _shape_for(self, sport: Sport, commute: bool) -> Shape | None:
        if commute:
            return self.rng.pick(self.pools["commute"])
        return self.rng.pick(self.pools[sport.route]) if sport.route else None

    def _effort(self, sport: Sport, shape: Shape | None) -> tuple[float, int, int, float]:
        """distance (m), moving and elapsed time (s), speed (m/s)."""
        rng = self.rng
        if sport.manual:
            moving = rng.pick((1800, 2700, 3600, 5400))
            return round(sport.speed[0] * moving / 100) * 100.0, moving, moving, sport.speed[0]
        speed = rng.uniform(*sport.speed)
        if shape is not None:
            distance = round(shape.metres * rng.uniform(1.01, 1.06), 1)
        elif sport.distance[1]:
            distance = round(rng.uniform(*sport.distance) * 1000, 1)
        else:
            distance = 0.0
        moving = int(distance / speed) if distance else rng.below(1800, 5400)
        elapsed = moving if sport.trainer else int(moving * rng.uniform(1.0, 1.3))
        if rng.random() < 0.003:
            elapsed = moving - 1  # Strava's own rounding: recorded runs 1 s shorter elapsed than moving
        return distance, moving, elapsed, speed

    def _head(self, activity_id: int, sport: Sport, place: Place, start: int, offset: int,
              distance: float, moving: int, elapsed: int, hour: int) -> dict:
        rng = self.rng
        if sport.type in CUSTOM_NAMES and rng.random() < 0.2:
            name = rng.pick(CUSTOM_NAMES[sport.type])
        else:
            name = sys.intern(f"{_part_of_day(hour)} {'Workout' if sport.type == 'Workout' else sport.sport_type}")
        if rng.random() < 0.03:
            private = rng.random() < 0.8
            visibility = "only_me" if private else "followers_only"
        else:
            private, visibility = False, "everyone" if rng.random() < 0.85 else "followers_only"
        return {
            "resource_state": 2,
            "athlete": {"id": self.athlete["id"], "resource_state": 1},
            "name": name, "distance": distance, "moving_time": moving, "elapsed_time": elapsed,
            "total_elevation_gain": 0, "type": sport.type, "sport_type": sport.sport_type,
            "id": activity_id,
            "start_date": iso_z(start), "start_date_local": iso_z(start + offset),
            "timezone": place.tz_label, "utc_offset": float(offset),
            "location_city": None, "location_state": None, "location_country": None,
            "achievement_count": rng.pick((0, 0, 0, 1, 2, 5)), "kudos_count": rng.below(0, 25),
            "comment_count": rng.pick((0, 0, 0, 1, 2)),
            "athlete_count": rng.below(2, 12) if rng.random() < 0.15 else 1,
            "photo_count": 0, "map": {}, "trainer": sport.trainer, "commute": False, "manual": False,
            "private": private, "visibility": visibility, "flagged": False,
        }

    def _gps(self, a: dict, place: Place, shape: Shape | None, activity_id: int) -> None:
        map_id = f"a{activity_id}"
        if shape is None:
            # Trainer / pool / gym: no GPS, written in the forms Strava uses.
            a["map"] = {"id": map_id, "summary_polyline": self.rng.pick((None, "")), "resource_state": 2}
            a["start_latlng"] = a["end_latlng"] = self.rng.pick((None, []))
            return
        lat0 = round(place.lat * E5) + self.rng.below(-300, 300)
        lng0 = round(place.lng * E5) + self.rng.below(-300, 300)
        route = polyline.encode([(lat0 / E5, lng0 / E5)]) + shape.deltas
        a["map"] = {"id": map_id, "summary_polyline": route, "resource_state": 2}
        a["start_latlng"] = [lat0 / E5, lng0 / E5]
        a["end_latlng"] = [(lat0 + shape.end[0]) / E5, (lng0 + shape.end[1]) / E5]

    def _gear_and_speed(self, a: dict, sport: Sport, speed: float, distance: float, moving: int) -> None:
        rng = self.rng
        gear = self.bikes if sport.gear == "bike" else self.shoes if sport.gear == "shoe" else None
        a["gear_id"] = rng.pick(gear) if gear and rng.random() < 0.9 else None
        a["average_speed"] = round(distance / moving, 3) if moving and distance else 0.0
        a["max_speed"] = round(speed * rng.uniform(1.4, 2.2), 1) if distance else 0  # a zero is written 0
        if sport.cadence:
            a["average_cadence"] = round(rng.uniform(*sport.cadence), 1)
        if sport.temp and rng.random() < 0.7:
            a["average_temp"] = rng.below(-2, 32)

    def _power(self, a: dict, power: str, moving: int) -> None:
        rng = self.rng
        watts = round(rng.uniform(120, 250), 1)
        a["average_watts"] = watts
        if power == "device":
            a["max_watts"] = int(watts * rng.uniform(2.5, 4.5))
            a["weighted_average_watts"] = int(watts * rng.uniform(1.02, 1.15))
        a["kilojoules"] = round(watts * moving / 1000, 1)
        a["device_watts"] = power == "device"

    def _heart(self, a: dict, sport: Sport) -> None:
        rng = self.rng
        has_hr = sport.device is not None and rng.random() < 0.85
        a["has_heartrate"] = has_hr
        if has_hr:
            avg = round(rng.uniform(105, 165), 1)
            a["average_heartrate"] = avg
            a["max_heartrate"] = float(int(avg + rng.uniform(12, 35)))
        a["heartrate_opt_out"] = False
        a["display_hide_heartrate_option"] = has_hr

    def _elevation(self, a: dict, place: Place, shape: Shape | None, distance: float) -> None:
        rng = self.rng
        if shape is None and not a["trainer"]:
            return  # pool swims, gym sessions: no elevation keys
        gain = round(distance / 1000 * place.hilliness * rng.uniform(0.3, 2.5), 1)
        a["total_elevation_gain"] = gain or 0
        low = round(place.elevation + rng.uniform(-20, 30), 1)
        a["elev_high"] = round(low + gain * rng.uniform(0.2, 0.6), 1)
        a["elev_low"] = low

    def _upload(self, a: dict, sport: Sport, activity_id: int, start: int) -> None:
        rng = self.rng
        upload_id = activity_id + rng.below(10**8, 10**9)
        if rng.random() < 0.0015:  # Strava's own example has one beyond INT64
            upload_id = rng.randrange(10**20, 10**21)
        a["upload_id"] = upload_id
        a["upload_id_str"] = str(upload_id)
        if sport.device == "Zwift":
            a["external_id"] = f"zwift-activity-{rng.getrandbits(60)}.fit"
        elif sport.device and sport.device.startswith("Garmin"):
            a["external_id"] = f"garmin_ping_{upload_id % 10**12}"
        else:
            a["external_id"] = f"{rng.getrandbits(64):016X}-{start}.fit"
        a["from_accepted_tag"] = False
        a["pr_count"] = rng.pick((0, 0, 0, 0, 1, 3)) if sport.route else 0
        a["total_photo_count"] = rng.pick((0, 0, 0, 1, 3))
        a["has_kudoed"] = False
        if rng.random() < 0.01:
            a["hide_from_home"] = True  # only present when set
        if a["has_heartrate"]:  # without heart rate Strava leaves the key out
            a["suffer_score"] = float(int(a["moving_time"] / 60 * rng.uniform(0.3, 1.6)))

    def _manual(self, a: dict, activity_id: int) -> None:
        rng = self.rng
        a["name"] = rng.pick((a["name"], f"{a['sport_type']} (entered by hand)", "Gym"))
        a["manual"] = True
        a["map"] = rng.pick(({"id": f"a{activity_id}", "summary_polyline": None, "resource_state": 2},
                             {"id": f"a{activity_id}", "summary_polyline": "", "resource_state": 2}, {}))
        a["start_latlng"], a["end_latlng"] = [], []
        a["gear_id"] = None
        a["average_speed"] = round(a["distance"] / a["moving_time"], 3)
        a["max_speed"] = 0
        a.update(has_heartrate=False, heartrate_opt_out=False, display_hide_heartrate_option=False,
                 upload_id=None, external_id=None, from_accepted_tag=False, pr_count=0,
                 total_photo_count=0, has_kudoed=False)


def default_end(now: float | None = None) -> datetime:
    """Today 00:00 UTC, so a seed gives the same data all day."""
    now = time.time() if now is None else now
    return datetime.fromtimestamp(int(now // DAY) * DAY, UTC)


def _as_utc(end: datetime | None) -> datetime:
    if end is None:
        return default_end()
    return end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)


def generate_activities(n: int, seed: int, end: datetime | None = None) -> list[dict]:
    """`n` activities ending before `end` (default today 00:00 UTC), oldest first.

    About one a day on average (denser beyond MAX_SPAN_DAYS activities), ids increasing with the
    start date and never contiguous. Deterministic for (n, seed, end).
    """
    if n <= 0:
        return []
    end_epoch = int(_as_utc(end).timestamp())
    factory = ActivityFactory(seed)
    rng = factory.rng
    mean_gap = min(n, MAX_SPAN_DAYS) / n  # days
    out: list[dict] = []
    position = 0.0  # days before `end`, continuous
    next_start = end_epoch  # the newer neighbour's start
    next_id = _id_at(end_epoch) + rng.below(0, 10**6)
    place, trip_left = HOME, 0
    for _ in range(n):
        position -= mean_gap * rng.expovariate(1.0)
        if trip_left == 0:
            place = rng.pick(TRIPS) if rng.random() < 0.015 else HOME
            trip_left = rng.below(3, 12) if place is not HOME else 1
        trip_left -= 1
        local_guess = end_epoch + math.floor(position) * DAY + int(factory.local_hour() * 3600)
        a, start = factory.build(factory.pick_sport(), place, local_guess, end_before=next_start)
        next_id = min(_id_at(start) + rng.below(0, 1000), next_id - rng.below(7, 5000))
        _set_id(a, next_id)
        next_start = start
        out.append(a)
    out.reverse()
    return out


def _set_id(a: dict, activity_id: int) -> None:
    """Give a built activity its final id; the upload id keeps its gap above it."""
    old = a["id"]
    a["id"] = activity_id
    upload = a.get("upload_id")
    if isinstance(upload, int) and upload < 2**63:
        a["upload_id"] = upload - old + activity_id
        a["upload_id_str"] = str(a["upload_id"])
    if a.get("map"):
        a["map"]["id"] = f"a{activity_id}"
