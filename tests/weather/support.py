"""Shared pieces of the weather tests: hand-drawn routes and a world of both simulators and a DuckDB file."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polyline

from strava.secrets.base import Credentials
from strava.secrets.file import FileSecretStore
from strava.settings import Settings
from strava.sync import RunSummary, run_sync

NORTH = polyline.encode([(45.0, 7.0), (45.1, 7.0)])  # 11.1 km due north
SOUTH = polyline.encode([(45.1, 7.0), (45.0, 7.0)])
OUT_AND_BACK = polyline.encode([(45.0, 7.0), (45.1, 7.0), (45.0, 7.0)])
NOW = datetime.now(UTC).replace(microsecond=0)


def activity(id_: int, days_ago: float, route: str | None, sport: str = "Ride", **extra) -> dict:
    start = (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": id_, "name": f"ride {id_}", "sport_type": sport, "type": sport, "athlete": {"id": 7},
            "start_date": start, "start_date_local": start,
            "distance": 11_100.0, "moving_time": 1800, "elapsed_time": 1900, "total_elevation_gain": 0.0,
            "trainer": False, "manual": False, "map": {"id": f"a{id_}", "summary_polyline": route}, **extra}


ROUTES = [
    activity(1, 30, NORTH),  # the archive serves it
    activity(2, 2, OUT_AND_BACK),  # too recent for the archive: the forecast API's past days
    activity(3, 20, None, trainer=True),  # indoor
    activity(4, 19, NORTH, sport="VirtualRide"),  # Zwift draws a route, but there is no weather in Watopia
    activity(5, 18, ""),  # outdoor without GPS
]


class World:
    def __init__(self, strava, meteo, folder: Path) -> None:
        self.strava, self.meteo, self.db = strava, meteo, folder / "w.duckdb"
        store = folder / "secrets.json"
        FileSecretStore(store).save(Credentials(**strava.secrets()))
        self.settings = dataclasses.replace(
            Settings(), api_url=strava.api_url, oauth_url=strava.oauth_url, secrets=f"file:{store}",
            warehouse=f"duckdb:{self.db}", weather_archive_url=meteo.archive_url,
            weather_forecast_url=meteo.forecast_url, retry_seconds=1, streams=False)

    def sync(self, **settings) -> RunSummary:
        full = settings.pop("full", False)
        return run_sync(dataclasses.replace(self.settings, **settings), full=full)

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    def weather(self) -> dict[int, tuple]:
        return {r[0]: r[1:] for r in self.rows(
            "SELECT activity_id, status, headwind_ms, headwind_share, source FROM activity_weather")}
