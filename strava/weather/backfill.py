"""The weather pass of a sync: weather along every outdoor activity's route, fetched once, in few requests.

Work comes newest first from `activities_without(activity_weather)`; an activity counts as done while its
row was computed from the same start and route (a changed route or start is fetched again). Each activity
is sampled once a minute of moving time (strava/weather/route.py) along its recorded track (the `latlng`
stream, when the streams pass stored it) or else its summary polyline; the samples' grid cells are fetched for
several activities at once: one request covers up to MAX_LOCATIONS cells over up to MAX_SPAN_DAYS days.
Rows are written after each request, so a stop (budget, 429, outage) keeps what was done; the next run
resumes. Indoor activities (trainer, virtual, manual, no route) get no row and are never asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polyline

from strava.logs import event
from strava.schema import ACTIVITY_WEATHER
from strava.settings import Settings
from strava.warehouse import Warehouse
from strava.weather.hourly import HourlySeries, summarize
from strava.weather.openmeteo import OpenMeteo, WeatherError, call_units
from strava.weather.route import Point, Sample, sample_route, sample_track

log = logging.getLogger("strava.weather")

COLUMNS = ("id", "start_date", "moving_time", "summary_polyline")
STREAM_COLUMNS = ("latlng", "time", "moving", "start_date")  # of activity_streams: the recorded track
# What a row was computed from. Not the streams: arriving later, they are the same route, denser; not re-fetched.
FINGERPRINT = ("start_date", "summary_polyline")
OUTDOOR = ("NOT COALESCE(trainer, FALSE) AND NOT COALESCE(manual, FALSE) AND start_date IS NOT NULL "
           "AND summary_polyline IS NOT NULL AND summary_polyline != '' "
           "AND COALESCE(sport_type, '') NOT LIKE 'Virtual%'")
CELL_DEG = 0.1  # grid cell: ERA5-Land's 0.1 deg (IFS is ~0.08 deg); finer cells would only add locations
MAX_LOCATIONS = 100  # cells per request (Open-Meteo counts each as a call against its limits anyway)
MAX_SPAN_DAYS = 14  # days per request: Open-Meteo counts longer spans as several calls
ARCHIVE_LAG_DAYS = 6  # the archive's reanalysis lags ~5 days: newer days come from the forecast API
MAX_PAST_DAYS = 92  # the forecast API's longest past_days
TODO_PAGE = 200  # activities read from the warehouse at a time

Cell = tuple[float, float]


@dataclass
class Planned:
    activity: dict[str, Any]
    samples: list[Sample]
    cells: list[Cell]  # the cell of each sample

    @property
    def day(self) -> date:
        return self.activity["start_date"].astimezone(UTC).date()

    @property
    def last_day(self) -> date:
        return datetime.fromtimestamp(self.samples[-1].epoch, UTC).date() if self.samples else self.day


def route_points(activity: dict[str, Any]) -> list[Point]:
    """The summary polyline's points (what an activity without a stored latlng stream is sampled along)."""
    try:
        return [(float(lat), float(lng)) for lat, lng in polyline.decode(activity["summary_polyline"])]
    except (ValueError, TypeError, IndexError):
        return []


def track_samples(stream: dict[str, Any], activity: dict[str, Any]) -> list[Sample]:
    """Samples of the stored `latlng` stream (points without a position skipped): at each point's recorded
    `time` when that stream lines up with it, else spread evenly over moving time like the polyline's.
    Empty when the stream was stored for another start (the activity was cropped since: streams are
    fetched once), so the polyline serves."""
    if stream.get("start_date") not in (None, activity["start_date"]):
        return []
    latlng, times, moving = (stream.get(c) or [] for c in STREAM_COLUMNS[:3])
    kept = [i for i, p in enumerate(latlng) if p and p.get("lat") is not None and p.get("lng") is not None]
    points = [(float(latlng[i]["lat"]), float(latlng[i]["lng"])) for i in kept]
    start = activity["start_date"].timestamp()
    if len(times) != len(latlng) or any(times[i] is None for i in kept):
        return sample_route(points, start, activity.get("moving_time") or 0)
    steps = [bool(moving[i]) for i in kept] if len(moving) == len(latlng) else None
    return sample_track(points, [float(times[i]) for i in kept], steps, start)


class WeatherPass:
    """One run's weather work. `calls` counts Open-Meteo requests; `stored` the rows written. The budget
    (STRAVA_WEATHER_MAX_CALLS) is in Open-Meteo's own units: one call per location per 14 days."""

    def __init__(self, settings: Settings, warehouse: Warehouse, *, client: OpenMeteo | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.warehouse, self.budget, self.now = warehouse, settings.weather_max_calls, now
        self.client = client or OpenMeteo(settings.weather_archive_url, settings.weather_forecast_url,
                                          (settings.connect_timeout, settings.read_timeout))
        self.stored = 0
        self.over_budget = False

    @property
    def calls(self) -> int:
        return self.client.calls

    def run(self) -> None:
        """Fetch until done, out of budget, or Open-Meteo stops us (logged; never raised: the sync is fine)."""
        stopped, seen = "done", set[int]()
        try:
            while not self.over_budget:
                todo = [a for a in self.warehouse.activities_without(
                    ACTIVITY_WEATHER, COLUMNS, TODO_PAGE, OUTDOOR, matching=FINGERPRINT) if a["id"] not in seen]
                if not todo:  # (an activity written but found again would otherwise loop: once per run)
                    break
                seen.update(a["id"] for a in todo)
                self._fill(todo)
            else:
                stopped = "budget"
        except WeatherError as exc:
            stopped = str(exc)
            event(log, logging.WARNING, f"weather stopped: {exc}", calls=self.calls, stored=self.stored)
        event(log, logging.INFO, "weather pass", calls=self.calls, stored=self.stored, stopped=stopped)

    def _fill(self, todo: list[dict[str, Any]]) -> None:
        plans, no_route = [], []
        tracks = self._tracks(todo)
        for activity in todo:
            samples = tracks.get(activity["id"]) or sample_route(
                route_points(activity), activity["start_date"].timestamp(), activity.get("moving_time") or 0)
            if samples:
                plans.append(Planned(activity, samples, [_cell(s) for s in samples]))
            else:
                no_route.append(activity)
        if no_route:  # a row all the same, so that they are not asked for again
            self._write(no_route, [self._row(a, None, 0, "no_route", "") for a in no_route])
        plans.sort(key=lambda p: p.activity["start_date"])
        for group in reversed(list(_groups(plans, self._recent))):  # newest first, as the work came
            if not self._fetch(group):
                return

    def _tracks(self, todo: list[dict[str, Any]]) -> dict[int, list[Sample]]:
        """Samples of the activities whose latlng stream is stored, sampled as read (a few streams in memory)."""
        by_id = {a["id"]: a for a in todo}
        return {row["activity_id"]: track_samples(row, by_id[row["activity_id"]])
                for row in self.warehouse.read_streams(list(by_id), STREAM_COLUMNS)}

    def _fetch(self, group: list[Planned]) -> bool:
        """Weather for the group's activities, written; False when it would overrun the budget (not sent)."""
        cells = sorted({c for p in group for c in p.cells})
        first, last = min(p.day for p in group), max(p.last_day for p in group)
        recent = self._recent(group[-1])
        past_days = min(MAX_PAST_DAYS, max(1, (self._today() - first).days + 1))
        cost = call_units(len(cells), past_days + 1 if recent else (last - first).days + 1)
        if self.client.units + cost > self.budget and (self.client.units or not self.budget):  # 1st may overrun
            self.over_budget = True
            return False
        if recent:
            source, series = "forecast", self.client.recent(cells, past_days)
        else:
            source, series = "archive", self.client.archive(cells, first, last)
        by_cell = dict(zip(cells, series, strict=True))
        rows = [self._weather_row(p, by_cell, source) for p in group]
        self._write([p.activity for p in group], rows)
        return True

    def _today(self) -> date:
        return self.now().astimezone(UTC).date()

    def _recent(self, plan: Planned) -> bool:
        """Too recent for the archive: the forecast API's past days serve it."""
        return (self._today() - plan.last_day).days < ARCHIVE_LAG_DAYS

    def _weather_row(self, plan: Planned, by_cell: dict[Cell, HourlySeries], source: str) -> dict[str, Any]:
        figures = summarize(plan.samples, [by_cell[c].at(s.epoch) for s, c in zip(plan.samples, plan.cells,
                                                                                  strict=True)])
        status = "ok" if figures else "no_data"
        return self._row(plan.activity, figures, len(set(plan.cells)), status, f"{source}:best_match")

    def _row(self, activity: dict[str, Any], figures: dict[str, Any] | None, cells: int, status: str,
             source: str) -> dict[str, Any]:
        return {**(figures or {}), "activity_id": activity["id"], "status": status, "cells": cells,
                "source": source or None, "start_date": activity["start_date"],
                "summary_polyline": activity["summary_polyline"], "fetched_at": self.now()}

    def _write(self, activities: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        self.warehouse.replace_activity_rows(ACTIVITY_WEATHER, [a["id"] for a in activities], rows)
        self.stored += len(rows)


def _cell(sample: Sample) -> Cell:
    return (round(round(sample.lat / CELL_DEG) * CELL_DEG, 4), round(round(sample.lng / CELL_DEG) * CELL_DEG, 4))


def _groups(plans: Iterable[Planned], recent: Callable[[Planned], bool]) -> Iterator[list[Planned]]:
    """Consecutive activities (by start) sharing one request: same API, span and cell count bounded."""
    group: list[Planned] = []
    cells: set[Cell] = set()
    for plan in plans:
        more = cells | set(plan.cells)
        if group and (len(more) > MAX_LOCATIONS or recent(plan) != recent(group[0])
                      or plan.last_day - group[0].day >= timedelta(days=MAX_SPAN_DAYS)):
            yield group
            group, more = [], set(plan.cells)
        group.append(plan)
        cells = more
    if group:
        yield group
