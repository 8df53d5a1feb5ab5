"""A small hand-written activity set and the answers every view must give, computed in plain Python.

The rows go in through the warehouses' own write paths (Strava JSON -> schema.activity_row -> upsert),
and the expectations below share no code with the SQL: the training load even uses the recursion
itself, where the views use its closed form.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

FOOT, RIDE = 1.0, 4.0  # default flat km per 100 m climbed (EffortFactors)
FOOT_SPORTS = {"Run", "TrailRun", "VirtualRun", "Walk", "Hike", "Snowshoe", "BackcountrySki"}


def _activity(id_: int, sport: str, local: str, utc: str, distance: float, moving: int, climb: float,
              **extra: Any) -> dict[str, Any]:
    """A Strava SummaryActivity as /athlete/activities returns it (local time with its misleading Z)."""
    return {"id": id_, "name": f"{sport} {id_}", "sport_type": sport, "type": sport, "resource_state": 2,
            "start_date": utc, "start_date_local": local, "distance": distance, "moving_time": moving,
            "elapsed_time": moving + 300, "total_elevation_gain": climb, "athlete": {"id": 7},
            "map": {"id": f"a{id_}", "summary_polyline": "_p~iF~ps|U_ulLnnqC_mqNvxq`@"}, **extra}


ACTIVITIES = [
    # Q1 2024: a measured ride before any FTP was set (no TSS), the base for "same quarter a year earlier"
    _activity(10, "Ride", "2024-03-10T09:00:00Z", "2024-03-10T08:00:00Z", 50000, 6000, 500,
              average_watts=170.0, weighted_average_watts=185.0, kilojoules=1020.0, device_watts=True),
    # Wednesday 2025-01-01: its Monday week starts 2024-12-30, so it counts for 2024's year-to-date
    _activity(11, "Run", "2025-01-01T10:00:00Z", "2025-01-01T09:00:00Z", 8000, 2700, 50,
              average_heartrate=148.0, max_heartrate=171.0),
    # the week of Monday 2025-03-03
    _activity(1, "Ride", "2025-03-03T08:00:00Z", "2025-03-03T07:00:00Z", 40000, 5400, 400,
              average_watts=180.0, weighted_average_watts=200.0, kilojoules=972.0, device_watts=True,
              average_heartrate=140.0, max_heartrate=170.0),
    _activity(2, "Run", "2025-03-05T18:00:00Z", "2025-03-05T17:00:00Z", 10000, 3000, 120,
              average_heartrate=150.0, max_heartrate=180.0),
    # estimated power (device_watts false): shown, flagged, kept out of the power averages and TSS
    _activity(3, "Ride", "2025-03-08T10:00:00Z", "2025-03-08T09:00:00Z", 60000, 9000, 800,
              average_watts=150.0, kilojoules=1350.0, device_watts=False),
    # Sunday 23:30 in Los Angeles is Monday 06:30 UTC: it belongs to the week of 2025-03-03
    _activity(4, "Ride", "2025-03-09T23:30:00Z", "2025-03-10T06:30:00Z", 30000, 3600, 100,
              average_watts=200.0, weighted_average_watts=220.0, device_watts=True,
              timezone="(GMT-08:00) America/Los_Angeles", utc_offset=-25200.0),
    # the week of 2025-03-10 stays empty; FTP changes on 2025-03-15
    _activity(5, "Ride", "2025-03-19T07:00:00Z", "2025-03-19T06:00:00Z", 70000, 7200, 900,
              average_watts=210.0, weighted_average_watts=230.0, kilojoules=1500.0, device_watts=True),
    # Q2 2025
    _activity(6, "Hike", "2025-04-02T09:00:00Z", "2025-04-02T07:00:00Z", 12000, 14400, 700),
    _activity(7, "VirtualRide", "2025-04-03T19:00:00Z", "2025-04-03T17:00:00Z", 30000, 3600, 300,
              average_watts=190.0, weighted_average_watts=205.0, device_watts=True),
]

# (effective_from, ftp, weight_kg); the weight-only row leaves the FTP of 2025-03-15 in force
SETTINGS = [
    (date(2025, 1, 1), 250.0, 72.0),
    (date(2025, 3, 15), 260.0, None),
    (date(2025, 3, 17), None, 71.0),
]


# Power curves from streams (activity_power_curve), by activity: {duration_s: watts}. Rides 4 and 5 tie at
# 5 min in Q1 2025 (the earlier one, 4, holds the best); ride 3 has estimated power: no streams curve.
CURVES = {
    10: {60: 400.0, 180: 330.0, 300: 300.0, 600: 270.0, 1200: 250.0},
    1: {60: 420.0, 180: 340.0, 300: 305.0, 600: 280.0, 1200: 262.0},
    4: {60: 380.0, 180: 345.0, 300: 310.0},
    5: {60: 450.0, 180: 335.0, 300: 310.0, 600: 290.0, 1200: 270.0},
    7: {60: 410.0, 180: 350.0, 300: 320.0, 600: 285.0, 1200: 255.0},
}
# Stream-based training stress (activity_stream_metrics.stress), replacing the summary estimate.
STREAM_STRESS = {1: 95.0, 10: 60.0}
TRIMP = {2: 70.0, 1: 120.0}  # heart-rate stress: counts for run 2 (no power), not for ride 1 (stress wins)
ZONES = {f"power_z{i}_s": 600 * i for i in range(1, 8)}  # seconds in each power zone, for the report


def utc_today() -> date:
    return datetime.now(UTC).date()


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _ftp_on(d: date) -> float | None:
    known = [(since, ftp) for since, ftp, _ in SETTINGS if ftp is not None and since <= d]
    return max(known)[1] if known else None


@dataclass(frozen=True)
class Fact:
    id: int
    sport_type: str
    local_date: date
    distance_km: float
    moving_time_s: int
    elevation_m: float
    equivalent_flat_km: float
    avg_watts: float | None
    weighted_avg_watts: float | None
    device_watts: bool
    work_kj: float | None
    ftp: float | None
    intensity_factor: float | None
    tss: float | None


def fact(a: dict[str, Any]) -> Fact:
    local = date.fromisoformat(a["start_date_local"][:10])
    sport = a["sport_type"]
    factor = FOOT if sport in FOOT_SPORTS else RIDE if sport.endswith("Ride") else 0.0
    aw, np_, dev = a.get("average_watts"), a.get("weighted_average_watts"), a.get("device_watts", False)
    ftp = _ftp_on(local)
    if_ = np_ / ftp if dev and np_ is not None and ftp is not None else None
    work = a.get("kilojoules")
    if work is None and aw is not None:
        work = aw * a["moving_time"] / 1000
    return Fact(
        id=a["id"], sport_type=sport, local_date=local, distance_km=a["distance"] / 1000,
        moving_time_s=a["moving_time"], elevation_m=a["total_elevation_gain"],
        equivalent_flat_km=a["distance"] / 1000 + a["total_elevation_gain"] / 100 * factor,
        avg_watts=aw, weighted_avg_watts=np_, device_watts=dev, work_kj=work, ftp=ftp,
        intensity_factor=if_,
        tss=None if if_ is None else a["moving_time"] * np_ * if_ / (ftp * 3600) * 100,
    )


FACTS = [fact(a) for a in ACTIVITIES]


def _buckets() -> list[str]:
    return sorted({f.sport_type for f in FACTS} | {"all"})


def _in(bucket: str, f: Fact) -> bool:
    return bucket in ("all", f.sport_type)


def _time_weighted(facts: list[Fact], attr: str) -> tuple[float, float]:
    """(watt-seconds, seconds) over activities with a power meter and the value present."""
    pairs = [(getattr(f, attr), f.moving_time_s) for f in facts
             if f.device_watts and getattr(f, attr) is not None]
    return sum(w * s for w, s in pairs), sum(s for _, s in pairs)


def _ratio(num_den: tuple[float, float]) -> float | None:
    return num_den[0] / num_den[1] if num_den[1] else None


def _sum_pairs(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def expected_weekly(today: date) -> list[dict[str, Any]]:
    first = min(monday(f.local_date) for f in FACTS)
    last = max(monday(today), max(monday(f.local_date) for f in FACTS))
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    rows = []
    for bucket in _buckets():
        history: list[dict[str, Any]] = []
        for week in weeks:
            fs = [f for f in FACTS if _in(bucket, f) and monday(f.local_date) == week]
            power = _time_weighted(fs, "avg_watts")
            weighted = _time_weighted(fs, "weighted_avg_watts")
            row = {
                "week_start": week, "sport_type": bucket, "activity_count": len(fs),
                "distance_km": sum(f.distance_km for f in fs),
                "moving_time_h": sum(f.moving_time_s for f in fs) / 3600,
                "elevation_m": sum(f.elevation_m for f in fs),
                "avg_watts": _ratio(power), "weighted_avg_watts": _ratio(weighted),
                "equivalent_flat_km": sum(f.equivalent_flat_km for f in fs),
                "work_kj": sum(f.work_kj or 0 for f in fs),
                "_power": power, "_weighted": weighted,
            }
            history.append(row)
            last4 = history[-4:]
            row["distance_km_ma4"] = sum(r["distance_km"] for r in last4) / len(last4)
            row["avg_watts_ma4"] = _ratio(_sum_pairs([r["_power"] for r in last4]))
            row["weighted_avg_watts_ma4"] = _ratio(_sum_pairs([r["_weighted"] for r in last4]))
            row["distance_km_ytd"] = sum(r["distance_km"] for r in history if r["week_start"].year == week.year)
            row["distance_km_total"] = sum(r["distance_km"] for r in history)
        for r in history:
            power, weighted = r.pop("_power"), r.pop("_weighted")
            r |= {"power_watt_seconds": power[0], "power_seconds": power[1], "weighted_power_seconds": weighted[1]}
        rows.extend(history)
    return rows


def expected_quarterly(today: date) -> list[dict[str, Any]]:
    first = min(quarter_start(f.local_date) for f in FACTS)
    last = max(quarter_start(today), max(quarter_start(f.local_date) for f in FACTS))
    quarters = [first]
    while quarters[-1] < last:
        q = quarters[-1]
        quarters.append(date(q.year + 1, 1, 1) if q.month == 10 else date(q.year, q.month + 3, 1))
    rows = []
    for bucket in _buckets():
        by_q: dict[date, dict[str, Any]] = {}
        for q in quarters:
            fs = [f for f in FACTS if _in(bucket, f) and quarter_start(f.local_date) == q]
            by_q[q] = {
                "quarter_start": q, "sport_type": bucket, "activity_count": len(fs),
                "distance_km": sum(f.distance_km for f in fs), "elevation_m": sum(f.elevation_m for f in fs),
                "avg_watts": _ratio(_time_weighted(fs, "avg_watts")),
            }
        for i, q in enumerate(quarters):
            row = by_q[q]
            for suffix, back in (("prev_quarter", 1), ("prev_year", 4)):
                prev = by_q[quarters[i - back]] if i >= back else None
                for col in ("activity_count", "distance_km", "elevation_m", "avg_watts"):
                    base = None if prev is None else prev[col]
                    row[f"{col}_vs_{suffix}"] = None if base is None or row[col] is None else row[col] - base
            rows.append(row)
    return rows


def expected_training_load(today: date) -> list[dict[str, Any]]:
    daily: dict[date, float] = defaultdict(float)
    for f in FACTS:
        tss = STREAM_STRESS.get(f.id, f.tss)  # the stream-based stress wins where there is one
        tss = TRIMP.get(f.id) if tss is None else tss  # then the summary estimate, then heart-rate stress
        if tss is not None:
            daily[f.local_date] += tss
    if not daily:
        return []
    day, last = min(daily), max(today, max(daily))
    ctl = atl = 0.0
    rows = []
    while day <= last:
        tss = daily.get(day, 0.0)
        ctl += (tss - ctl) / 42
        atl += (tss - atl) / 7
        rows.append({"day": day, "tss": tss, "ctl": ctl, "atl": atl, "tsb": ctl - atl})
        day += timedelta(days=1)
    return rows


def _local_dates() -> dict[int, date]:
    return {f.id: f.local_date for f in FACTS}


def expected_power_curve_quarterly() -> list[dict[str, Any]]:
    best: dict[tuple[date, int], tuple[float, date, int]] = {}
    for activity_id, curve in CURVES.items():
        day = _local_dates()[activity_id]
        for duration, watts in curve.items():
            key = (quarter_start(day), duration)
            if key not in best or (-watts, day, activity_id) < (-best[key][0], best[key][1], best[key][2]):
                best[key] = (watts, day, activity_id)
    return [{"quarter_start": q, "duration_s": d, "watts": w, "activity_id": a}
            for (q, d), (w, _, a) in sorted(best.items())]


def expected_power_curve_rolling(today: date) -> list[dict[str, Any]]:
    dates = _local_dates()
    first = min(dates[i] for i in CURVES)
    last = max(today, max(dates[i] for i in CURVES))
    rows = []
    day = first
    while day <= last:
        best: dict[int, float] = {}
        for activity_id, curve in CURVES.items():
            if timedelta(0) <= day - dates[activity_id] <= timedelta(days=89):
                for duration, watts in curve.items():
                    best[duration] = max(best.get(duration, 0.0), watts)
        rows += [{"day": day, "duration_s": d, "watts": w} for d, w in sorted(best.items())]
        day += timedelta(days=1)
    return rows


def expected_estimated_ftp(today: date) -> list[dict[str, Any]]:
    from statistics import linear_regression

    by_day: dict[date, dict[int, float]] = defaultdict(dict)
    for row in expected_power_curve_rolling(today):
        by_day[row["day"]][row["duration_s"]] = row["watts"]
    rows = []
    for day, best in sorted(by_day.items()):
        row: dict[str, Any] = {"day": day, "eftp_w": 0.95 * best[1200] if 1200 in best else None,
                               "cp_w": None, "w_prime_j": None, "cp_rmse_w": None, "cp_durations": None}
        fit = sorted((d, w) for d, w in best.items() if 180 <= d <= 1200)
        if len(fit) >= 3:
            cp, w_prime = linear_regression([d for d, _ in fit], [w * d for d, w in fit])
            residuals = [w - (cp + w_prime / d) for d, w in fit]
            row.update(cp_w=cp, w_prime_j=w_prime, cp_durations=len(fit),
                       cp_rmse_w=(sum(r * r for r in residuals) / len(fit)) ** 0.5)
        rows.append(row)
    return rows
